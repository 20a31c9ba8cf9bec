// Monitor streams (REGISTER_MONITOR): backlog first, then live event-log entries in MONITOR_EVENTS batches every
// monitorBatchMs. Each monitor's pending entries are bounded; a monitor that falls behind loses the oldest entries
// and is told how many (`dropped`) instead of stalling the hub or growing memory.

import type { LogEntry } from '../protocol/logEntry';
import { MessageType } from '../protocol/messageTypes';
import type { Connection } from './connection';

export interface MonitorOptions {
  batchMs: number;
  maxPending: number;
  /** A monitor whose socket holds more than this is skipped for a tick (its entries wait, bounded). */
  maxBufferedBytes: number;
}

/** Entries per MONITOR_EVENTS frame: keeps single frames well below client payload limits. */
const ENTRIES_PER_FRAME = 500;
/** Backlog when the monitor does not ask for one. */
export const DEFAULT_MONITOR_BACKLOG = 200;

interface MonitorState {
  conn: Connection;
  pending: LogEntry[];
  dropped: number;
}

export class MonitorStreams {
  private readonly monitors = new Map<Connection, MonitorState>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: MonitorOptions,
    private readonly sendRaw: (conn: Connection, data: string) => boolean,
  ) {}

  get count(): number {
    return this.monitors.size;
  }

  add(conn: Connection, backlog: LogEntry[]): void {
    const state: MonitorState = { conn, pending: [], dropped: 0 };
    this.monitors.set(conn, state);
    this.enqueue(state, backlog);
    this.flushOne(state);
    this.ensureTimer();
  }

  remove(conn: Connection): void {
    this.monitors.delete(conn);
    if (this.monitors.size === 0) this.stop();
  }

  /** A new log entry: queued for every monitor. */
  push(entry: LogEntry): void {
    if (this.monitors.size === 0) return;
    for (const s of this.monitors.values()) this.enqueue(s, [entry]);
    this.ensureTimer();
  }

  flush(): void {
    for (const s of this.monitors.values()) this.flushOne(s);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private enqueue(s: MonitorState, entries: LogEntry[]): void {
    for (const e of entries) s.pending.push(e);
    const over = s.pending.length - this.opts.maxPending;
    if (over > 0) {
      s.pending.splice(0, over);
      s.dropped += over;
    }
  }

  private flushOne(s: MonitorState): void {
    if (s.pending.length === 0 && s.dropped === 0) return;
    if (!s.conn.isOpen) return;
    if (s.conn.bufferedBytes > this.opts.maxBufferedBytes) return;
    while (s.pending.length > 0 || s.dropped > 0) {
      const entries = s.pending.splice(0, ENTRIES_PER_FRAME);
      const frame: Record<string, unknown> = { message_type: MessageType.MONITOR_EVENTS, entries };
      if (s.dropped > 0) frame.dropped = s.dropped;
      s.dropped = 0;
      if (!this.sendRaw(s.conn, JSON.stringify(frame))) return;
      if (s.conn.bufferedBytes > this.opts.maxBufferedBytes) return;
    }
  }

  private ensureTimer(): void {
    if (this.timer || this.monitors.size === 0) return;
    this.timer = setInterval(() => this.flush(), this.opts.batchMs);
  }
}
