// Monitor streams (REGISTER_MONITOR): backlog first, then live event-log entries in MONITOR_EVENTS batches every
// monitorBatchMs. Each monitor's pending entries are bounded; a monitor that falls behind loses the oldest entries
// and is told how many (`dropped`) instead of stalling the hub or growing memory.
//
// Live entries wait in one queue shared by every monitor; each monitor keeps a cursor into it. Each entry is encoded
// once, as it is appended (the event log writes its JSON then, the frame's own bytes copied in as its body), straight
// into the frames of the next batch; at the batch tick those same bytes go to every monitor that is caught up. A
// hundred monitors cost one serialisation and a hundred socket writes, and the work is spread over the appends instead
// of stalling the hub at each tick. The queue remembers where each entry's bytes sit in those frames, so a monitor that
// is behind (its socket was backed up) gets frames copied from them: no JSON string per entry is ever built or kept.

import type { LogEntry } from '../protocol/logEntry';
import { MessageType } from '../protocol/messageTypes';
import type { Connection } from './connection';
import { JsonWriter } from './jsonWriter';

export interface MonitorOptions {
  batchMs: number;
  maxPending: number;
  /** A monitor whose socket holds more than this is skipped for a tick (its entries wait, bounded). */
  maxBufferedBytes: number;
}

/** Entries per MONITOR_EVENTS frame: keeps single frames well below client payload limits. */
const ENTRIES_PER_FRAME = 500;
const FRAME_HEAD = `{"message_type":"${MessageType.MONITOR_EVENTS}","entries":[`;
/** The frame assembly buffer grows for large batches and is given back beyond this size. */
const SCRATCH_KEEP_BYTES = 1024 * 1024;
/** Backlog when the monitor does not ask for one. */
export const DEFAULT_MONITOR_BACKLOG = 200;

interface MonitorState {
  conn: Connection;
  /** The backlog it asked for, not yet sent (sent before any live entry). */
  backlog: LogEntry[];
  /** Absolute position in the live queue of the next entry this monitor gets. */
  cursor: number;
  dropped: number;
}

export class MonitorStreams {
  private readonly monitors = new Map<Connection, MonitorState>();
  private timer: NodeJS.Timeout | undefined;
  /**
   * Live entries not yet sent to every monitor, entry i at absolute position base + i: the sealed frame holding its
   * JSON (undefined while that frame is still open) and its byte range there (qOff[2i], qOff[2i + 1]).
   */
  private qFrame: (Buffer | undefined)[] = [];
  private qOff: number[] = [];
  private base = 0;
  /** Where frames for monitors that are behind, and backlogs, are assembled (see encode). */
  private readonly scratch = new JsonWriter(64 * 1024);
  /** The next batch, encoded as entries arrive: frames for positions [liveFrom, head), the last one still open. */
  private liveFrom = 0;
  private liveFrames: Buffer[] = [];
  private readonly live = new JsonWriter(64 * 1024);
  private liveCount = 0;

  /**
   * @param sendRaw writes an encoded frame to one monitor; false when it was not sent
   * @param writeJson writes an entry's JSON into a sink (the event log's, which copies the frame's bytes as the body)
   */
  constructor(
    private readonly opts: MonitorOptions,
    private readonly sendRaw: (conn: Connection, data: Buffer) => boolean,
    private readonly writeJson: (entry: LogEntry, w: JsonWriter) => void = (e, w) => w.text(JSON.stringify(e)),
  ) {}

  get count(): number {
    return this.monitors.size;
  }

  /** Entries held for monitors that have not received them yet (shared by all monitors). */
  get queued(): number {
    return this.qFrame.length;
  }

  private get head(): number {
    return this.base + this.qFrame.length;
  }

  add(conn: Connection, backlog: LogEntry[]): void {
    if (this.monitors.size === 0) this.resetLive(this.head);
    const state: MonitorState = { conn, backlog: [], cursor: this.head, dropped: 0 };
    const over = backlog.length - this.opts.maxPending;
    state.backlog = over > 0 ? backlog.slice(over) : backlog.slice();
    if (over > 0) state.dropped += over;
    this.monitors.set(conn, state);
    this.flushOne(state, new Map(), undefined);
    this.ensureTimer();
  }

  remove(conn: Connection): void {
    this.monitors.delete(conn);
    if (this.monitors.size === 0) {
      this.stop();
      this.qFrame = [];
      this.qOff = [];
      this.base = 0;
      this.resetLive(0);
    } else this.trim();
  }

  /** A new log entry: queued once for every monitor, and encoded into the next batch. */
  push(entry: LogEntry): void {
    if (this.monitors.size === 0) return;
    this.appendLive(entry);
    // Nobody may have more than maxPending waiting: beyond, the oldest go (counted per monitor at its next flush).
    const n = this.qFrame.length;
    if (n > this.opts.maxPending * 2) this.dropOldest(n - this.opts.maxPending);
    this.ensureTimer();
  }

