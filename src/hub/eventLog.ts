// The hub's event log: every frame in and out, in a bounded in-memory ring (oldest overwritten) and, when a folder is
// configured, in rotating NDJSON files written asynchronously in batches. Feeds monitors, queries and reconstruction.

import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { LogDirection, LogEntry } from '../protocol/logEntry';
import type { ClientRole } from '../protocol/messageTypes';
import type { Envelope } from '../protocol/schemas';
import type { Logger } from '../protocol/logger';
import { silentLogger } from '../protocol/logger';
import type { JsonWriter } from './jsonWriter';

export interface EventLogOptions {
  ringSize: number;
  /** Wire bytes of entries kept in memory; beyond this the oldest are dropped even below ringSize. */
  maxBytes?: number;
  /** Folder for NDJSON files; empty string: memory only. */
  dir: string;
  fileMaxBytes: number;
  /** Rotated files kept next to the current one. */
  fileCount: number;
  /** How often pending lines are written. */
  flushIntervalMs?: number;
  /** Lines waiting for the disk beyond this are dropped (oldest first) and counted. */
  maxPendingLines?: number;
  logger?: Logger;
}

export interface LogQuery {
  /** Matches client_id, sender_id or receiver_id. */
  agent_id?: string;
  message_type?: string | string[];
  /** Matches thread, message_id or in_reply_to_message_id. */
  thread?: string;
  /** Epoch ms or an ISO date. */
  since?: number | string;
  until?: number | string;
  /** The newest `limit` matches are returned (oldest first). */
  limit?: number;
}

export interface EntryMeta {
  client_id?: string;
  role?: ClientRole;
  size?: number;
  /** For one frame fanned out to many clients (logged once). */
  recipients?: number;
}

