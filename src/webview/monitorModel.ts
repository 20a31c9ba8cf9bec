// The monitor's state and how each host notification changes it: a bounded ring of log entries, the filtered view
// over it (absolute indexes, appended incrementally), pause with a bounded hold, agents, per-agent status lines and
// counts. Pure: no DOM, so the webview's message handling is tested in plain Node.

import { isLogEntry, type LogEntry } from '../protocol/logEntry';
import {
  HostNotification,
  type HostToWebview,
  type MonitorAgent,
  type MonitorHubInfo,
} from '../protocol/webviewMessages';
import { HUB_USER_ID, HUB_USER_NAME } from '../protocol/messageTypes';
import { compareAgents, distinctNames } from '../protocol/agentNames';
import { RingBuffer } from './ringBuffer';
import { compileFilter, EMPTY_FILTER, topicsOfEntry, type EntryPredicate, type FilterState } from '../protocol/filter';
import { olderTopicEntries, topicIdOf } from './topicRows';
import { DeliveryIndex, type Delivery } from './deliveries';

export const DEFAULT_CAPACITY = 20_000;
/** Status lines and events kept per agent for the detail pane. */
export const ACTIVITY_PER_AGENT = 50;
/** Agents whose activity we track; the oldest-tracked one is forgotten beyond this. */
export const MAX_TRACKED_AGENTS = 5_000;
/** Distinct message types offered in the type filter. */
export const MAX_TYPES = 256;
/** Front-end, monitor and broker names remembered from registrations in the stream (oldest forgotten first). */
export const MAX_CLIENT_NAMES = 2000;
/** Distinct topics (`namespace:topic`) offered in the topic filter. */
export const MAX_TOPICS = 512;
/** Older topic messages ("Load older" pages) kept for the chosen topic. */
export const MAX_OLDER_TOPIC_MESSAGES = 10_000;

export interface AgentActivity {
  time: number;
  kind: 'status' | 'event';
  text: string;
  session_id?: string;
}

export interface AgentCounts {
  /** Frames this monitor saw arrive from the agent's connection. */
  sent: number;
  /** Frames this monitor saw the hub deliver to it. */
  received: number;
}

/** What a notification changed, so the view redraws only that. */
export interface ModelChange {
  rows: boolean;
  agents: boolean;
  hub: boolean;
  revealAgent?: string;
  result?: { request_id: string; ok: boolean; detail?: string };
}

const NO_CHANGE: ModelChange = Object.freeze({ rows: false, agents: false, hub: false });

export class MonitorModel {
  hub: MonitorHubInfo = { hub_id: null, state: 'connecting', mode: 'browser' };
  readonly agents = new Map<string, MonitorAgent>();
  /** Names of clients that are not agents, learnt from their registration responses. */
  readonly clientNames = new Map<string, string>();
  readonly activity = new Map<string, AgentActivity[]>();
  readonly counts = new Map<string, AgentCounts>();
  readonly types = new Set<string>();
  /** Topics (`namespace:topic`, seed 004) seen in the stream, offered in the topic filter. */
  readonly topics = new Set<string>();
  /** Older messages of the chosen topic that "Load older" fetched (oldest first, negative seqs), shown before the rows. */
  private older: LogEntry[] = [];
  private olderShown: LogEntry[] = [];
  private nextOlderSeq = -1;
  /** False once the hub answered a page with fewer messages than asked for: the topic's beginning is on screen. */
  private olderMore = true;  /** Each message's out-frames, folded into its row unless the raw rows are asked for. */
  private readonly deliveries: DeliveryIndex;
  private readonly buffer: RingBuffer<LogEntry>;
  private readonly held: RingBuffer<LogEntry>;
  /** Absolute buffer indexes of entries that pass the filter; entries before viewHead are stale. */
  private view: number[] = [];
  private viewHead = 0;
  /** Visible rows that fell out of the ring since the table last asked (it scrolls up by as many to stay put). */
  private trimmedRows = 0;
  private predicate: EntryPredicate = compileFilter(EMPTY_FILTER);
  private filterState: FilterState = { ...EMPTY_FILTER };
  private isPaused = false;
  private lastSeq = -1;
  /** Entries the host or the hub could not deliver (slow consumer), as reported to us. */
  private upstreamDropped = 0;
  /** Agents' shown names, recomputed after the agents change. */
  private agentNames: Map<string, string> | undefined;
  /** Bumped whenever the rows on screen may differ. */
  revision = 0;

