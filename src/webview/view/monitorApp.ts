// The monitor's controller: owns the model and the UI state, turns notifications into model changes and DOM
// redraws (coalesced to one per animation frame), and user actions into commands for the host.

import type { ControlAction, SendMessageInput } from '../../protocol/messageTypes';
import { HostNotification, WebviewCommand, type HostToWebview } from '../../protocol/webviewMessages';
import type { DataSource } from '../dataSource';
import { MonitorModel, type ModelChange } from '../monitorModel';
import { parseUiState, type DetailTab, type UiState } from '../uiState';
import { keyToAction } from '../keyboard';
import { isFilterActive } from '../../protocol/filter';
import { isThreadable } from '../threads';
import { custom, el, setText } from './dom';
import { MessageTable } from './messageTable';
import { AgentList } from './agentList';
import { DetailPane } from './detailPane';
import { ReconstructionView } from './reconstructionView';
import { AgentStreamView } from './agentStreamView';
import { AgentStreamModel } from '../agentStreamModel';
import { approvalMark } from '../approvalMarks';
import { actionFrame, DebugFrame, DebugHolds, heldMark, releaseAllFrame, type HeldAction } from '../debugHolds';
import { DebugView } from './debugView';
import { makeResizer } from './resizer';
import { Feedback } from './feedback';
import { buildStatusBar, buildToolbar, FilterOptions, type StatusBar, type Toolbar } from './toolbar';


/** Data-driven table redraws are at least this far apart (~30 per second). */
const ROWS_MIN_INTERVAL_MS = 33;
/**
 * While the table follows a stream that brings more than a screenful of rows between two redraws, nobody can read
 * the rows going by: ~10 redraws a second show it moving and leave the layout and paint of the other two thirds to
 * the stream itself (at 20,000 entries/s a redraw is most of a frame's CPU).
 */
const ROWS_FLOOD_INTERVAL_MS = 100;
/** Messages per "Load older" page of a topic. */
const TOPIC_PAGE = 100;
const numberFormat = new Intl.NumberFormat();
const fmt = (n: number): string => numberFormat.format(n);
const FOCUSABLE_INPUTS =
  'input, textarea, select, vscode-textfield, vscode-textarea, vscode-single-select, vscode-button, vscode-checkbox, vscode-toolbar-button, vscode-tab-header, [role=button]';

export class MonitorApp {
  private readonly model = new MonitorModel();
  private readonly streams = new AgentStreamModel();
  private readonly holds = new DebugHolds();
  private debugView!: DebugView;
  private readonly bar: Toolbar = buildToolbar();
  private readonly feedback = new Feedback();
  private readonly statusBar: StatusBar = buildStatusBar(this.bar.hub, this.feedback.element);
  private readonly typeOptions = new FilterOptions(this.bar.typeSelect, 'All types');
  private readonly agentOptions = new FilterOptions(this.bar.agentSelect, 'All agents');
  private readonly topicOptions = new FilterOptions(this.bar.topicSelect, 'All topics');
  private ui: UiState;
  private readonly table: MessageTable;
  private readonly agents: AgentList;
  private readonly detail: DetailPane;
  private readonly jumpButton: HTMLElement;
  private readonly body: HTMLElement;
  private readonly reconstruction: ReconstructionView;
  private dirty: ModelChange = { rows: false, agents: false, hub: false };
  private frame = 0;
  private readonly tick: ReturnType<typeof setInterval>;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private restoredSelection = false;
  private lastRowsDraw = 0;
  /** Entries that arrived since the table was last redrawn. */
  private arrivedSinceDraw = 0;
  private readonly keyListener = (e: KeyboardEvent): void => this.onKey(e);

