// The monitor's controller: owns the model and the UI state, turns notifications into model changes and DOM
// redraws (coalesced to one per animation frame), and user actions into commands for the host.

import type { ControlAction, SendMessageInput } from '../../protocol/messageTypes';
import { HostNotification, WebviewCommand, type HostToWebview } from '../../protocol/webviewMessages';
import type { DataSource } from '../dataSource';
import { MonitorModel, type ModelChange } from '../monitorModel';
import { parseUiState, type DetailTab, type UiState } from '../uiState';
import { keyToAction } from '../keyboard';
import { isFilterActive } from '../entryFilter';
import { isThreadable } from '../threads';
import { custom, el, icon, setText } from './dom';
import { MessageTable } from './messageTable';
import { AgentList } from './agentList';
import { DetailPane } from './detailPane';
import { ReconstructionView } from './reconstructionView';

type ValueElement = HTMLElement & { value: string };
type CheckElement = HTMLElement & { checked: boolean };

/** Data-driven table redraws are at least this far apart (~30 per second). */
const ROWS_MIN_INTERVAL_MS = 33;
const MIN_DETAIL_PX = 280;
const numberFormat = new Intl.NumberFormat();
const fmt = (n: number): string => numberFormat.format(n);
/** Commands awaiting their CommandResult; older ones are forgotten beyond this. */
const MAX_PENDING = 100;
const FOCUSABLE_INPUTS =
  'input, textarea, select, vscode-textfield, vscode-textarea, vscode-single-select, vscode-button, vscode-checkbox, vscode-toolbar-button, vscode-tab-header, [role=button]';

export class MonitorApp {
  private readonly model = new MonitorModel();
  private ui: UiState;
  private readonly table: MessageTable;
  private readonly agents: AgentList;
  private readonly detail: DetailPane;
  private readonly hubBadge: HTMLSpanElement;
  private readonly hubIcon: HTMLSpanElement;
  private readonly countsText: HTMLSpanElement;
  private readonly droppedText: HTMLSpanElement;
  private readonly heldText: HTMLSpanElement;
  private readonly toast: HTMLDivElement;
  private readonly search: ValueElement;
  private readonly typeSelect: ValueElement;
  private readonly agentSelect: ValueElement;
  private readonly noise: CheckElement;
  private readonly pauseButton: HTMLElement;
  private readonly jumpButton: HTMLElement;
  private readonly body: HTMLElement;
  private readonly reconstruction: ReconstructionView;
  private readonly reconstructionButton: HTMLElement;
  private dirty: ModelChange = { rows: false, agents: false, hub: false };
  private frame = 0;
  private readonly tick: ReturnType<typeof setInterval>;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private toastTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly pending = new Map<string, string>();
  private requestCounter = 0;
  private typeSignature = '';
  private agentSignature = '';
  private restoredSelection = false;
  private lastRowsDraw = 0;
  private readonly keyListener = (e: KeyboardEvent): void => this.onKey(e);

