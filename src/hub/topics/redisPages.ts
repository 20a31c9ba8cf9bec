// History pages from Redis without a client library's reply decoder. A page of 1,000 topic members is ~350 KB in
// one RESP array of bulk strings; ioredis decodes it into a Buffer per member, with its 64 KB socket reads and the
// copies that join members split across them allocated anew for every page: ~2 ms of the hub's CPU per page
// (measured, node 20) and enough short-lived outside-the-heap memory to set off garbage collections (scavenges and
// mark-compacts of several ms) every few dozen queries — the tail of a HISTORY query's latency. This connection does
// one thing: it sends range commands and keeps each reply as it arrived, its bytes in one buffer lent from a pool, its
// members as offsets into it (no Buffer per member, nothing decoded); the socket reads into one buffer of its own
// (`onread`), so a page allocates nothing once the pool has grown to the size of a page. Writes and every other read
// stay on ioredis (RedisTopicStore.redis); this connection takes ioredis's resolved options (host, port or path,
// username, password, db, tls) so the two reach the same Redis the same way.

import net from 'node:net';
import tls from 'node:tls';
import type { RedisOptions } from 'ioredis';

const CR = 0x0d;
/** Pages kept for reuse once released; more in use at once are allocated and dropped. */
const POOL_MAX = 4;
/** What a new page's buffer starts at; it doubles while a reply does not fit, and keeps that size in the pool. */
const FIRST_PAGE_BYTES = 64 * 1024;
/** A reply that grows past this is refused (the connection is dropped): the hub asks for pages, not whole topics. */
const PAGE_BYTES_MAX = 512 * 1024 * 1024;
const READ_BYTES = 64 * 1024;
/** A page whose buffer grew past this (a very large query) is not kept for reuse. */
const POOL_PAGE_BYTES_MAX = 4 * 1024 * 1024;

/**
 * One reply: an array of bulk strings, as offsets into `buf`. Lent from the reader's pool: read it, then `release()`
 * it (after that its bytes belong to another reply).
 */
export class RedisPage {
  buf: Buffer = Buffer.allocUnsafe(FIRST_PAGE_BYTES);
  /** Bytes of `buf` filled. */
  size = 0;
  /** Members: member i is buf[starts[i], starts[i] + lens[i]). */
  starts = new Int32Array(1024);
  lens = new Int32Array(1024);
  count = 0;
  /** An error reply's text (`-ERR …`): then there are no members. */
  error: string | undefined;
  released = false;

  constructor(private readonly pool: RedisPage[]) {}

  member(i: number): Buffer {
    return this.buf.subarray(this.starts[i]!, this.starts[i]! + this.lens[i]!);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.pool.length < POOL_MAX && this.buf.length <= POOL_PAGE_BYTES_MAX) this.pool.push(this);
  }

  /** Room for `n` more bytes (doubling, the filled part copied). */
  ensure(n: number): void {
    if (this.size + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.size + n) cap *= 2;
    if (cap > PAGE_BYTES_MAX) throw new Error(`A Redis reply of over ${PAGE_BYTES_MAX} bytes: refused`);
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.size);
    this.buf = next;
  }

  push(start: number, len: number): void {
    if (this.count === this.starts.length) {
      const s = new Int32Array(this.count * 2);
      const l = new Int32Array(this.count * 2);
      s.set(this.starts);
      l.set(this.lens);
      this.starts = s;
      this.lens = l;
    }
    this.starts[this.count] = start;
    this.lens[this.count++] = len;
  }
}

interface Pending {
  resolve(page: RedisPage): void;
  reject(err: Error): void;
  /** AUTH / SELECT: a status reply is what is expected, and nobody waits for it. */
  setup?: boolean;
}

/** Options of the connection, as ioredis resolved them from the store's URL. */
export type PageReaderOptions = Pick<RedisOptions, 'host' | 'port' | 'path' | 'username' | 'password' | 'db' | 'tls' | 'connectTimeout'> & {
  /**
   * How long the oldest waiting command may go unanswered before the connection is given up (every waiting command
   * fails with the reason, the next one connects again): a HISTORY gets an ERROR rather than no answer. Replies come
   * in order, so one late reply holds up all behind it.
   */
  replyTimeout?: number;
};

