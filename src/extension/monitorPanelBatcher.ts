// Batches log entries for the Monitor webview: one postMessage per interval instead of one per entry, a bounded
// buffer (oldest dropped and counted) while the webview is slow, hidden or not ready yet. No `vscode` import, so
// it is tested in plain Node.

import type { LogEntry } from '../protocol/logEntry';

export interface BatcherOptions {
  /** Entries kept while waiting to post; beyond it the oldest are dropped and counted. */
  maxBuffered: number;
  /** Delay between posts while entries keep coming. */
  flushMs: number;
  /** Most entries in one post (a huge single message stalls the webview's parser). */
  maxBatch: number;
}

export const DEFAULT_BATCHER_OPTIONS: Readonly<BatcherOptions> = Object.freeze({ maxBuffered: 20_000, flushMs: 50, maxBatch: 2_000 });

export type PostBatch = (entries: LogEntry[], dropped: number) => void;

export class EntryBatcher {
  private buffer: LogEntry[] = [];
  private dropped = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private open = false;
  private disposed = false;

  constructor(
    private readonly post: PostBatch,
    private readonly opts: BatcherOptions = DEFAULT_BATCHER_OPTIONS,
  ) {}

  /** Entries buffered and not yet posted. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Posting starts when the webview said it is ready and stops when it goes away; closing drops the buffer
   *  because the next ready brings a fresh snapshot. */
  setOpen(open: boolean): void {
    this.open = open;
    if (!open) this.reset();
    else if (this.buffer.length || this.dropped) this.schedule();
  }

  push(entries: readonly LogEntry[]): void {
    if (this.disposed || !this.open) return;
    for (const e of entries) this.buffer.push(e);
    const over = this.buffer.length - this.opts.maxBuffered;
    if (over > 0) {
      this.buffer.splice(0, over);
      this.dropped += over;
    }
    this.schedule();
  }

  /** Posts everything now (e.g. before a snapshot replaces the picture). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.disposed || !this.open) return;
    do {
      const batch = this.buffer.splice(0, this.opts.maxBatch);
      const dropped = this.dropped;
      this.dropped = 0;
      if (batch.length || dropped) this.post(batch, dropped);
    } while (this.buffer.length);
  }

  reset(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.buffer = [];
    this.dropped = 0;
  }

  dispose(): void {
    this.disposed = true;
    this.reset();
  }

  private schedule(): void {
    if (this.timer || this.disposed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.open) return;
      const batch = this.buffer.splice(0, this.opts.maxBatch);
      const dropped = this.dropped;
      this.dropped = 0;
      if (batch.length || dropped) this.post(batch, dropped);
      if (this.buffer.length) this.schedule();
    }, this.opts.flushMs);
  }
}
