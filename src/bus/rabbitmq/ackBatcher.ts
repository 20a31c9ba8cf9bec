// Acknowledgements of one RabbitMQ consume channel, coalesced: every delivery is acked once its own handler has
// settled (never earlier), but the acks that become due in one event-loop turn leave as a single `basic.ack` with
// multiple=true for the settled run at the front, instead of one frame each that the broker must process. A delivery
// settled behind one still running is acked on its own at once, so a slow handler never holds the others' acks back.

import type { Channel, ConsumeMessage } from 'amqplib';

export class AckBatcher {
  /** Deliveries in the order the broker sent them (its tags ascend), from `head` on not yet covered by an ack. */
  private order: ConsumeMessage[] = [];
  private head = 0;
  /** Settled, ack not sent yet. */
  private readonly due = new Set<ConsumeMessage>();
  /** Already answered on their own (an ack, or a release back to the queue); still in `order`. */
  private readonly answered = new Set<ConsumeMessage>();
  private scheduled = false;
  private closed = false;
  /** basic.ack frames sent (for tests and figures). */
  frames = 0;

  constructor(private readonly ch: Channel) {}

  /** Every delivery on the channel must be registered, in arrival order, before it is settled or released. */
  received(msg: ConsumeMessage): void {
    this.order.push(msg);
  }

  /** Its handler has settled: the ack goes out at the end of this event-loop turn. */
  settle(msg: ConsumeMessage): void {
    if (this.closed) return;
    this.due.add(msg);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Not handled here (its subscription ended): back to the queue for another consumer, now. */
  release(msg: ConsumeMessage): void {
    if (this.closed) return;
    this.answered.add(msg);
    try {
      this.ch.nack(msg, false, true);
    } catch {
      // the channel is gone: the broker requeues it anyway
    }
  }

  /** The channel is gone: nothing more is sent on it (the broker redelivers whatever was unacked). */
  close(): void {
    this.closed = true;
    this.order = [];
    this.head = 0;
    this.due.clear();
    this.answered.clear();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.closed) return;
    let last: ConsumeMessage | undefined;
    while (this.head < this.order.length) {
      const m = this.order[this.head]!;
      if (this.due.delete(m)) last = m;
      else if (!this.answered.delete(m)) break; // still running: it and everything behind it stay
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
    try {
      // multiple=true acks every still-unacked delivery up to `last`: exactly the settled run just walked over
      // (the ones answered on their own before are no longer unacked on the broker's side).
      if (last) {
        this.ch.ack(last, true);
        this.frames++;
      }
      for (const m of this.due) {
        this.ch.ack(m, false);
        this.frames++;
        this.answered.add(m);
      }
    } catch {
      // The channel closed meanwhile: the broker redelivers, and the dedup window drops the copies.
      this.close();
      return;
    }
    this.due.clear();
  }
}