  constructor(
    private readonly root: HTMLElement,
    private readonly source: DataSource,
  ) {
    this.ui = parseUiState(source.loadState());
    document.body.classList.add(`host-${source.kind}`);

    // --- toolbar ---
    this.hubIcon = icon('plug');
    this.hubBadge = el('span', { class: 'hub-badge', role: 'status', 'aria-live': 'polite' });
    this.search = custom('vscode-textfield', {
      placeholder: 'Filter: words or "a phrase" in payload and metadata ( / )',
      'aria-label': 'Filter text',
      class: 'search',
      type: 'search',
    }) as ValueElement;
    this.search.append(custom('vscode-icon', { slot: 'content-before', name: 'search' }));
    this.typeSelect = custom('vscode-single-select', { 'aria-label': 'Filter by message type', class: 'type-filter' }) as ValueElement;
    this.agentSelect = custom('vscode-single-select', { 'aria-label': 'Filter by agent', class: 'agent-filter' }) as ValueElement;
    this.noise = custom('vscode-checkbox', { label: 'Presence', title: 'Show PING, PONG, heartbeats and agent status updates' }) as CheckElement;
    this.pauseButton = custom('vscode-button', { class: 'pause', 'aria-keyshortcuts': 'Space' });
    const clear = custom('vscode-button', { icon: 'clear-all', secondary: '', title: 'Clear the rows on screen (the hub keeps its log)' }, 'Clear');
    this.countsText = el('span', { class: 'counts' });
    this.droppedText = el('span', { class: 'dropped', role: 'status' });
    this.heldText = el('span', { class: 'held' });
    this.toast = el('div', { class: 'toast', role: 'status', 'aria-live': 'polite' });
    const toolbar = el(
      'header',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Monitor' },
      el('span', { class: 'hub' }, this.hubIcon, this.hubBadge),
      this.search,
      this.typeSelect,
      this.agentSelect,
      this.noise,
      this.pauseButton,
      clear,
    );
    const statusbar = el('footer', { class: 'statusbar' }, this.countsText, this.heldText, this.droppedText, this.toast);

    // --- panes ---
    this.table = new MessageTable(this.model, {
      onActivate: (seq, open) => this.select(seq, open),
      onFollowChange: (follow) => {
        this.ui.follow = follow;
        this.jumpButton.hidden = follow;
        this.saveSoon();
      },
    });
    this.jumpButton = custom('vscode-button', { class: 'jump', icon: 'arrow-down', title: 'Follow the newest messages (End)' }, 'Jump to latest');
    this.jumpButton.hidden = true;
    this.jumpButton.addEventListener('click', () => this.jumpToLatest());
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
    });
    this.body = el('main', { class: 'body' }, this.agents.element, this.table.element, this.detail.element);
    this.detail.element.prepend(this.makeResizer());
    // the Reconstruction pane takes the body's place while open; its toolbar button appears once there is a report
    this.reconstruction = new ReconstructionView({
      onAction: (action, id) => {
        const labels = { copyJson: 'Copy JSON', save: 'Save', handOver: 'Hand to agent', summarise: 'Summarise' } as const;
        const request_id = this.nextRequestId(labels[action]);
        this.source.send({ type: WebviewCommand.ReconstructionAction, request_id, action, reconstruction_id: id });
      },
      nameOf: (id) => {
        const n = this.model.displayName(id);
        return n === id ? undefined : n;
      },
    });
    this.reconstructionButton = custom(
      'vscode-button',
      { class: 'rc-open', icon: 'history', secondary: '', title: 'Show the last context reconstruction' },
      'Reconstruction',
    );
    this.reconstructionButton.hidden = true;
    this.reconstructionButton.addEventListener('click', () => this.setReconstructionOpen(this.reconstruction.element.hidden !== false));
    toolbar.append(this.reconstructionButton);
    root.replaceChildren(toolbar, this.body, this.reconstruction.element, statusbar);

    // --- wiring ---
    this.search.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.applyFilter({ ...this.ui.filter, text: this.search.value }), 120);
    });
    this.typeSelect.addEventListener('change', () => this.applyFilter({ ...this.ui.filter, type: this.typeSelect.value }));
    this.agentSelect.addEventListener('change', () => this.applyFilter({ ...this.ui.filter, agent: this.agentSelect.value }));
    this.noise.addEventListener('change', () => this.applyFilter({ ...this.ui.filter, showNoise: this.noise.checked }));
    this.pauseButton.addEventListener('click', () => this.setPaused(!this.ui.paused));
    clear.addEventListener('click', () => {
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
    this.search.value = this.ui.filter.text;
    this.noise.checked = this.ui.filter.showNoise;
    this.setFollow(this.ui.follow);
    this.table.setSelected(this.ui.selectedSeq);
    this.detail.setAgent(this.ui.agentId);
    this.agents.setSelected(this.ui.agentId);
    this.setDetailOpen(this.ui.detailOpen);
    this.detail.showTab(this.ui.detailTab);
    this.renderPause();
    this.renderHub();
    this.rebuildTypeOptions(true);
    this.rebuildAgentOptions(true);
    this.renderCounts();
  }

  receive(n: HostToWebview): void {
    const change = this.model.apply(n);
    if (change.result) this.onResult(change.result.request_id, change.result.ok, change.result.detail);
    if (change.revealAgent) this.showAgent(change.revealAgent);
    if (n.type === HostNotification.Snapshot) this.restoredSelection = false;
    if (n.type === HostNotification.Reconstruction) {
      this.reconstruction.show(n);
      this.reconstructionButton.hidden = false;
      // A new report opens the pane; a report re-sent to a reloaded webview (focus false) opens it only if it was
      // the view on screen before the reload (the webview is torn down whenever its tab is hidden).
      if (n.focus !== false || this.ui.reconstructionOpen) this.setReconstructionOpen(true);
    }
    this.markDirty(change);
  }

  stats(): { visible: number; buffered: number; dropped: number; held: number; agents: number; revision: number } {
    return {
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
    clearTimeout(this.toastTimer);
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
    const rowsDue = d.rows && now - this.lastRowsDraw >= ROWS_MIN_INTERVAL_MS;
    this.dirty = { rows: d.rows && !rowsDue, agents: false, hub: false };
    if (this.dirty.rows) this.frame = requestAnimationFrame(() => this.draw());
    if (d.hub) this.renderHub();
    if (rowsDue) {
      this.lastRowsDraw = now;
      if (!this.restoredSelection) this.restoreSelection();
      this.table.render(true);
      this.renderCounts();
      this.rebuildTypeOptions(false);
      if (!d.agents) this.detail.refresh();
    }
    if (d.agents) {
      this.agents.render(this.model.sortedAgents());
      this.rebuildAgentOptions(false);
      this.detail.refresh();
    }
  }

  private renderHub(): void {
    const h = this.model.hub;
    const running = h.state === 'running';
    this.hubIcon.className = `codicon codicon-${running ? 'plug' : h.state === 'connecting' ? 'sync' : 'debug-disconnect'} hub-${running ? 'up' : 'down'}`;
    const where = h.mode === 'attached' ? ' · attached' : h.mode === 'browser' ? ' · browser' : '';
    setText(this.hubBadge, `${h.hub_id ?? 'hub'} · ${h.state}${where}`);
    this.hubBadge.title = h.agent_url ? `Agents connect to ${h.agent_url}` : '';
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
    setText(this.countsText, `${fmt(m.visibleCount)} shown · ${fmt(m.bufferedCount)} kept (max ${fmt(m.capacity)})`);
    const dropped = m.droppedCount;
    this.droppedText.hidden = dropped === 0;
    setText(this.droppedText, dropped ? `${fmt(dropped)} older messages dropped from view` : '');
    this.heldText.hidden = !this.ui.paused;
    setText(this.heldText, this.ui.paused ? `Paused · ${fmt(m.heldCount)} new waiting` : '');
  }

  private renderPause(): void {
    const p = this.ui.paused;
    this.pauseButton.setAttribute('icon', p ? 'debug-start' : 'debug-pause');
    setText(this.pauseButton, p ? 'Resume' : 'Pause');
    this.pauseButton.title = p ? 'Resume the live view (Space)' : 'Pause the live view (Space)';
    this.pauseButton.setAttribute('aria-pressed', String(p));
    this.body.classList.toggle('paused', p);
  }

  /** Replaces a select's options only when the set changed (rebuilding on every frame would fight the user). */
  private setOptions(select: ValueElement, options: [string, string][], current: string): void {
    const children = options.map(([value, label]) => {
      const o = custom('vscode-option', { value }, label);
      if (value === current) o.setAttribute('selected', '');
      return o;
    });
    select.replaceChildren(...children);
    // the widget reads its options on slot change; set the value after it has
    queueMicrotask(() => {
      select.value = current;
    });
  }

  private rebuildTypeOptions(force: boolean): void {
    const types = [...this.model.types];
    if (this.ui.filter.type && !this.model.types.has(this.ui.filter.type)) types.push(this.ui.filter.type);
    types.sort();
    const sig = types.join(',');
    if (!force && sig === this.typeSignature) return;
    this.typeSignature = sig;
    this.setOptions(this.typeSelect, [['', 'All types'], ...types.map((t): [string, string] => [t, t])], this.ui.filter.type);
  }

  private rebuildAgentOptions(force: boolean): void {
    const agents = [...this.model.agents.values()].sort((a, b) => a.agent_name.localeCompare(b.agent_name));
    const opts: [string, string][] = agents.map((a) => [a.agent_id, `${a.agent_name} (${a.agent_id})`]);
    const cur = this.ui.filter.agent;
    if (cur && !this.model.agents.has(cur)) opts.push([cur, cur]);
    const sig = opts.map((o) => o[1]).join('\u0000');
    if (!force && sig === this.agentSignature) return;
    this.agentSignature = sig;
    this.setOptions(this.agentSelect, [['', 'All agents'], ...opts], cur);
  }

  // --- actions -------------------------------------------------------------------------------------------------

  private applyFilter(f: UiState['filter']): void {
    this.ui.filter = { ...f };
    this.model.setFilter(this.ui.filter);
    if (this.search.value !== f.text) this.search.value = f.text;
    if (this.typeSelect.value !== f.type) this.typeSelect.value = f.type;
    if (this.agentSelect.value !== f.agent) this.rebuildAgentOptions(true);
    if (this.noise.checked !== f.showNoise) this.noise.checked = f.showNoise;
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

  /** A drag handle (and arrow keys) for the detail pane's width, kept in the UI state. */
  private makeResizer(): HTMLElement {
    const handle = el('div', {
      class: 'resizer',
      role: 'separator',
      'aria-orientation': 'vertical',
      'aria-label': 'Resize the detail pane',
      tabindex: '0',
    });
    const apply = (px: number): void => {
      // leave the agent list and a table wide enough for all its columns
      const max = Math.max(MIN_DETAIL_PX, this.body.clientWidth - 740);
      const w = Math.round(Math.min(max, Math.max(MIN_DETAIL_PX, px)));
      this.ui.detailWidth = w;
      this.body.style.setProperty('--detail-w', `${w}px`);
      handle.setAttribute('aria-valuenow', String(w));
      this.markDirty({ rows: true, agents: false, hub: false });
      this.saveSoon();
    };
    handle.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      handle.setPointerCapture(e.pointerId);
      const right = this.body.getBoundingClientRect().right;
      const move = (ev: PointerEvent): void => apply(right - ev.clientX);
      const up = (): void => {
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', up);
        handle.removeEventListener('pointercancel', up);
      };
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', up);
      handle.addEventListener('pointercancel', up);
    });
    handle.addEventListener('keydown', (e) => {
      const step = e.shiftKey ? 80 : 20;
      const cur = this.detail.element.getBoundingClientRect().width;
      if (e.key === 'ArrowLeft') apply(cur + step);
      else if (e.key === 'ArrowRight') apply(cur - step);
      else return;
      e.preventDefault();
      e.stopPropagation();
    });
    if (this.ui.detailWidth !== null) {
      this.body.style.setProperty('--detail-w', `${this.ui.detailWidth}px`);
    }
    return handle;
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
    this.reconstructionButton.setAttribute('aria-pressed', String(show));
    this.reconstructionButton.setAttribute('icon', show ? 'arrow-left' : 'history');
    setText(this.reconstructionButton, show ? 'Messages' : 'Reconstruction');
    if (show) this.reconstruction.element.focus();
    else this.markDirty({ rows: true, agents: true, hub: false });
  }

  private closeDetail(): void {
    this.setDetailOpen(false);
    this.table.focus();
  }

  private nextRequestId(label: string): string {
    const id = `r${++this.requestCounter}`;
    this.pending.set(id, label);
    if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    return id;
  }

  private sendMessage(message: SendMessageInput): void {
    const name = this.model.agents.get(message.receiver_id)?.agent_name || message.receiver_id;
    const request_id = this.nextRequestId(`Message to ${name}`);
    this.showToast(`Sending to ${name}…`, 'info');
    this.source.send({ type: WebviewCommand.SendMessage, request_id, message });
  }

  private control(action: ControlAction, agentId: string): void {
    const name = this.model.agents.get(agentId)?.agent_name || agentId;
    const request_id = this.nextRequestId(`${action[0]!.toUpperCase()}${action.slice(1)} ${name}`);
    this.source.send({ type: WebviewCommand.ControlAgent, request_id, action, agent_id: agentId });
  }

  private onResult(requestId: string, ok: boolean, detail?: string): void {
    const label = this.pending.get(requestId) ?? 'The hub';
    this.pending.delete(requestId);
    if (ok) this.showToast(`${label}: done${detail ? ` (${detail})` : ''}`, 'info');
    else this.showToast(`${label} failed: ${detail ?? 'unknown error'}`, 'error');
  }

  private showToast(text: string, kind: 'info' | 'error'): void {
    clearTimeout(this.toastTimer);
    this.toast.className = `toast toast-${kind}`;
    this.toast.replaceChildren(icon(kind === 'error' ? 'error' : 'info'), ` ${text}`);
    this.toastTimer = setTimeout(() => this.toast.replaceChildren(), kind === 'error' ? 12_000 : 4_000);
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
        this.search.focus();
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