  constructor(readonly capacity = DEFAULT_CAPACITY) {
    this.buffer = new RingBuffer<LogEntry>(capacity);
    this.held = new RingBuffer<LogEntry>(capacity);
    this.deliveries = new DeliveryIndex(capacity);
  }

  // --- reading -------------------------------------------------------------------------------------------------

  get filter(): Readonly<FilterState> {
    return this.filterState;
  }
  get paused(): boolean {
    return this.isPaused;
  }
  /** Rows that pass the filter and are still held. */
  get visibleCount(): number {
    this.trimView();
    return this.olderShown.length + this.view.length - this.viewHead;
  }
  /** Whether "Load older" may find more of the chosen topic. */
  get canLoadOlder(): boolean {
    return (this.filterState.topic ?? '') !== '' && this.olderMore;
  }
  /** The oldest topic message id on screen for the chosen topic (HISTORY's before_id), or undefined for none. */
  oldestTopicId(): string | undefined {
    if (this.older.length) return this.older[0]!.message_id;
    const n = this.visibleCount;
    for (let i = 0; i < n; i++) {
      const id = topicIdOf(this.rowAt(i)!);
      if (id) return id;
    }
    return undefined;
  }
  /** Entries held in the ring (before filtering). */
  get bufferedCount(): number {
    return this.buffer.size;
  }
  /** Entries that arrived while paused and wait for resume. */
  get heldCount(): number {
    return this.held.size;
  }
  /** "N older messages dropped from view": evicted from the ring, lost from the pause hold, or never delivered. */
  get droppedCount(): number {
    return this.buffer.dropped + this.held.dropped + this.upstreamDropped;
  }

  /** The i-th visible row (0 = oldest). */
  rowAt(i: number): LogEntry | undefined {
    this.trimView();
    if (i < this.olderShown.length) return this.olderShown[i];
    const abs = this.view[this.viewHead + i - this.olderShown.length];
    return abs === undefined ? undefined : this.buffer.get(abs);
  }

  /** Every held entry, oldest first (thread extraction searches these). */
  *entries(): IterableIterator<LogEntry> {
    yield* this.older;
    yield* this.buffer;
  }

  /** The seq of the row that stands for a message (its first entry), while the delivery index remembers it. */
  leadSeqOf(messageId: string): number | undefined {
    return this.deliveries.get(messageId)?.leadSeq;
  }

  /** The entry with this seq if still held (binary search: the ring is in seq order). */
  entryBySeq(seq: number): LogEntry | undefined {
    if (seq < 0) return this.older.find((e) => e.seq === seq);
    const abs = this.absIndexOfSeq(seq);
    return abs === undefined ? undefined : this.buffer.get(abs);
  }

