// A fixed-capacity ring of items addressed by an ever-growing absolute index, so that views holding indexes stay
// valid while old items fall out. Policy when full: the oldest item is dropped and counted.

export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  /** Absolute index of the oldest item still held. */
  private head = 0;
  /** Absolute index the next push will get. */
  private tail = 0;
  private droppedTotal = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get start(): number {
    return this.head;
  }
  get end(): number {
    return this.tail;
  }
  get size(): number {
    return this.tail - this.head;
  }
  /** How many items fell out because the ring was full (since construction or the last clear()). */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Appends; returns how many old items were dropped to make room (0 or 1). */
  push(item: T): number {
    let evicted = 0;
    if (this.size === this.capacity) {
      this.items[this.head % this.capacity] = undefined;
      this.head++;
      this.droppedTotal++;
      evicted = 1;
    }
    this.items[this.tail % this.capacity] = item;
    this.tail++;
    return evicted;
  }

  /** The item at an absolute index, or undefined when it fell out (or was never pushed). */
  get(index: number): T | undefined {
    if (index < this.head || index >= this.tail) return undefined;
    return this.items[index % this.capacity];
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.tail; i++) yield this.items[i % this.capacity] as T;
  }

  toArray(): T[] {
    return [...this];
  }

  /** Empties the ring; absolute indexes keep growing so old references stay invalid. */
  clear(): void {
    this.items.fill(undefined);
    this.head = this.tail;
    this.droppedTotal = 0;
  }
}
