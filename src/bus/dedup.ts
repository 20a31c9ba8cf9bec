// Receiver-side de-duplication: the wire is at-least-once (redeliveries after a broker restart, republished
// unconfirmed messages), the handler must see each message once. A bounded window of recently seen ids.

/**
 * Remembers the last `capacity` ids (insertion order); the oldest is forgotten first. A Set answers "seen?", a ring
 * of the same ids says which is oldest: evicting through the Set's own iterator (`values().next()`) gets slower and
 * slower as deleted entries pile up at its front until V8 rehashes, which made it the Kafka consumer's hottest spot.
 */
export class DedupWindow {
  private readonly seen = new Set<string>();
  /** Grows to `capacity`, then wraps: the slot at `head` holds the oldest id. */
  private readonly ring: string[] = [];
  /** Where the next id goes once the ring is full (the oldest one's slot). */
  private head = 0;
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
    if (this.ring.length < this.capacity) {
      this.ring.push(id);
    } else {
      this.seen.delete(this.ring[this.head]!);
      this.ring[this.head] = id;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
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
    this.ring.length = 0;
    this.head = 0;
  }
}