  /** Position of the entry with this seq among the visible rows, or -1. */
  visibleIndexOfSeq(seq: number): number {
    if (seq < 0) return this.olderShown.findIndex((e) => e.seq === seq);
    const abs = this.absIndexOfSeq(seq);
    if (abs === undefined) return -1;
    this.trimView();
    const before = this.olderShown.length;
    let lo = this.viewHead;
    let hi = this.view.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.view[mid]!;
      if (v === abs) return mid - this.viewHead + before;
      if (v < abs) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** How many visible rows left from the top since the last call (evicted by the ring). */
  takeTrimmedRows(): number {
    this.trimView();
    const n = this.trimmedRows;
    this.trimmedRows = 0;
    return n;
  }

  /** What the hub did with this entry's message: delivered, copied, held, failed, and how long it took. */
  deliveryOf(e: LogEntry): Delivery | undefined {
    const d = this.deliveries.get(e.message_id);
    return d && d.leadSeq === e.seq ? d : undefined;
  }

  agentActivity(agentId: string): readonly AgentActivity[] {
    return this.activity.get(agentId) ?? [];
  }
  agentCounts(agentId: string): AgentCounts {
    return this.counts.get(agentId) ?? { sent: 0, received: 0 };
  }
  /** Agents by name, then id, as the Agents tree lists them: a presence change never moves a row (the icon shows it). */
  sortedAgents(): MonitorAgent[] {
    return [...this.agents.values()].sort(compareAgents);
  }

  // --- changing ------------------------------------------------------------------------------------------------

  apply(n: HostToWebview): ModelChange {
    switch (n.type) {
      case HostNotification.Snapshot:
        this.reset();
        this.hub = { ...n.hub };
        this.replaceAgents(n.agents);
        this.ingestAll(n.entries, true);
        return { rows: true, agents: true, hub: true };
      case HostNotification.Entries: {
        if (typeof n.dropped === 'number' && n.dropped > 0) this.upstreamDropped += n.dropped;
        const added = this.ingestAll(n.entries, false);
        // per-agent activity changed too, but that shows only in the detail pane, which redraws with the rows
        return { rows: added > 0 || (n.dropped ?? 0) > 0, agents: false, hub: false };
      }
      case HostNotification.Agents:
        if (n.full) this.replaceAgents(n.agents);
        else for (const a of n.agents) if (isAgent(a)) this.agents.set(a.agent_id, { ...this.agents.get(a.agent_id), ...a });
        this.agentNames = undefined;
        return { rows: false, agents: true, hub: false };
      case HostNotification.Hub: {
        // A different hub (restart with a new id) numbers its log from scratch: forget the duplicate guard.
        if (n.hub.hub_id && this.hub.hub_id && n.hub.hub_id !== this.hub.hub_id) this.lastSeq = -1;
        this.hub = { ...n.hub };
        return { rows: false, agents: false, hub: true };
      }
      case HostNotification.CommandResult:
        return { ...NO_CHANGE, result: { request_id: n.request_id, ok: n.ok, detail: n.detail } };
      case HostNotification.RevealAgent:
        return { ...NO_CHANGE, revealAgent: n.agent_id };
      case HostNotification.TopicHistory:
        return { rows: this.addOlder(n.topic, n.messages, n.limit), agents: false, hub: false };
      default:
        return NO_CHANGE;
    }
  }

  setFilter(f: FilterState): void {
    if ((f.topic ?? '') !== (this.filterState.topic ?? '')) {
      this.older = [];
      this.olderMore = true;
    }
    this.filterState = { ...f };
    this.predicate = compileFilter(this.filterState);
    this.rebuildView();
  }

  /** Pausing freezes the rows; entries keep arriving into a bounded hold and land on resume. */
  setPaused(paused: boolean): void {
    if (paused === this.isPaused) return;
    this.isPaused = paused;
    if (!paused) {
      for (const e of this.held) this.store(e);
      // the hold's losses stay counted in droppedCount through upstreamDropped
      this.upstreamDropped += this.held.dropped;
      this.held.clear();
      this.revision++;
    }
  }

  /** Clears the rows on screen (not the hub's log). */
  clearView(): void {
    this.older = [];
    this.olderShown = [];
    this.olderMore = true;
    this.buffer.clear();
    this.held.clear();
    this.upstreamDropped = 0;
    this.view = [];
    this.viewHead = 0;
    this.trimmedRows = 0;
    this.revision++;
  }

  // --- internals -----------------------------------------------------------------------------------------------

  /** A page of the chosen topic's older messages: those not on screen yet go before the rows, in order. */
  private addOlder(topic: string, messages: readonly Record<string, unknown>[], asked: number | undefined): boolean {
    if (topic !== (this.filterState.topic ?? '')) return false;
    if (asked !== undefined && messages.length < asked) this.olderMore = false;
    const known = new Set<string>();
    for (const e of this.entries()) {
      const id = topicIdOf(e);
      if (id) known.add(id);
    }
    const page = olderTopicEntries(messages, this.nextOlderSeq, known);
    if (!page.length) return asked !== undefined;
    this.nextOlderSeq = page[0]!.seq - 1;
    this.older = [...page, ...this.older].slice(0, MAX_OLDER_TOPIC_MESSAGES);
    this.olderShown = this.older.filter((e) => this.predicate(e));
    this.revision++;
    return true;
  }

  private reset(): void {
    this.clearView();
    this.lastSeq = -1;
    this.activity.clear();
    this.counts.clear();
    this.deliveries.clear();
  }

  private replaceAgents(list: readonly MonitorAgent[]): void {
    this.agentNames = undefined;
    this.agents.clear();
    for (const a of list) if (isAgent(a)) this.agents.set(a.agent_id, { ...a });
  }

  /** Returns how many entries were new. */
  private ingestAll(list: readonly unknown[], fromSnapshot: boolean): number {
    let added = 0;
    if (!fromSnapshot) this.detectRestartedLog(list);
    for (const raw of list) {
      if (!isLogEntry(raw)) continue;
      if (!fromSnapshot && raw.seq <= this.lastSeq) continue; // a backlog re-sent after a reconnect
      this.lastSeq = Math.max(this.lastSeq, raw.seq);
      this.track(raw);
      if (this.isPaused && !fromSnapshot) this.held.push(raw);
      else this.store(raw);
      added++;
    }
    if (added) this.revision++;
    return added;
  }

  /** A batch that starts at or below the newest seq we hold is normally a backlog re-sent after a reconnect (its
   *  entries are skipped as duplicates). But when its first entry is newer than everything we hold, or differs from
   *  the entry we hold under that seq, the hub's log started again from 1 (a restart under the same hub id): start
   *  the picture again too, rather than skipping the new log until it passes the old numbers. */
  private detectRestartedLog(list: readonly unknown[]): void {
    const first = list.find(isLogEntry);
    if (!first || first.seq > this.lastSeq || this.buffer.size === 0) return;
    const newest = this.buffer.get(this.buffer.end - 1)!;
    const held = this.entryBySeq(first.seq);
    const differs = held !== undefined && (held.time !== first.time || held.message_type !== first.message_type);
    if (first.time > newest.time || differs) {
      this.clearView();
      this.lastSeq = -1;
    }
  }

  /** The filter, and one row per message unless the raw in/out rows are asked for. */
  private shows(e: LogEntry): boolean {
    return this.predicate(e) && (this.filterState.raw || !this.deliveries.isFollower(e));
  }

  private store(e: LogEntry): void {
    const abs = this.buffer.end;
    this.buffer.push(e);
    if (this.shows(e)) this.view.push(abs);
  }

  /** Per-agent derived state: kept live even while the table is paused. */
  /** An agent's name (with a short id suffix where two agents share it), else the name a front-end, monitor or
   *  broker registered with (seen in the stream), else the id. */
  /** The name in the table's narrow From/To cells: the person is "You" there (the tooltip has the full name). */
  columnName(id: string): string {
    return id === HUB_USER_ID ? 'You' : this.displayName(id);
  }

  /** The shown name when the model knows one (the reconstruction report falls back to the id itself). */
  knownName(id: string): string | undefined {
    const n = this.displayName(id);
    return n === id ? undefined : n;
  }

  displayName(id: string): string {
    this.agentNames ??= distinctNames([...this.agents.values()]);
    return this.agentNames.get(id) || this.clientNames.get(id) || (id === HUB_USER_ID ? HUB_USER_NAME : id);
  }

  private learnClientName(e: LogEntry): void {
    const b = e.body;
    const pairs: [unknown, unknown][] = [
      [b.frontend_id, b.frontend_name],
      [b.monitor_id, b.monitor_name],
      [b.broker_id, b.broker_name],
    ];
    for (const [id, name] of pairs) {
      if (typeof id !== 'string' || typeof name !== 'string' || !name) continue;
      if (this.clientNames.size >= MAX_CLIENT_NAMES && !this.clientNames.has(id)) {
        this.clientNames.delete(this.clientNames.keys().next().value as string);
      }
      this.clientNames.set(id, name);
    }
  }

  private track(e: LogEntry): void {
    this.deliveries.observe(e);
    if (this.types.size < MAX_TYPES) this.types.add(e.message_type);
    if (this.topics.size < MAX_TOPICS) {
      for (const t of topicsOfEntry(e, (id) => this.agents.get(id)?.namespace)) if (!t.startsWith('*:')) this.topics.add(t);
    }
    if (e.direction === 'out' && e.message_type.endsWith('_RESPONSE') && e.message_type.startsWith('REGISTER_')) this.learnClientName(e);
    const conn = e.client_id;
    if (conn && e.role === 'agent') {
      const c = this.countsFor(conn);
      if (e.direction === 'in') c.sent++;
      else if (e.direction === 'out') c.received++;
    }
    if (e.direction !== 'in') return;
    const agent = e.sender_id ?? conn;
    if (!agent) return;
    if (e.message_type === 'STATUS') {
      const text = typeof e.body.text_payload === 'string' ? e.body.text_payload : '';
      this.pushActivity(agent, { time: e.time, kind: 'status', text, session_id: e.session_id });
    } else if (e.message_type === 'AGENT_EVENT') {
      const type = typeof e.body.event_type === 'string' ? e.body.event_type : 'event';
      this.pushActivity(agent, { time: e.time, kind: 'event', text: type, session_id: e.session_id });
    }
  }

  private countsFor(id: string): AgentCounts {
    let c = this.counts.get(id);
    if (!c) {
      if (this.counts.size >= MAX_TRACKED_AGENTS) this.counts.delete(this.counts.keys().next().value!);
      c = { sent: 0, received: 0 };
      this.counts.set(id, c);
    }
    return c;
  }

  private pushActivity(agent: string, a: AgentActivity): void {
    let list = this.activity.get(agent);
    if (!list) {
      if (this.activity.size >= MAX_TRACKED_AGENTS) this.activity.delete(this.activity.keys().next().value!);
      list = [];
      this.activity.set(agent, list);
    }
    list.push(a);
    if (list.length > ACTIVITY_PER_AGENT) list.splice(0, list.length - ACTIVITY_PER_AGENT);
  }

  private rebuildView(): void {
    this.olderShown = this.older.filter((e) => this.predicate(e));
    this.view = [];
    this.viewHead = 0;
    this.trimmedRows = 0;
    for (let i = this.buffer.start; i < this.buffer.end; i++) {
      if (this.shows(this.buffer.get(i)!)) this.view.push(i);
    }
    this.revision++;
  }

  /** Skips view indexes that fell out of the ring; compacts now and then so the array stays bounded. */
  private trimView(): void {
    const start = this.buffer.start;
    while (this.viewHead < this.view.length && this.view[this.viewHead]! < start) {
      this.viewHead++;
      this.trimmedRows++;
    }
    if (this.viewHead > 4096 && this.viewHead * 2 > this.view.length) {
      this.view = this.view.slice(this.viewHead);
      this.viewHead = 0;
    }
  }

  private absIndexOfSeq(seq: number): number | undefined {
    let lo = this.buffer.start;
    let hi = this.buffer.end - 1;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const s = this.buffer.get(mid)!.seq;
      if (s === seq) return mid;
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}

function isAgent(a: unknown): a is MonitorAgent {
  if (typeof a !== 'object' || a === null) return false;
  const r = a as Record<string, unknown>;
  return typeof r.agent_id === 'string' && typeof r.agent_name === 'string';
}