/** PageReaderOptions.replyTimeout's default, ms. */
export const REPLY_TIMEOUT_MS = 10_000;

export class RedisPageReader {
  private socket: net.Socket | undefined;
  private readonly pending: Pending[] = [];
  private readonly pool: RedisPage[] = [];
  /** The reply being read (undefined between replies). */
  private page: RedisPage | undefined;
  /** Parse position in `page.buf`. */
  private pos = 0;
  /** Members still to come in the reply being read; -1 before its first line. */
  private remaining = -1;
  private readonly readBuf = Buffer.allocUnsafe(READ_BYTES);
  private closed = false;
  /** Runs while a command waits: for the oldest one, restarted as each reply comes. */
  private replyTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: PageReaderOptions) {}

  /** Sends a command whose reply is an array of bulk strings (ZRANGEBYSCORE …) and resolves with it. */
  command(args: readonly string[]): Promise<RedisPage> {
    if (this.closed) return Promise.reject(new Error('The Redis history connection is closed'));
    return new Promise<RedisPage>((resolve, reject) => {
      const socket = this.socket ?? this.connect();
      this.pending.push({ resolve, reject });
      socket.write(encode(args));
      this.replyTimer ??= this.startReplyTimer();
    });
  }

  close(): void {
    this.closed = true;
    this.fail(new Error('The Redis history connection is closed'));
  }

  private connect(): net.Socket {
    const o = this.opts;
    const onread = { buffer: this.readBuf, callback: (n: number, buf: Uint8Array): boolean => this.onData(buf as Buffer, n) };
    let socket: net.Socket;
    if (o.tls) {
      socket = tls.connect({ ...(o.tls as tls.ConnectionOptions), host: o.host ?? '127.0.0.1', port: o.port ?? 6379, servername: (o.tls as tls.ConnectionOptions).servername ?? o.host });
      socket.on('data', (chunk: Buffer) => this.onData(chunk, chunk.length));
    } else {
      socket = o.path ? net.connect({ path: o.path, onread }) : net.connect({ host: o.host ?? '127.0.0.1', port: o.port ?? 6379, onread });
    }
    socket.setNoDelay(true);
    const timer = setTimeout(() => socket.destroy(new Error(`No connection to Redis within ${o.connectTimeout ?? 10_000} ms`)), o.connectTimeout ?? 10_000);
    timer.unref();
    socket.once(o.tls ? 'secureConnect' : 'connect', () => clearTimeout(timer));
    socket.on('error', (err) => this.fail(new Error(`Redis (history connection): ${err.message}`)));
    socket.on('close', () => {
      clearTimeout(timer);
      if (this.socket === socket) this.fail(new Error('Redis closed the history connection'));
    });
    this.socket = socket;
    // the same credentials and database as the store's other connection, before anything else
    if (o.password) this.setup(o.username ? ['AUTH', o.username, o.password] : ['AUTH', o.password]);
    if (o.db) this.setup(['SELECT', String(o.db)]);
    return socket;
  }

  private setup(args: string[]): void {
    this.pending.push({ resolve: () => undefined, reject: () => undefined, setup: true });
    this.socket!.write(encode(args));
  }

  private startReplyTimer(): NodeJS.Timeout {
    const ms = this.opts.replyTimeout ?? REPLY_TIMEOUT_MS;
    const t = setTimeout(() => {
      this.replyTimer = undefined;
      this.fail(new Error(`Redis did not answer the history connection within ${ms} ms`));
    }, ms);
    t.unref();
    return t;
  }

  /** Every waiting command fails; the next one connects again. */
  private fail(err: Error): void {
    clearTimeout(this.replyTimer);
    this.replyTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    this.page?.release();
    this.page = undefined;
    this.remaining = -1;
    for (const p of this.pending.splice(0)) p.reject(err);
  }

  private take(): RedisPage {
    const p = this.pool.pop() ?? new RedisPage(this.pool);
    p.released = false;
    p.size = 0;
    p.count = 0;
    p.error = undefined;
    return p;
  }

  /** Bytes read: appended to the reply being read, which is parsed as far as they go. */
  private onData(chunk: Buffer, n: number): boolean {
    try {
      let page = this.page ?? (this.page = this.take());
      page.ensure(n);
      chunk.copy(page.buf, page.size, 0, n);
      page.size += n;
      while (this.parse(page)) {
        // a whole reply: the bytes after it (the next replies) move to a page of their own
        const rest = page.size - this.pos;
        let next: RedisPage | undefined;
        if (rest > 0) {
          next = this.take();
          next.ensure(rest);
          page.buf.copy(next.buf, 0, this.pos, page.size);
          next.size = rest;
        }
        page.size = this.pos;
        this.page = next;
        this.pos = 0;
        this.remaining = -1;
        this.deliver(page);
        if (!next) break;
        page = next;
      }
    } catch (err) {
      this.fail(err as Error);
    }
    return true;
  }

  private deliver(page: RedisPage): void {
    const p = this.pending.shift();
    clearTimeout(this.replyTimer);
    this.replyTimer = this.pending.length > 0 ? this.startReplyTimer() : undefined;
    const error = page.error;
    if (!p) {
      page.release();
      throw new Error('Redis sent a reply nobody asked for');
    }
    if (error !== undefined || p.setup) {
      page.release();
      if (error !== undefined) {
        if (p.setup) this.fail(new Error(`Redis refused the history connection's setup: ${error}`));
        else p.reject(new Error(`Redis: ${error}`));
      }
      return;
    }
    p.resolve(page);
  }

  /**
   * Parses the reply in `page` from `pos`; true when it is complete. Replies: `*n` then n bulk strings (`$len`, or
   * `$-1` for none, left out), `-error`, `+status` (AUTH, SELECT); anything else is a reply this reader does not
   * take, and the connection is dropped rather than read out of step.
   */
  private parse(page: RedisPage): boolean {
    const buf = page.buf;
    const end = page.size;
    let pos = this.pos;
    if (this.remaining < 0) {
      const eol = buf.indexOf(CR, pos);
      if (eol < 0 || eol + 1 >= end) return false;
      const type = buf[pos];
      if (type === 0x2a /* * */) {
        const n = parseInteger(buf, pos + 1, eol);
        this.pos = eol + 2;
        this.remaining = Math.max(0, n);
      } else if (type === 0x2d /* - */ || type === 0x2b /* + */) {
        if (type === 0x2d) page.error = buf.toString('utf8', pos + 1, eol);
        this.pos = eol + 2;
        return true;
      } else {
        throw new Error(`Redis sent a reply of type "${String.fromCharCode(type ?? 0)}" where an array was expected`);
      }
      pos = this.pos;
    }
    while (this.remaining > 0) {
      // `$<len>\r\n<len bytes>\r\n`
      if (pos >= end) break;
      if (buf[pos] !== 0x24 /* $ */) throw new Error(`Redis sent an array item of type "${String.fromCharCode(buf[pos]!)}" where a string was expected`);
      let eol = pos + 1;
      while (eol < end && buf[eol] !== CR) eol++;
      if (eol + 1 >= end) break;
      const len = parseInteger(buf, pos + 1, eol);
      const start = eol + 2;
      if (len < 0) {
        pos = start; // `$-1`: no string
        this.remaining--;
        continue;
      }
      if (start + len + 2 > end) break;
      page.push(start, len);
      pos = start + len + 2;
      this.remaining--;
    }
    this.pos = pos;
    return this.remaining === 0;
  }
}

function parseInteger(buf: Buffer, from: number, to: number): number {
  let i = from;
  let neg = false;
  if (buf[i] === 0x2d) {
    neg = true;
    i++;
  }
  let n = 0;
  for (; i < to; i++) n = n * 10 + (buf[i]! - 48);
  return neg ? -n : n;
}

/** A command as RESP: an array of bulk strings. */
function encode(args: readonly string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return s;
}
