// The detail pane: three tabs — the selected message's full JSON, its thread as a sequence diagram, and one
// agent's detail (presence, last seen, counts, status lines) with actions that become commands to the host.

import type { LogEntry } from '../../protocol/logEntry';
import type { ControlAction, SendMessageInput } from '../../protocol/messageTypes';
import type { MonitorAgent } from '../../protocol/webviewMessages';
import type { MonitorModel } from '../monitorModel';
import type { DetailTab } from '../uiState';
import { buildSequence, extractThread, isThreadable } from '../threads';
import { formatAgo, formatTime, fromOf, safeJson, toOf } from '../rowModel';
import { custom, el, icon } from './dom';
import { renderSequenceDiagram } from './sequenceDiagram';
import { deliverySummary } from '../deliveries';
import { PRESENCE_ICON, presenceOf } from './agentList';
import type { AgentStreamView } from './agentStreamView';
import type { DebugView } from './debugView';

/** The thread diagram is laid out again when its box's width changes by more than this. */
const DIAGRAM_REFIT_PX = 8;

export interface DetailCallbacks {
  onSelectSeq(seq: number): void;
  onTab(tab: DetailTab): void;
  onClose(): void;
  onFilterAgent(agentId: string): void;
  onShowAgent(agentId: string): void;
  onSend(message: SendMessageInput): void;
  onControl(action: ControlAction, agentId: string): void;
  /** The live stream part of the Agent tab (approvals, context), when the host streams agents. */
  stream?: AgentStreamView;
  /** The message debugger's part of the Message tab (held actions, breakpoints), when the host has a debugger. */
  debug?: DebugView;
}

const TAB_ORDER: DetailTab[] = ['message', 'thread', 'agent'];
/** How often a busy agent's pane may redraw. */
const AGENT_REFRESH_MS = 250;

export class DetailPane {
  readonly element: HTMLElement;
  private readonly tabs: HTMLElement;
  private readonly messagePanel: HTMLElement;
  private readonly threadPanel: HTMLElement;
  private readonly agentPanel: HTMLElement;
  private tab: DetailTab = 'message';
  private entry: LogEntry | undefined;
  private agentId: string | null = null;
  private threadSeed: LogEntry | undefined;
  private agentRendered = '';
  private agentRenderedAt = 0;
  private readonly agentInfo = el('div', { class: 'agent-info' });
  private readonly agentComposer = el('div', { class: 'agent-composer' });
  private readonly agentActivityList = el('div', { class: 'agent-activity' });
  private composerFor: string | null = null;
  /** Watches the thread diagram's box, to fit its lanes to the width it gets. */
  private diagramSize: ResizeObserver | undefined;

  constructor(
    private readonly model: MonitorModel,
    private readonly cb: DetailCallbacks,
  ) {
    this.messagePanel = custom('vscode-tab-panel', { class: 'panel-message' });
    this.threadPanel = custom('vscode-tab-panel', { class: 'panel-thread' });
    this.agentPanel = custom('vscode-tab-panel', { class: 'panel-agent' });
    this.tabs = custom(
      'vscode-tabs',
      { 'aria-label': 'Detail' },
      custom('vscode-tab-header', { slot: 'header', class: 'tab-message' }, 'Message'),
      this.messagePanel,
      custom('vscode-tab-header', { slot: 'header', class: 'tab-thread' }, 'Thread'),
      this.threadPanel,
      custom('vscode-tab-header', { slot: 'header', class: 'tab-agent' }, 'Agent'),
      this.agentPanel,
    );
    this.tabs.addEventListener('vsc-tabs-select', (e) => {
      const idx = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
      const t = TAB_ORDER[idx];
      if (t && t !== this.tab) {
        this.tab = t;
        this.cb.onTab(t);
        this.render();
      }
    });
    const close = custom('vscode-toolbar-button', { icon: 'close', label: 'Close details (Esc)', title: 'Close details (Esc)', class: 'close' });
    close.addEventListener('click', () => this.cb.onClose());
    this.element = el('aside', { class: 'detail', 'aria-label': 'Details', role: 'complementary' }, close, this.tabs);
  }