  flush(): void {
    const head = this.head;
    const live = this.closeLive();
    // Frames built in this flush for monitors that are behind, shared by those at the same spot: "from:to:dropped".
    const built = new Map<string, Buffer>();
    for (const s of this.monitors.values()) this.flushOne(s, built, live, head);
    this.liveFrom = head;
    this.trim();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private dropOldest(n: number): void {
    this.qFrame = this.qFrame.slice(n);
    this.qOff = this.qOff.slice(2 * n);
    this.base += n;
  }

  /** Forgets live entries every monitor has received, and those beyond the pending bound. */
  private trim(): void {
    if (this.qFrame.length === 0) return;
    let min = this.head;
    for (const s of this.monitors.values()) if (s.cursor < min) min = s.cursor;
    min = Math.max(min, this.head - this.opts.maxPending);
    if (min >= this.head) {
      this.base = this.head;
      this.qFrame = [];
      this.qOff = [];
    } else if (min - this.base > 0 && (min - this.base >= 1024 || min - this.base >= this.qFrame.length / 2)) {
      this.dropOldest(min - this.base);
    }
  }

  /** Applies the pending bound: the oldest entries beyond maxPending (backlog first) are dropped and counted. */
  private bound(s: MonitorState): void {
    const oldest = Math.max(this.base, this.head - this.opts.maxPending);
    if (s.cursor < oldest) {
      s.dropped += oldest - s.cursor;
      s.cursor = oldest;
    }
    const over = s.backlog.length + (this.head - s.cursor) - this.opts.maxPending;
    if (over > 0) {
      const fromBacklog = Math.min(over, s.backlog.length);
      s.backlog.splice(0, fromBacklog);
      s.dropped += fromBacklog;
      s.dropped += over - fromBacklog;
      s.cursor += over - fromBacklog;
    }
  }

  private flushOne(s: MonitorState, built: Map<string, Buffer>, live: Buffer[] | undefined, liveTo = this.head): void {
    this.bound(s);
    if (s.backlog.length === 0 && s.cursor === this.head && s.dropped === 0) return;
    if (!s.conn.isOpen) return;
    if (s.conn.bufferedBytes > this.opts.maxBufferedBytes) return;
    while (s.backlog.length > 0) {
      const entries = s.backlog.splice(0, ENTRIES_PER_FRAME);
      const data = this.encode(entries, 0, entries.length, s.dropped);
      s.dropped = 0;
      if (!this.sendRaw(s.conn, data)) return;
      if (s.conn.bufferedBytes > this.opts.maxBufferedBytes) return;
    }
    if (live && s.cursor === this.liveFrom && s.dropped === 0) {
      // caught up: the batch encoded as the entries arrived
      s.cursor = liveTo;
      for (const data of live) {
        if (!this.sendRaw(s.conn, data)) return;
      }
      return;
    }
    while (s.cursor < this.head || s.dropped > 0) {
      const from = s.cursor;
      const to = Math.min(this.head, from + ENTRIES_PER_FRAME);
      const key = `${from}:${to}:${s.dropped}`;
      let data = built.get(key);
      if (!data) {
        data = this.encodeQueued(from - this.base, to - this.base, s.dropped);
        built.set(key, data);
      }
      s.cursor = to;
      s.dropped = 0;
      if (!this.sendRaw(s.conn, data)) return;
      if (s.conn.bufferedBytes > this.opts.maxBufferedBytes) return;
    }
  }

  private resetLive(at: number): void {
    this.liveFrom = at;
    this.liveFrames = [];
    this.live.used = 0;
    this.liveCount = 0;
  }

  private appendLive(entry: LogEntry): void {
    const w = this.live;
    if (this.liveCount === 0) {
      w.used = 0;
      w.text(FRAME_HEAD);
    } else w.text(',');
    const start = w.used;
    this.writeJson(entry, w);
    this.qFrame.push(undefined);
    this.qOff.push(start, w.used);
    if (++this.liveCount === ENTRIES_PER_FRAME) this.liveFrames.push(this.sealLive());
  }

  /** The batch since the last tick (undefined when empty); the open frame is closed. */
  private closeLive(): Buffer[] | undefined {
    if (this.liveCount > 0) this.liveFrames.push(this.sealLive());
    const frames = this.liveFrames;
    this.liveFrames = [];
    return frames.length ? frames : undefined;
  }

  private sealLive(): Buffer {
    this.live.text(']}');
    const out = this.live.take(SCRATCH_KEEP_BYTES);
    // the entries of this frame (the last liveCount of the queue, fewer if the oldest were dropped meanwhile) now know
    // where their bytes are
    const q = this.qFrame;
    for (let i = Math.max(0, q.length - this.liveCount); i < q.length; i++) q[i] = out;
    this.liveCount = 0;
    return out;
  }

  /** One MONITOR_EVENTS frame for entries[from, to), as UTF-8 bytes (the same bytes go to every monitor at this spot). */
  private encode(entries: readonly LogEntry[], from: number, to: number, dropped: number): Buffer {
    return this.frame(from, to, dropped, (i, w) => this.writeJson(entries[i]!, w));
  }

  /** The same for queued entries [from, to) (queue indices): their bytes copied from the frames they went out in. */
  private encodeQueued(from: number, to: number, dropped: number): Buffer {
    return this.frame(from, to, dropped, (i, w) => w.bytes(this.qFrame[i]!, this.qOff[2 * i]!, this.qOff[2 * i + 1]!));
  }

  /**
   * A MONITOR_EVENTS frame of items [from, to), each written by `item` straight into the reused scratch buffer: no
   * frame-sized string is ever built.
   */
  private frame(from: number, to: number, dropped: number, item: (i: number, w: JsonWriter) => void): Buffer {
    const w = this.scratch;
    w.used = 0;
    w.text(FRAME_HEAD);
    for (let i = from; i < to; i++) {
      if (i > from) w.text(',');
      item(i, w);
    }
    w.text(dropped > 0 ? `],"dropped":${dropped}}` : ']}');
    return w.take(SCRATCH_KEEP_BYTES);
  }

  private ensureTimer(): void {
    if (this.timer || this.monitors.size === 0) return;
    this.timer = setInterval(() => this.flush(), this.opts.batchMs);
  }
}
