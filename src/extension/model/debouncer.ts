// Coalesces bursts of change notifications into one call after a quiet window, so 1,000 agents changing at once cost
// one tree refresh, not 1,000. The set of change kinds seen during the window is handed over in one go.

export class Debouncer<K> {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pending = new Set<K>();

  constructor(
    private readonly delayMs: number,
    private readonly flush: (kinds: ReadonlySet<K>) => void,
    /** Upper bound on how long a continuous stream of changes can postpone a refresh. */
    private readonly maxWaitMs = delayMs * 4,
  ) {}

  private firstAt = 0;

  push(kind: K): void {
    this.pending.add(kind);
    const now = Date.now();
    if (this.timer === undefined) this.firstAt = now;
    else clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.delayMs, this.firstAt + this.maxWaitMs - now));
    this.timer = setTimeout(() => this.run(), wait);
  }

  /** Runs a pending flush now (used on dispose and by tests). */
  flushNow(): void {
    if (this.timer !== undefined) this.run();
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private run(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const kinds = this.pending;
    this.pending = new Set();
    this.flush(kinds);
  }
}