  get currentTab(): DetailTab {
    return this.tab;
  }

  showTab(tab: DetailTab): void {
    this.tab = tab;
    this.tabs.setAttribute('selected-index', String(TAB_ORDER.indexOf(tab)));
    (this.tabs as HTMLElement & { selectedIndex: number }).selectedIndex = TAB_ORDER.indexOf(tab);
    this.render();
  }

  setEntry(entry: LogEntry | undefined): void {
    this.entry = entry;
    if (this.tab === 'message' || this.tab === 'thread') this.render();
  }

  setAgent(agentId: string | null): void {
    this.agentId = agentId;
    this.agentRendered = '';
    if (this.tab === 'agent') this.render();
  }

  /** The thread tab follows the message it was opened from until another thread is asked for. */
  openThread(entry: LogEntry): void {
    this.threadSeed = entry;
    this.showTab('thread');
  }

  /** The message debugger's picture changed: redraw the Message tab if its debugger part differs (issue 20). */
  refreshDebug(): void {
    if (this.tab === 'message' && this.cb.debug?.changedFor(this.entry)) this.renderMessage();
  }

  /** Live data changed: redraw what depends on it (agent tab, a growing thread). */
  refresh(): void {
    if (this.tab === 'agent') this.renderAgent(false);
  }

  render(): void {
    if (this.tab === 'message') this.renderMessage();
    else if (this.tab === 'thread') this.renderThread();
    else this.renderAgent(true);
  }

  private renderMessage(): void {
    const e = this.entry;
    const p = this.messagePanel;
    p.replaceChildren();
    if (!e) {
      p.append(el('p', { class: 'hint' }, 'Select a row (click, or arrow keys then Enter) to see the whole message.'));
      return;
    }
    const from = fromOf(e);
    const to = toOf(e);
    const meta = el('dl', { class: 'meta' });
    const add = (k: string, v: string | undefined | null): void => {
      if (v === undefined || v === null || v === '') return;
      meta.append(el('dt', {}, k), el('dd', {}, v));
    };
    add('Seq', String(e.seq));
    add('Time', `${new Date(e.time).toISOString()} (${formatTime(e.time)})`);
    add('Direction', e.direction === 'in' ? 'into the hub' : e.direction === 'out' ? 'out of the hub' : 'hub internal');
    add('Type', e.message_type);
    add('From', from);
    add('To', to);
    const delivery = this.model.deliveryOf(e);
    if (delivery) add('Delivery', deliverySummary(delivery, (id) => this.model.displayName(id)));
    add('Connection', e.client_id ? `${e.client_id}${e.role ? ' (' + e.role + ')' : ''}` : undefined);
    add('Message id', e.message_id);
    add('In reply to', e.in_reply_to_message_id);
    add('Thread', e.thread);
    add('Session', e.session_id);
    add('Size', `${e.size} bytes${e.truncated ? ' (body truncated by the hub)' : ''}`);
    const actions = el('div', { class: 'actions' });
    if (isThreadable(e)) {
      const b = custom('vscode-button', { icon: 'type-hierarchy-sub', secondary: '' }, 'Show thread');
      b.addEventListener('click', () => this.openThread(e));
      actions.append(b);
    }
    const agentIds = [from, to].filter((id) => this.model.agents.has(id));
    for (const id of agentIds) {
      const b = custom('vscode-button', { icon: 'person', secondary: '' }, this.model.agents.get(id)!.agent_name || id);
      b.title = `Show agent ${id}`;
      b.addEventListener('click', () => this.cb.onShowAgent(id));
      actions.append(b);
    }
    p.append(meta, actions);
    if (this.cb.debug) p.append(...this.cb.debug.forEntry(e));
    // Replying goes to whoever sent it, in the same thread, when that is an agent we can reach.
    if (this.model.agents.has(from) && e.message_id) {
      p.append(
        this.composer(`Reply to ${this.model.agents.get(from)!.agent_name || from}…`, (text) =>
          this.cb.onSend({ receiver_id: from, text_payload: text, in_reply_to_message_id: e.message_id, ...(e.thread ? { thread: e.thread } : {}) }),
        ),
      );
    }
    p.append(el('pre', { class: 'json', tabindex: '0', 'aria-label': 'Message JSON' }, safeJson(e, 2)));
  }