  constructor(
    private readonly root: HTMLElement,
    private readonly source: DataSource,
  ) {
    this.ui = parseUiState(source.loadState());
    document.body.classList.add(`host-${source.kind}`);

    // --- panes ---
    this.table = new MessageTable(this.model, {
      onActivate: (seq, open) => this.select(seq, open),
      onFollowChange: (follow) => {
        this.ui.follow = follow;
        this.jumpButton.hidden = follow;
        this.saveSoon();
      },
      approvalMark: (entry) => heldMark(entry, this.holds) ?? approvalMark(entry, this.streams, (id) => this.model.columnName(id)),
    });
    // a strip under the rows, not a button over them: it takes its own line, so it never covers the last row
    const jump = custom('vscode-button', { icon: 'arrow-down', secondary: '', title: 'Follow the newest messages (End)' }, 'Jump to latest');
    jump.addEventListener('click', () => this.jumpToLatest());
    this.jumpButton = el('div', { class: 'jump' }, jump);
    this.jumpButton.hidden = true;
    this.table.element.append(this.jumpButton);
    this.agents = new AgentList((id) => this.showAgent(id));
    this.detail = new DetailPane(this.model, {
      onSelectSeq: (seq) => this.select(seq, false),
      onTab: (tab) => {
        this.ui.detailTab = tab;
        this.saveSoon();
      },
      onClose: () => this.closeDetail(),
      onFilterAgent: (id) => this.applyFilter({ ...this.ui.filter, agent: id }),
      onShowAgent: (id) => this.showAgent(id),
      onSend: (m) => this.sendMessage(m),
      onControl: (a, id) => this.control(a, id),
      stream: new AgentStreamView(this.streams, {
        onDecide: (approvalId, approved, note) => this.decide(approvalId, approved, note),
        // the person at this VS Code is "You", as in the table
        nameOf: (id) => this.model.columnName(id),
      }),
      debug: this.debugView = new DebugView(this.holds, {
        onAction: (action, heldId, fields) => this.debugAction(action, heldId, fields),
        onReleaseAll: () => this.debugSend('Release all', releaseAllFrame()),
        onAddBreakpoint: (filter) => this.debugSend(`Breakpoint ${filter}`, this.holds.addBreakpoint(filter)),
        onRemoveBreakpoint: (filter) => this.debugSend(`Remove breakpoint ${filter}`, this.holds.removeBreakpoint(filter)),
        onOpenHeld: (messageId) => {
          const seq = this.model.leadSeqOf(messageId);
          if (seq !== undefined) this.select(seq, true);
        },
      }),
    });
    this.body = el('main', { class: 'body' }, this.agents.element, this.table.element, this.detail.element);
    this.detail.element.prepend(
      makeResizer({
        body: this.body,
        pane: this.detail.element,
        initialWidth: this.ui.detailWidth,
        onWidth: (w) => {
          this.ui.detailWidth = w;
          this.markDirty({ rows: true, agents: false, hub: false });
          this.saveSoon();
        },
      }),
    );
    // the Reconstruction pane takes the body's place while open; its toolbar button appears once there is a report
    this.reconstruction = new ReconstructionView({
      onAction: (action, id) => {
        const labels = { copyJson: 'Copy JSON', save: 'Save', handOver: 'Hand to agent', summarise: 'Summarise' } as const;
        const request_id = this.feedback.request(labels[action]);
        this.source.send({ type: WebviewCommand.ReconstructionAction, request_id, action, reconstruction_id: id });
      },
      // the same names as the table's: a new "coder" and the failed one read "coder (77aa)" and "coder (ebd1)"
      nameOf: (id) => this.model.knownName(id),
    });
    this.bar.reconstructionButton.addEventListener('click', () => this.setReconstructionOpen(this.reconstruction.element.hidden !== false));
    root.replaceChildren(this.bar.element, this.body, this.reconstruction.element, this.statusBar.element);
    this.statusBar.element.insertBefore(this.debugView.status, this.feedback.element);

    // --- wiring ---
    this.bar.search.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.applyFilter({ ...this.ui.filter, text: this.bar.search.value }), 120);
    });
    this.bar.typeSelect.addEventListener('change', () => this.applyFilter({ ...this.ui.filter, type: this.bar.typeSelect.value }));
    this.bar.agentSelect.addEventListener('change', () => this.applyFilter({ ...this.ui.filter, agent: this.bar.agentSelect.value }));
    this.bar.topicSelect.addEventListener('change', () => this.applyFilter({ ...this.ui.filter, topic: this.bar.topicSelect.value }));
    this.bar.olderButton.addEventListener('click', () => this.loadOlder());
    this.bar.noise.addEventListener('change', () => this.applyFilter({ ...this.ui.filter, showNoise: this.bar.noise.checked }));
    this.bar.raw.addEventListener('change', () => this.applyFilter({ ...this.ui.filter, raw: this.bar.raw.checked }));
    this.bar.pauseButton.addEventListener('click', () => this.setPaused(!this.ui.paused));
    this.bar.clearButton.addEventListener('click', () => {
      this.model.clearView();
      this.markDirty({ rows: true, agents: false, hub: false });
    });
    document.addEventListener('keydown', this.keyListener);
    // "last seen 4 s ago" stays true without a data change
    this.tick = setInterval(() => {
      if (!document.hidden && this.model.agents.size) this.markDirty({ rows: false, agents: true, hub: false });
      if (!document.hidden) this.reconstruction.refresh();
    }, 1000);

    // --- restore ---
    this.model.setFilter(this.ui.filter);
    this.model.setPaused(this.ui.paused);
    this.bar.search.value = this.ui.filter.text;
    this.bar.noise.checked = this.ui.filter.showNoise;
    this.bar.raw.checked = this.ui.filter.raw;
    this.setFollow(this.ui.follow);
    this.table.setSelected(this.ui.selectedSeq);
    this.detail.setAgent(this.ui.agentId);
    this.agents.setSelected(this.ui.agentId);
    this.setDetailOpen(this.ui.detailOpen);
    this.detail.showTab(this.ui.detailTab);
    this.renderPause();
    this.renderHub();
    this.rebuildTypeOptions(true);
    this.rebuildTopicOptions(true);
    this.rebuildAgentOptions(true);
    this.renderCounts();
  }

  receive(n: HostToWebview): void {
    if (n.type === HostNotification.Entries) this.arrivedSinceDraw += n.entries.length;
    const change = this.model.apply(n);
    if (change.result) this.feedback.result(change.result.request_id, change.result.ok, change.result.detail);
    if (change.revealAgent) this.showAgent(change.revealAgent);
    if (n.type === HostNotification.Snapshot) this.restoredSelection = false;
    // a new hub (or a reconnect) subscribes afresh and sends new SNAPSHOTs: drop what may be stale
    if (n.type === HostNotification.Snapshot) this.streams.clear();
    if (n.type === HostNotification.AgentStream && this.streams.apply(n.frame)) {
      // the agent list's badge, the Agent tab and the request rows' approval markers
      this.markDirty({ rows: true, agents: true, hub: false });
    }
    if (n.type === HostNotification.Debugger && this.holds.apply(n.frame)) {
      // a new connection attached afresh: the hub forgot this monitor's breakpoints with the old one
      const resend = n.frame.message_type === DebugFrame.STATE ? this.holds.resendFrame() : undefined;
      if (resend) this.debugSend('Breakpoints', resend);
      this.detail.refreshDebug();
      this.debugView.renderStatus();
      this.markDirty({ rows: true, agents: false, hub: false });
    }
    if (n.type === HostNotification.TopicHistory) {
      this.feedback.result(n.request_id, true, n.messages.length ? `${n.messages.length} older message(s)` : 'no older messages');
      this.rebuildTopicOptions(false);
    }
    if (n.type === HostNotification.Reconstruction) {
      this.reconstruction.show(n);
      this.bar.reconstructionButton.hidden = false;
      // A new report opens the pane; a report re-sent to a reloaded webview (focus false) opens it only if it was
      // the view on screen before the reload (the webview is torn down whenever its tab is hidden).
      if (n.focus !== false || this.ui.reconstructionOpen) this.setReconstructionOpen(true);
    }
    this.markDirty(change);
  }

  stats(): { visible: number; buffered: number; dropped: number; held: number; agents: number; revision: number; pendingApprovals: number } {
    return {
      pendingApprovals: this.streams.pending().length,
      visible: this.model.visibleCount,
      buffered: this.model.bufferedCount,
      dropped: this.model.droppedCount,
      held: this.model.heldCount,
      agents: this.model.agents.size,
      revision: this.model.revision,
    };
  }

  dispose(): void {
    document.removeEventListener('keydown', this.keyListener);
    clearInterval(this.tick);
    clearTimeout(this.saveTimer);
    clearTimeout(this.searchTimer);
    this.feedback.dispose();
    cancelAnimationFrame(this.frame);
    this.save();
  }

  // --- drawing -------------------------------------------------------------------------------------------------

  private markDirty(c: ModelChange): void {
    this.dirty.rows ||= c.rows;
    this.dirty.agents ||= c.agents;
    this.dirty.hub ||= c.hub;
    if (!this.frame && (this.dirty.rows || this.dirty.agents || this.dirty.hub)) {
      this.frame = requestAnimationFrame(() => this.draw());
    }
  }

  /** One redraw per frame, however many notifications arrived since the last one. */
  private draw(): void {
    this.frame = 0;
    const d = this.dirty;
    // A live stream faster than anyone reads is redrawn at most ROWS_MIN_INTERVAL_MS apart, leaving the frames
    // between for scrolling and input (which redraw the table themselves, at once).
    const now = performance.now();
    const flood = this.ui.follow && this.arrivedSinceDraw > this.table.screenRows;
    const rowsDue = d.rows && now - this.lastRowsDraw >= (flood ? ROWS_FLOOD_INTERVAL_MS : ROWS_MIN_INTERVAL_MS);
    this.dirty = { rows: d.rows && !rowsDue, agents: false, hub: false };
    if (this.dirty.rows) this.frame = requestAnimationFrame(() => this.draw());
    if (d.hub) this.renderHub();
    if (rowsDue) {
      this.lastRowsDraw = now;
      this.arrivedSinceDraw = 0;
      if (!this.restoredSelection) this.restoreSelection();
      this.table.render(true);
      this.renderCounts();
      this.rebuildTypeOptions(false);
      this.rebuildTopicOptions(false);
      if (!d.agents) this.detail.refresh();
    }
    if (d.agents) {
      this.agents.render(this.model.sortedAgents(), Date.now(), (id) => this.streams.pendingCount(id));
      this.rebuildAgentOptions(false);
      this.detail.refresh();
    }
  }

  private renderHub(): void {
    const h = this.model.hub;
    const running = h.state === 'running';
    this.bar.hubIcon.className = `codicon codicon-${running ? 'plug' : h.state === 'connecting' ? 'sync' : 'debug-disconnect'} hub-${running ? 'up' : 'down'}`;
    const where = h.mode === 'attached' ? ' · attached' : h.mode === 'browser' ? ' · browser' : '';
    setText(this.bar.hubBadge, `${h.hub_id ?? 'hub'} · ${h.state}${where}`);
    this.bar.hubBadge.title = h.agent_url ? `Agents connect to ${h.agent_url}` : '';
    this.renderEmptyText();
  }

  /** What an empty table says: why it is empty and what to do. */
  private renderEmptyText(): void {
    const h = this.model.hub;
    this.table.setEmptyText(
      h.state !== 'running'
        ? h.state === 'connecting'
          ? 'Connecting to the hub…'
          : h.state === 'disconnected'
            ? 'Disconnected from the hub; reconnecting…'
            : h.mode === 'browser'
              ? `The hub is ${h.state}.`
              : `The hub is ${h.state}. Run "Switchboard: Start Hub" to start it.`
        : this.model.bufferedCount > 0 || isFilterActive(this.ui.filter)
          ? 'No messages match the filters.'
          : 'No messages yet. Start the demo agents or connect one.',
    );
  }

  private renderCounts(): void {
    const m = this.model;
    if (m.visibleCount === 0) this.renderEmptyText();
    setText(this.statusBar.countsText, `${fmt(m.visibleCount)} shown · ${fmt(m.bufferedCount)} kept (max ${fmt(m.capacity)})`);
    const dropped = m.droppedCount;
    this.statusBar.droppedText.hidden = dropped === 0;
    setText(this.statusBar.droppedText, dropped ? `${fmt(dropped)} older messages dropped from view` : '');
    this.statusBar.heldText.hidden = !this.ui.paused;
    setText(this.statusBar.heldText, this.ui.paused ? `View frozen · ${fmt(m.heldCount)} new waiting` : '');
  }

  private renderPause(): void {
    const p = this.ui.paused;
    // named for what it does to the view, so it does not read as "pause the agents"
    const label = p ? 'Resume view' : 'Freeze view';
    this.bar.pauseButton.setAttribute('icon', p ? 'play' : 'lock');
    setText(this.bar.pauseButton.querySelector('.label') ?? this.bar.pauseButton, label);
    this.bar.pauseButton.setAttribute('aria-label', label);
    this.bar.pauseButton.title = p
      ? 'Resume the view: show the messages that waited and follow new ones (Space)'
      : 'Freeze the view: new messages wait until you resume; agents keep running (Space)';
    this.bar.pauseButton.setAttribute('aria-pressed', String(p));
    this.body.classList.toggle('paused', p);
  }

  private rebuildTypeOptions(force: boolean): void {
    const types = [...this.model.types];
    if (this.ui.filter.type && !this.model.types.has(this.ui.filter.type)) types.push(this.ui.filter.type);
    types.sort();
    this.typeOptions.update(types.map((t): [string, string] => [t, t]), this.ui.filter.type, force);
  }

  /** The topic picker appears with the first topic seen (or a chosen one); "Load older" with a chosen topic. */
  private rebuildTopicOptions(force: boolean): void {
    const cur = this.ui.filter.topic ?? '';
    const topics = [...this.model.topics];
    if (cur && !this.model.topics.has(cur)) topics.push(cur);
    topics.sort();
    this.bar.topicSelect.hidden = topics.length === 0;
    this.bar.element.classList.toggle('has-topics', topics.length > 0);
    this.bar.olderButton.hidden = cur === '';
    this.bar.olderButton.toggleAttribute('disabled', !this.model.canLoadOlder);
    this.topicOptions.update(topics.map((t): [string, string] => [t, t]), cur, force);
  }

  /** Asks the hub for the chosen topic's page before the oldest message on screen. */
  private loadOlder(): void {
    const topic = this.ui.filter.topic ?? '';
    if (!topic || !this.model.canLoadOlder) return;
    const before_id = this.model.oldestTopicId();
    const request_id = this.feedback.request(`Older messages of ${topic}`);
    this.source.send({ type: WebviewCommand.LoadTopicHistory, request_id, topic, limit: TOPIC_PAGE, ...(before_id ? { before_id } : {}) });
  }

  private rebuildAgentOptions(force: boolean): void {
    const agents = [...this.model.agents.values()].sort((a, b) => a.agent_name.localeCompare(b.agent_name));
    const opts: [string, string][] = agents.map((a) => [a.agent_id, `${a.agent_name} (${a.agent_id})`]);
    const cur = this.ui.filter.agent;
    if (cur && !this.model.agents.has(cur)) opts.push([cur, cur]);
    this.agentOptions.update(opts, cur, force);
  }

  // --- actions -------------------------------------------------------------------------------------------------

  private applyFilter(f: UiState['filter']): void {
    this.ui.filter = { ...f };
    this.model.setFilter(this.ui.filter);
    if (this.bar.search.value !== f.text) this.bar.search.value = f.text;
    if (this.bar.typeSelect.value !== f.type) this.bar.typeSelect.value = f.type;
    if (this.bar.agentSelect.value !== f.agent) this.rebuildAgentOptions(true);
    if (this.bar.topicSelect.value !== (f.topic ?? '')) this.rebuildTopicOptions(true);
    if (this.bar.noise.checked !== f.showNoise) this.bar.noise.checked = f.showNoise;
    if (this.bar.raw.checked !== f.raw) this.bar.raw.checked = f.raw;
    // keep the selected row in view if it still passes
    const sel = this.ui.selectedSeq;
    const idx = sel === null ? -1 : this.model.visibleIndexOfSeq(sel);
    if (idx >= 0 && !this.ui.follow) queueMicrotask(() => this.table.reveal(idx));
    this.renderHub();
    this.markDirty({ rows: true, agents: false, hub: false });
    this.saveSoon();
  }

  private setPaused(paused: boolean): void {
    this.ui.paused = paused;
    this.model.setPaused(paused);
    this.renderPause();
    this.renderCounts();
    this.markDirty({ rows: true, agents: false, hub: false });
    this.saveSoon();
  }

  private select(seq: number, open: boolean): void {
    this.ui.selectedSeq = seq;
    this.restoredSelection = true;
    this.table.setSelected(seq);
    const idx = this.model.visibleIndexOfSeq(seq);
    if (idx >= 0) {
      if (idx < this.model.visibleCount - 1) this.setFollow(false);
      this.table.reveal(idx);
    }
    this.detail.setEntry(this.model.entryBySeq(seq));
    if (open) {
      this.setDetailOpen(true);
      if (this.detail.currentTab === 'agent') this.detail.showTab('message');
    }
    this.table.render(true);
    this.saveSoon();
  }

  /** After a reload the selected row comes back with the snapshot: select it again once it is there. */
  private restoreSelection(): void {
    const seq = this.ui.selectedSeq;
    if (seq === null) {
      this.restoredSelection = true;
      return;
    }
    const e = this.model.entryBySeq(seq);
    if (!e) return;
    this.restoredSelection = true;
    this.detail.setEntry(e);
    if (this.detail.currentTab === 'thread' && isThreadable(e)) this.detail.openThread(e);
    const idx = this.model.visibleIndexOfSeq(seq);
    if (idx >= 0 && !this.ui.follow) requestAnimationFrame(() => this.table.reveal(idx));
  }

  private setFollow(follow: boolean): void {
    this.ui.follow = follow;
    this.table.follow = follow;
    this.jumpButton.hidden = follow;
  }

  private jumpToLatest(): void {
    this.setFollow(true);
    this.table.render(true);
    this.table.focus();
    this.saveSoon();
  }

  private move(delta: number): void {
    const count = this.model.visibleCount;
    if (!count) return;
    const cur = this.ui.selectedSeq === null ? -1 : this.model.visibleIndexOfSeq(this.ui.selectedSeq);
    const from = cur >= 0 ? cur : delta > 0 ? -1 : count;
    const next = Math.max(0, Math.min(count - 1, from + delta));
    const e = this.model.rowAt(next);
    if (e) this.select(e.seq, false);
  }

  private showAgent(agentId: string): void {
    this.ui.agentId = agentId;
    this.agents.setSelected(agentId);
    this.detail.setAgent(agentId);
    this.setDetailOpen(true);
    this.detail.showTab('agent');
    this.saveSoon();
  }

  private setDetailOpen(open: boolean): void {
    this.ui.detailOpen = open;
    this.body.classList.toggle('with-detail', open);
    this.detail.element.hidden = !open;
    // the scroller's height may change: redraw the rows for the new size
    this.markDirty({ rows: true, agents: false, hub: false });
    this.saveSoon();
  }

  /** Swaps the message view for the Reconstruction pane and back. */
  private setReconstructionOpen(open: boolean): void {
    const show = open && this.reconstruction.hasReport;
    if (this.ui.reconstructionOpen !== show) {
      this.ui.reconstructionOpen = show;
      this.saveSoon();
    }
    this.reconstruction.element.hidden = !show;
    this.body.hidden = show;
    document.body.classList.toggle('rc-mode', show);
    this.bar.reconstructionButton.setAttribute('aria-pressed', String(show));
    this.bar.reconstructionButton.setAttribute('icon', show ? 'arrow-left' : 'history');
    setText(this.bar.reconstructionButton, show ? 'Messages' : 'Reconstruction');
    if (show) this.reconstruction.element.focus();
    else this.markDirty({ rows: true, agents: true, hub: false });
  }

  private closeDetail(): void {
    this.setDetailOpen(false);
    this.table.focus();
  }

  private sendMessage(message: SendMessageInput): void {
    const name = this.model.agents.get(message.receiver_id)?.agent_name || message.receiver_id;
    const request_id = this.feedback.request(`Message to ${name}`);
    this.feedback.show(`Sending to ${name}…`, 'info');
    this.source.send({ type: WebviewCommand.SendMessage, request_id, message });
  }

  private debugAction(action: HeldAction, heldId: string, fields?: Record<string, unknown>): void {
    this.debugSend(`${action[0]!.toUpperCase()}${action.slice(1)}`, actionFrame(action, heldId, fields));
  }

  private debugSend(label: string, frame: Record<string, unknown>): void {
    const request_id = this.feedback.request(label);
    this.source.send({ type: WebviewCommand.Debug, request_id, frame });
    this.detail.refreshDebug();
    this.debugView.renderStatus();
  }

  private decide(approvalId: string, approved: boolean, note: string | undefined): void {
    const request_id = this.feedback.request(`${approved ? 'Approve' : 'Deny'} ${approvalId}`);
    this.source.send({ type: WebviewCommand.DecideApproval, request_id, approval_id: approvalId, approved, ...(note ? { note } : {}) });
  }

  private control(action: ControlAction, agentId: string): void {
    const name = this.model.agents.get(agentId)?.agent_name || agentId;
    const request_id = this.feedback.request(`${action[0]!.toUpperCase()}${action.slice(1)} ${name}`);
    this.source.send({ type: WebviewCommand.ControlAgent, request_id, action, agent_id: agentId });
  }

  private onKey(e: KeyboardEvent): void {
    // the table's keys do not apply while the Reconstruction pane is open; Escape goes back to the messages
    if (!this.reconstruction.element.hidden) {
      if (e.key === 'Escape') {
        this.setReconstructionOpen(false);
        this.table.focus();
        e.preventDefault();
      }
      return;
    }
    const active = document.activeElement;
    const inInput = !!active && active !== document.body && active.matches(FOCUSABLE_INPUTS);
    const inDetail = !!active && this.detail.element.contains(active);
    const action = keyToAction(e.key, {
      inInput: inInput || (inDetail && e.key !== 'Escape'),
      pageRows: this.table.pageRows,
      ctrl: e.ctrlKey,
      meta: e.metaKey,
      alt: e.altKey,
    });
    if (!action) return;
    switch (action.kind) {
      case 'move':
        this.move(action.delta);
        break;
      case 'first': {
        const e0 = this.model.rowAt(0);
        if (e0) this.select(e0.seq, false);
        break;
      }
      case 'last':
        this.move(this.model.visibleCount);
        this.jumpToLatest();
        break;
      case 'open':
        if (this.ui.selectedSeq !== null) this.select(this.ui.selectedSeq, true);
        break;
      case 'thread': {
        const sel = this.ui.selectedSeq === null ? undefined : this.model.entryBySeq(this.ui.selectedSeq);
        if (sel && isThreadable(sel)) {
          this.setDetailOpen(true);
          this.detail.openThread(sel);
          this.ui.detailTab = 'thread';
        }
        break;
      }
      case 'focusSearch':
        this.bar.search.focus();
        break;
      case 'escape':
        if (inInput && active && !inDetail) {
          (active as HTMLElement).blur();
          this.table.focus();
        } else if (this.ui.detailOpen) this.closeDetail();
        else return;
        break;
      case 'togglePause':
        this.setPaused(!this.ui.paused);
        break;
    }
    e.preventDefault();
  }

  // --- state ---------------------------------------------------------------------------------------------------

  private saveSoon(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.save(), 150);
  }

  private save(): void {
    const tab: DetailTab = this.detail.currentTab;
    this.ui.detailTab = tab;
    this.source.saveState(this.ui);
  }
}