/** Bodies above this many bytes are stored as a preview. */
const BODY_PREVIEW_BYTES = 64 * 1024;
const TEXT_PREVIEW_CHARS = 4096;
export const LOG_FILE_BASENAME = 'switchboard-events';
/** Default byte budget of the in-memory ring: 10,000 typical chat entries take a few MiB; large frames are capped. */
export const DEFAULT_LOG_RING_MAX_BYTES = 32 * 1024 * 1024;
/** The event log keeps its entries' JSON in chunks of this size (reused as the ring turns over). */
const CHUNK_BYTES = 1024 * 1024;
const EMPTY_CHUNK = Buffer.alloc(0);

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function toMs(v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

export class EventLog {
  /**
   * The entries held, off the JS heap: each entry's JSON (what monitors, the file and exports carry) as UTF-8 bytes in
   * reused 1 MiB chunks, and per ring slot its chunk, offset, length, seq, time and wire size in typed arrays. Entries
   * leave the log (recent, query) parsed back into objects. A routed message's two entries outlive many
   * young-generation collections: kept as objects (the entry, its body's copy, the body's strings) every scavenge
   * copied them, which was most of the hub's GC pause time under load; bytes in a chunk are never copied by the GC.
   */
  private readonly slotChunk: Int32Array;
  private readonly slotOff: Int32Array;
  private readonly slotLen: Int32Array;
  private readonly slotSeq: Float64Array;
  private readonly slotTime: Float64Array;
  private readonly slotSize: Float64Array;
  private readonly chunks: Buffer[] = [];
  /** Entries held in each chunk; a chunk with none (and not being written) goes back to `freeChunks`. */
  private readonly chunkUse: number[] = [];
  private readonly freeChunks: number[] = [];
  private chunk = -1;
  private chunkUsed = 0;
  private head = 0;
  private count = 0;
  private seq = 0;
  /** Wire bytes of the entries held (a frame fanned out and logged once counts once). */
  private bytes = 0;
  private readonly maxBytes: number;
  private readonly listeners = new Set<(e: LogEntry) => void>();
  private readonly logger: Logger;
  private readonly writer: NdjsonWriter | undefined;
  /** The entry being appended and its ring slot, while the file writer and listeners see it. */
  private current: LogEntry | undefined;
  private currentSlot = -1;

  constructor(private readonly opts: EventLogOptions) {
    const n = Math.max(1, opts.ringSize);
    this.slotChunk = new Int32Array(n);
    this.slotOff = new Int32Array(n);
    this.slotLen = new Int32Array(n);
    this.slotSeq = new Float64Array(n);
    this.slotTime = new Float64Array(n);
    this.slotSize = new Float64Array(n);
    this.logger = opts.logger ?? silentLogger;
    this.maxBytes = opts.maxBytes ?? DEFAULT_LOG_RING_MAX_BYTES;
    if (opts.dir) this.writer = new NdjsonWriter(opts, this.logger);
  }

  /** Entries currently held in memory. */
  get size(): number {
    return this.count;
  }

  /** Wire bytes of the entries currently held in memory. */
  get heldBytes(): number {
    return this.bytes;
  }

  get capacity(): number {
    return this.slotSeq.length;
  }

  /** Lines the file writer had to drop because the disk could not keep up. */
  get droppedWrites(): number {
    return this.writer?.dropped ?? 0;
  }

  get filePath(): string | undefined {
    return this.writer?.currentPath;
  }

  /** Called for every appended entry; a throwing listener is logged and ignored. Returns an unsubscribe. */
  onAppend(listener: (e: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Append an already-built entry (seq and time are assigned here when missing). */
  append(partial: Omit<LogEntry, 'seq' | 'time'> & { seq?: number; time?: number }): LogEntry {
    const entry: LogEntry = { ...partial, seq: ++this.seq, time: partial.time ?? Date.now() };
    this.insert(entry, undefined);
    return entry;
  }

  /**
   * Build an entry from a message and append it. `bodyJson`, when given, must be JSON.stringify(message) (the frame
   * just sent): the entry's own JSON (monitors, the NDJSON file) is then built around it instead of serialising the
   * body again.
   */
  record(direction: LogDirection, message: Envelope, meta: EntryMeta = {}, bodyJson?: string): LogEntry {
    const size = meta.size ?? 0;
    // Fields in a fixed order (one hidden class for every recorded entry); absent optional fields are left out.
    const entry = { seq: ++this.seq, time: Date.now(), direction, message_type: message.message_type } as LogEntry;
    if (meta.client_id !== undefined) entry.client_id = meta.client_id;
    if (meta.role !== undefined) entry.role = meta.role;
    const mid = str(message.message_id);
    if (mid !== undefined) entry.message_id = mid;
    const sender = str(message.sender_id);
    if (sender !== undefined) entry.sender_id = sender;
    const receiver = str(message.receiver_id);
    if (receiver !== undefined) entry.receiver_id = receiver;
    const reply = str(message.in_reply_to_message_id);
    if (reply !== undefined) entry.in_reply_to_message_id = reply;
    // a topic message's thread is a list of ids (seed 004): its first, the root, is the thread's key
    const thread = str(message.thread) ?? (Array.isArray(message.thread) ? str(message.thread[0]) : undefined) ?? str(message.conversation_id);
    if (thread !== undefined) entry.thread = thread;
    const session = str(message.session_id) ?? str(message.websocket_session_id);
    if (session !== undefined) entry.session_id = session;
    entry.size = size;
    if (size > BODY_PREVIEW_BYTES) {
      entry.truncated = true;
      bodyJson = undefined;
    }
    if (meta.recipients !== undefined) entry.recipients = meta.recipients;
    entry.body = size > BODY_PREVIEW_BYTES ? preview(message) : { ...message };
    this.insert(entry, bodyJson);
    return entry;
  }

  /**
   * The entry serialised as JSON (what monitors and the NDJSON file carry): the same text as JSON.stringify(entry).
   * For the entry being appended it is the text the log keeps (built around its frame's text, not serialised again).
   */
  json(entry: LogEntry): string {
    const slot = this.slotOf(entry);
    return slot < 0 ? JSON.stringify(entry) : this.textAt(slot);
  }

  /** The same JSON as json(entry), written as UTF-8 into `w` (monitor frames): the kept bytes are copied. */
  writeJson(entry: LogEntry, w: JsonWriter): void {
    const slot = this.slotOf(entry);
    if (slot < 0) return w.text(JSON.stringify(entry));
    const off = this.slotOff[slot]!;
    w.bytes(this.chunks[this.slotChunk[slot]!]!, off, off + this.slotLen[slot]!);
  }

  /** The ring slot of the entry being appended (-1 for any other entry, or when it is no longer held). */
  private slotOf(entry: LogEntry): number {
    const slot = this.currentSlot;
    return entry === this.current && slot >= 0 && this.slotSeq[slot] === entry.seq ? slot : -1;
  }

  private insert(entry: LogEntry, bodyJson: string | undefined): void {
    const len = this.slotSeq.length;
    const slot = this.head;
    if (this.count === len) this.evict(slot); // overwriting the oldest
    this.store(slot, bodyJson !== undefined ? recordedHead(entry) : JSON.stringify(entry), bodyJson);
    this.slotSeq[slot] = entry.seq;
    this.slotTime[slot] = entry.time;
    this.slotSize[slot] = entry.size;
    this.head = slot + 1 === len ? 0 : slot + 1;
    if (this.count < len) this.count++;
    this.bytes += entry.size;
    // The byte budget: a stream of large frames must not pin ringSize × 64 KiB of bodies. Oldest go first.
    while (this.bytes > this.maxBytes && this.count > 1) {
      this.evict((this.head - this.count + len) % len);
      this.count--;
    }
    const outer = this.current;
    const outerSlot = this.currentSlot;
    this.current = entry;
    this.currentSlot = slot;
    if (this.writer) this.writer.push(this.textAt(slot));
    for (const l of this.listeners) {
      try {
        l(entry);
      } catch (err) {
        this.logger.warn(`event-log listener failed: ${(err as Error).message}`);
      }
    }
    // a listener that appended (nested insert) gives the outer entry back its place
    this.current = outer;
    this.currentSlot = outerSlot;
  }

  /** Writes `head` (and `body` and '}' when there is a body) as UTF-8 into a chunk, as the slot's JSON. */
  private store(slot: number, head: string, body: string | undefined): void {
    const most = 3 * (head.length + (body === undefined ? 0 : body.length + 1)); // UTF-8: ≤ 3 bytes per UTF-16 unit
    if (this.chunk < 0 || this.chunkUsed + most > this.chunks[this.chunk]!.length) this.nextChunk(most);
    const buf = this.chunks[this.chunk]!;
    const start = this.chunkUsed;
    let at = start + buf.write(head, start);
    if (body !== undefined) {
      at += buf.write(body, at);
      buf[at++] = 0x7d; // '}'
    }
    this.chunkUsed = at;
    this.chunkUse[this.chunk]!++;
    this.slotChunk[slot] = this.chunk;
    this.slotOff[slot] = start;
    this.slotLen[slot] = at - start;
  }

  /** A chunk with room for `most` bytes: a free one, or a new one (an entry larger than a chunk gets its own). */
  private nextChunk(most: number): void {
    const old = this.chunk;
    if (old >= 0 && this.chunkUse[old] === 0) this.release(old);
    if (most <= CHUNK_BYTES && this.freeChunks.length > 0) {
      this.chunk = this.freeChunks.pop()!;
    } else {
      this.chunk = this.chunks.length;
      this.chunks.push(Buffer.allocUnsafe(Math.max(CHUNK_BYTES, most)));
      this.chunkUse.push(0);
    }
    this.chunkUsed = 0;
  }

  /** Forgets the entry in `slot` (its bytes stay until its chunk is reused). */
  private evict(slot: number): void {
    this.bytes -= this.slotSize[slot]!;
    this.slotSeq[slot] = 0;
    const c = this.slotChunk[slot]!;
    if (--this.chunkUse[c]! === 0 && c !== this.chunk) this.release(c);
  }

  /** A chunk nothing is held in: reused when it has the standard size, else given back. */
  private release(c: number): void {
    if (this.chunks[c]!.length === CHUNK_BYTES) this.freeChunks.push(c);
    else this.chunks[c] = EMPTY_CHUNK;
  }

  private textAt(slot: number): string {
    const off = this.slotOff[slot]!;
    return this.chunks[this.slotChunk[slot]!]!.toString('utf8', off, off + this.slotLen[slot]!);
  }

  /** The held entry at ring slot i, as an object of its own. */
  private entryAt(slot: number): LogEntry {
    return JSON.parse(this.textAt(slot)) as LogEntry;
  }

  /** The newest n entries, oldest first. */
  recent(n: number = this.count): LogEntry[] {
    const take = Math.max(0, Math.min(n, this.count));
    const out: LogEntry[] = new Array<LogEntry>(take);
    const len = this.slotSeq.length;
    const start = (this.head - take + len) % len;
    for (let i = 0; i < take; i++) out[i] = this.entryAt((start + i) % len);
    return out;
  }

  query(q: LogQuery = {}): LogEntry[] {
    const types = q.message_type === undefined ? undefined : new Set(Array.isArray(q.message_type) ? q.message_type : [q.message_type]);
    const since = toMs(q.since);
    const until = toMs(q.until);
    const limit = q.limit ?? Number.POSITIVE_INFINITY;
    const matches: LogEntry[] = [];
    // newest first so `limit` keeps the newest, then reversed; times are checked before an entry is parsed
    const len = this.slotSeq.length;
    for (let k = 1; k <= this.count && matches.length < limit; k++) {
      const i = (this.head - k + len) % len;
      const time = this.slotTime[i]!;
      if (since !== undefined && time < since) break;
      if (until !== undefined && time > until) continue;
      const e = this.entryAt(i);
      if (types && !types.has(e.message_type)) continue;
      if (q.agent_id !== undefined && e.client_id !== q.agent_id && e.sender_id !== q.agent_id && e.receiver_id !== q.agent_id) continue;
      if (q.thread !== undefined && e.thread !== q.thread && e.message_id !== q.thread && e.in_reply_to_message_id !== q.thread) continue;
      matches.push(e);
    }
    return matches.reverse();
  }

  export(format: 'ndjson' | 'csv', entries: LogEntry[] = this.recent()): string {
    if (format === 'ndjson') return entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '');
    const cols = [
      'seq', 'time', 'direction', 'message_type', 'client_id', 'role', 'message_id', 'sender_id', 'receiver_id',
      'in_reply_to_message_id', 'thread', 'session_id', 'size', 'text_payload',
    ] as const;
    const lines = [cols.join(',')];
    for (const e of entries) {
      const row = cols.map((c) => {
        if (c === 'time') return new Date(e.time).toISOString();
        if (c === 'text_payload') return csvCell(str(e.body.text_payload) ?? '');
        const v = e[c];
        return csvCell(v === undefined ? '' : String(v));
      });
      lines.push(row.join(','));
    }
    return lines.join('\r\n') + '\r\n';
  }

  /** Empties the ring (files on disk are kept: they are the durable record). */
  clear(): void {
    this.slotSeq.fill(0);
    this.chunkUse.fill(0);
    this.freeChunks.length = 0;
    for (let c = 0; c < this.chunks.length; c++) if (c !== this.chunk) this.release(c);
    this.chunkUsed = 0;
    this.head = 0;
    this.count = 0;
    this.bytes = 0;
  }

  /** Writes every pending line to disk. */
  async flush(): Promise<void> {
    await this.writer?.flush();
  }

  /** Flushes and stops the writer (later entries stay in memory only until reopen()). The log stays queryable. */
  async close(): Promise<void> {
    await this.writer?.close();
  }

  /** Resumes writing to disk after close() (a hub that is started again). */
  reopen(): void {
    this.writer?.reopen();
  }
}

/**
 * JSON.stringify(entry) up to its body, for an entry built by record() whose body is already serialised: the same keys
 * in the same order (record() builds every entry in this order), written out directly — several times faster than
 * serialising. The body's JSON and '}' follow.
 */
function recordedHead(e: LogEntry): string {
  let s = '{"seq":' + e.seq + ',"time":' + e.time + ',"direction":"' + e.direction + '","message_type":' + quote(e.message_type);
  if (e.client_id !== undefined) s += ',"client_id":' + quote(e.client_id);
  if (e.role !== undefined) s += ',"role":"' + e.role + '"';
  if (e.message_id !== undefined) s += ',"message_id":' + quote(e.message_id);
  if (e.sender_id !== undefined) s += ',"sender_id":' + quote(e.sender_id);
  if (e.receiver_id !== undefined) s += ',"receiver_id":' + quote(e.receiver_id);
  if (e.in_reply_to_message_id !== undefined) s += ',"in_reply_to_message_id":' + quote(e.in_reply_to_message_id);
  if (e.thread !== undefined) s += ',"thread":' + quote(e.thread);
  if (e.session_id !== undefined) s += ',"session_id":' + quote(e.session_id);
  s += ',"size":' + e.size;
  if (e.truncated !== undefined) s += ',"truncated":' + e.truncated;
  if (e.recipients !== undefined) s += ',"recipients":' + e.recipients;
  return s + ',"body":';
}

/** Characters JSON.stringify leaves as they are (ids and types are almost always made of these). */
const PLAIN_JSON_STRING = /^[\w.:@/+=-]*$/;

/** JSON.stringify(s), without calling it for the ids and types that need no escaping (the head's hot path). */
function quote(s: string): string {
  return s.length < 200 && PLAIN_JSON_STRING.test(s) ? '"' + s + '"' : JSON.stringify(s);
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

function preview(m: Envelope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'string') out[k] = v.length > TEXT_PREVIEW_CHARS ? v.slice(0, TEXT_PREVIEW_CHARS) + '…' : v;
    else if (v === null || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else out[k] = '[omitted]';
  }
  return out;
}

/** Appends NDJSON lines in batches; rotates `<base>.ndjson` → `<base>.1.ndjson` … keeping `fileCount` old files. */
class NdjsonWriter {
  /** Entries as JSON, serialised when appended. */
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private size = -1;
  private closed = false;
  private warned = false;
  dropped = 0;
  readonly currentPath: string;
  private readonly maxPending: number;
  private readonly interval: number;

  constructor(
    private readonly opts: EventLogOptions,
    private readonly logger: Logger,
  ) {
    this.currentPath = join(opts.dir, `${LOG_FILE_BASENAME}.ndjson`);
    this.maxPending = opts.maxPendingLines ?? 100_000;
    this.interval = opts.flushIntervalMs ?? 200;
  }

  push(json: string): void {
    if (this.closed) return;
    if (this.pending.length >= this.maxPending) {
      this.pending.shift();
      this.dropped++;
    }
    this.pending.push(json);
    if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.interval);
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return this.writing;
    this.writing = this.writing.then(() => this.write(batch)).catch((err: unknown) => {
      if (!this.warned) this.logger.warn(`event log: cannot write ${this.currentPath}: ${(err as Error).message}`);
      this.warned = true;
      this.dropped += batch.length;
    });
    return this.writing;
  }

  async close(): Promise<void> {
    // Entries appended while a flush is writing (a socket's last close event, the hub's state change) would otherwise
    // wait for the flush timer, which then writes after close() resolved: an fs request still open after the hub
    // stopped. Flush until nothing is pending; flush() clears the timer, and once closed no push sets one again.
    do await this.flush();
    while (this.pending.length > 0);
    this.closed = true;
  }

  reopen(): void {
    this.closed = false;
  }

  private async write(batch: string[]): Promise<void> {
    if (this.size < 0) {
      await fsp.mkdir(this.opts.dir, { recursive: true });
      this.size = await fsp.stat(this.currentPath).then((s) => s.size, () => 0);
    }
    // Split the batch at rotation points so no file grows far beyond fileMaxBytes.
    let chunk: string[] = [];
    let chunkBytes = 0;
    for (const json of batch) {
      const line = json + '\n';
      const bytes = Buffer.byteLength(line);
      if (this.size + chunkBytes + bytes > this.opts.fileMaxBytes && this.size + chunkBytes > 0) {
        if (chunk.length) await fsp.appendFile(this.currentPath, chunk.join(''));
        await this.rotate();
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push(line);
      chunkBytes += bytes;
    }
    if (chunk.length) {
      await fsp.appendFile(this.currentPath, chunk.join(''));
      this.size += chunkBytes;
    }
  }

  private async rotate(): Promise<void> {
    const base = join(this.opts.dir, LOG_FILE_BASENAME);
    const keep = Math.max(0, this.opts.fileCount);
    if (keep === 0) {
      await fsp.rm(this.currentPath, { force: true });
    } else {
      await fsp.rm(`${base}.${keep}.ndjson`, { force: true });
      for (let i = keep - 1; i >= 1; i--) {
        await fsp.rename(`${base}.${i}.ndjson`, `${base}.${i + 1}.ndjson`).catch(() => undefined);
      }
      await fsp.rename(this.currentPath, `${base}.1.ndjson`).catch(() => undefined);
    }
    this.size = 0;
  }
}