  private renderThread(): void {
    const p = this.threadPanel;
    p.replaceChildren();
    const seed = this.threadSeed ?? this.entry;
    if (!seed || !isThreadable(seed)) {
      p.append(el('p', { class: 'hint' }, 'Select a chat message and choose "Show thread" (or press t) to see its conversation as a sequence diagram.'));
      return;
    }
    const thread = extractThread(this.model.entries(), seed);
    const seq = buildSequence(thread);
    const summary = `${seq.messages.length} message${seq.messages.length === 1 ? '' : 's'} between ${seq.participants.length} participant${seq.participants.length === 1 ? '' : 's'}`;
    const refresh = custom('vscode-toolbar-button', { icon: 'refresh', label: 'Refresh thread', title: 'Refresh thread' });
    refresh.addEventListener('click', () => this.renderThread());
    p.append(el('div', { class: 'thread-head' }, el('span', {}, summary), refresh));
    if (seq.omitted) p.append(el('p', { class: 'hint' }, `${seq.omitted} later messages are not drawn.`));
    const nameOf = (id: string): string => this.model.displayName(id);
    const box = el('div', { class: 'diagram' });
    p.append(box);
    // The lanes close up to the box's width: drawn again when the box gets one (the tab is shown, the pane resized).
    let drawnFor = -1;
    const draw = (fit: number): void => {
      drawnFor = fit;
      box.replaceChildren(
        renderSequenceDiagram(seq, {
          selectedSeq: this.entry?.seq ?? null,
          nameOf,
          onSelect: (s) => this.cb.onSelectSeq(s),
          ...(fit > 0 ? { fitWidth: fit } : {}),
        }),
      );
    };
    draw(0);
    this.diagramSize?.disconnect();
    this.diagramSize = new ResizeObserver(() => {
      const fit = box.clientWidth;
      if (fit > 0 && Math.abs(fit - drawnFor) > DIAGRAM_REFIT_PX) draw(fit);
    });
    this.diagramSize.observe(box);
  }

