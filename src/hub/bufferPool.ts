// Large buffers lent and given back: a frame of a few hundred KB built for every query (a HISTORY_RESPONSE) would
// otherwise be a new allocation outside the V8 heap each time, and enough of those set off garbage collections that
// land in a query's latency. Buffers are sized in powers of two; at most `keep` of at most `maxBytes` are kept.

export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    private readonly keep = 4,
    private readonly maxBytes = 4 * 1024 * 1024,
  ) {}

  /** A buffer of at least `size` bytes (its contents are whatever was there): give it back once nothing reads it. */
  take(size: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const len = this.free[i]!.length;
      if (len >= size && (best < 0 || len < this.free[best]!.length)) best = i;
    }
    if (best >= 0) return this.free.splice(best, 1)[0]!;
    let cap = 64 * 1024;
    while (cap < size) cap *= 2;
    return Buffer.allocUnsafe(cap);
  }

  /** Back to the pool (kept if there is room and it is not too large). Give a buffer back once only. */
  give(buf: Buffer): void {
    if (this.free.length < this.keep && buf.length <= this.maxBytes && !this.free.includes(buf)) this.free.push(buf);
  }

  /** Buffers waiting to be lent (tests). */
  get size(): number {
    return this.free.length;
  }
}
