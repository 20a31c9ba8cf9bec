// Receiver-side de-duplication: the wire is at-least-once (redeliveries after a broker restart, republished
// unconfirmed messages), the handler must see each message once. A bounded window of recently seen ids.

/** Remembers the last `capacity` ids (insertion order); the oldest is forgotten first. */
export class DedupWindow {
  private readonly seen = new Set<string>();
  private duplicates = 0;

  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('DedupWindow capacity must be a positive integer');
  }

  /**
   * True when `id` was seen within the window (a duplicate: drop it); otherwise records it and returns false.
   * An absent id cannot be de-duplicated and always counts as new.
   */
  isDuplicate(id: string | undefined): boolean {
    if (id === undefined || id === '') return false;
    if (this.seen.has(id)) {
      this.duplicates++;
      return true;
    }
    this.seen.add(id);
    if (this.seen.size > this.capacity) {
      // Sets iterate in insertion order: the first key is the oldest.
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return false;
  }

  /** How many duplicates were dropped so far. */
  get dropped(): number {
    return this.duplicates;
  }

  get size(): number {
    return this.seen.size;
  }

  clear(): void {
    this.seen.clear();
  }
}