  private renderAgent(force: boolean): void {
    const id = this.agentId;
    // the stream part redraws on its own key (a diff to the context, an approval) and keeps a typed note
    this.cb.stream?.setAgent(id);
    this.cb.stream?.render();
    const a = id ? this.model.agents.get(id) : undefined;
    const counts = id ? this.model.agentCounts(id) : undefined;
    const activity = id ? this.model.agentActivity(id) : [];
    // Redraw only when something shown changed (the composer keeps its text otherwise).
    const key = a ? JSON.stringify([a, counts, activity.length, activity[activity.length - 1]?.time]) : String(id);
    if (!force && key === this.agentRendered) return;
    // a busy agent changes every frame: redraw its pane a few times a second at most
    const now = Date.now();
    if (!force && now - this.agentRenderedAt < AGENT_REFRESH_MS) return;
    this.agentRendered = key;
    this.agentRenderedAt = now;
    const p = this.agentPanel;
    if (!id || !a) {
      this.composerFor = null;
      p.replaceChildren(
        el('p', { class: 'hint' }, id ? `Agent ${id} is not known to this hub (any more).` : 'Pick an agent in the list on the left to see its detail.'),
      );
      return;
    }
    const stream = this.cb.stream;
    if (p.firstElementChild !== this.agentInfo) p.replaceChildren(this.agentInfo, ...(stream ? [stream.element] : []), this.agentComposer, this.agentActivityList);
    // The composer is built once per agent so that redraws never take the text (or the focus) from someone typing.
    if (this.composerFor !== a.agent_id) {
      this.composerFor = a.agent_id;
      this.agentComposer.replaceChildren(
        this.composer(`Message to ${a.agent_name || a.agent_id}…`, (text) => this.cb.onSend({ receiver_id: a.agent_id, text_payload: text })),
      );
    }
    const presence = presenceOf(a);
    const title = el(
      'h3',
      { class: 'agent-title' },
      icon(PRESENCE_ICON[presence], presence),
      ` ${a.agent_name || a.agent_id} `,
      el('span', { class: `pill presence-${presence}` }, presence),
    );
    const meta = el('dl', { class: 'meta' });
    const add = (k: string, v: string | number | undefined | null): void => {
      if (v === undefined || v === null || v === '') return;
      meta.append(el('dt', {}, k), el('dd', {}, String(v)));
    };
    add('Id', a.agent_id);
    add('Last seen', a.last_seen ? `${formatAgo(a.last_seen)} (${a.last_seen})` : 'never');
    add('Connected', a.connected_at ? `${formatAgo(a.connected_at)}` : undefined);
    add('Namespace', a.namespace);
    add('Hub', a.hub_id);
    add('Address', a.remote_address);
    add('Messages (hub)', a.messages_in !== undefined ? `${a.messages_in} in · ${a.messages_out ?? 0} out` : undefined);
    add('Frames seen here', counts ? `${counts.sent} from it · ${counts.received} to it` : undefined);
    add('Held for it', a.held_messages);
    add('Status', a.last_status_text ?? a.status_text);

    const actions = el('div', { class: 'actions' });
    const ctl = (label: string, iconName: string, action: ControlAction, secondary = true): void => {
      const b = custom('vscode-button', { icon: iconName, ...(secondary ? { secondary: '' } : {}) }, label);
      b.addEventListener('click', () => this.cb.onControl(action, a.agent_id));
      actions.append(b);
    };
    if (presence === 'paused') ctl('Resume', 'debug-start', 'resume', false);
    else if (presence === 'online') ctl('Pause', 'debug-pause', 'pause');
    if (presence !== 'offline') ctl('Deregister', 'debug-disconnect', 'deregister');
    const filt = custom('vscode-button', { icon: 'filter', secondary: '' }, 'Filter table');
    filt.addEventListener('click', () => this.cb.onFilterAgent(a.agent_id));
    actions.append(filt);
    this.agentInfo.replaceChildren(title, meta, actions);

    const list: (HTMLElement | string)[] = [el('h4', {}, 'Status lines and events')];
    if (!activity.length) list.push(el('p', { class: 'hint' }, 'None seen yet.'));
    else {
      const ul = el('ul', { class: 'activity', 'aria-label': 'Status lines and events' });
      for (let i = activity.length - 1; i >= 0; i--) {
        const x = activity[i]!;
        ul.append(
          el(
            'li',
            { class: `activity-${x.kind}` },
            el('span', { class: 'activity-time' }, formatTime(x.time)),
            icon(x.kind === 'status' ? 'comment' : 'zap'),
            el('span', { class: 'activity-text' }, x.text),
            x.session_id ? el('span', { class: 'activity-session' }, x.session_id) : '',
          ),
        );
      }
      list.push(ul);
    }
    this.agentActivityList.replaceChildren(...list);
  }

  private composer(placeholder: string, send: (text: string) => void): HTMLElement {
    const field = custom('vscode-textfield', { placeholder, 'aria-label': placeholder }) as HTMLElement & { value: string };
    const button = custom('vscode-button', { icon: 'send' }, 'Send');
    const go = (): void => {
      const text = field.value.trim();
      if (!text) return;
      send(text);
      field.value = '';
    };
    button.addEventListener('click', go);
    field.addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Enter') {
        e.preventDefault();
        go();
      }
    });
    return el('div', { class: 'composer' }, field, button);
  }
}
