// One row per message: the log has a row for a chat message coming in and one for each frame the hub wrote out for
// it (to its receiver, a copy to every front-end). This index folds those out-frames into their message's first
// entry and keeps what they say about delivery. Pure: no DOM, tested in plain Node.

import type { LogEntry } from '../protocol/logEntry';

export type DeliveryState = 'sent' | 'delivered' | 'held' | 'bridged' | 'failed';

export interface Delivery {
  message_id: string;
  /** The seq of the message's first entry (normally the frame coming in): the row that stands for it. */
  leadSeq: number;
  leadTime: number;
  receiver?: string;
  state: DeliveryState;
  /** Frames written to the receiver itself. */
  delivered: number;
  /** Frames written to other connections (each front-end's copy). */
  copies: number;
  /** The hub's error text when it could not deliver. */
  error?: string;
  /** Milliseconds from the message coming in to its last frame going out (undefined while none went out). */
  tookMs?: number;
}

export class DeliveryIndex {
  private readonly byId = new Map<string, Delivery>();
  /**
   * The ids in the order they came, so the oldest is forgotten by its key. (Not `byId.keys().next()`: V8 leaves a
   * deleted Map entry as a hole that iteration skips one by one, so taking the first key after many deletions scans
   * them all — 13.6 % of the page's CPU at 20,000 entries/s.)
   */
  private readonly order: string[] = [];
  private oldest = 0;

  /** Remembers at most `capacity` messages, forgetting the oldest first (their out-frames then show as rows). */
  constructor(private readonly capacity: number) {}

  get(messageId: string | undefined): Delivery | undefined {
    return messageId === undefined ? undefined : this.byId.get(messageId);
  }

  clear(): void {
    this.byId.clear();
    this.order.length = 0;
    this.oldest = 0;
  }

  /** Takes each entry once, in seq order. */
  observe(e: LogEntry): void {
    const ref = e.message_type === 'ERROR' && typeof e.body.ref_message_id === 'string' ? e.body.ref_message_id : undefined;
    if (ref !== undefined) {
      const d = this.byId.get(ref);
      if (d) {
        d.state = 'failed';
        d.error = typeof e.body.text_payload === 'string' ? e.body.text_payload : 'not delivered';
      }
    }
    const id = e.message_id;
    if (id === undefined) return;
    const known = this.byId.get(id);
    if (!known) {
      if (this.order.length < this.capacity) this.order.push(id);
      else {
        this.byId.delete(this.order[this.oldest]!);
        this.order[this.oldest] = id;
        this.oldest = (this.oldest + 1) % this.capacity;
      }
      const d: Delivery = { message_id: id, leadSeq: e.seq, leadTime: e.time, state: 'sent', delivered: 0, copies: 0 };
      if (e.receiver_id) d.receiver = e.receiver_id;
      this.byId.set(id, d);
      if (e.direction === 'out') this.countOut(d, e);
      return;
    }
    if (e.direction === 'out' && e.seq !== known.leadSeq) this.countOut(known, e);
  }

  /** An out-frame of a message whose row is another entry: hidden unless the raw rows are asked for. */
  isFollower(e: LogEntry): boolean {
    if (e.direction !== 'out' || e.message_id === undefined) return false;
    const d = this.byId.get(e.message_id);
    return d !== undefined && d.leadSeq < e.seq;
  }

  private countOut(d: Delivery, e: LogEntry): void {
    const status = e.body.routing_status;
    // a frame with no receiver (a STATUS line goes to its session's front-end): the first connection it reached is
    // where it was delivered
    if (!d.receiver && e.client_id && e.recipients === undefined) d.receiver = e.client_id;
    const toReceiver = !d.receiver || e.client_id === d.receiver || (e.recipients ?? 0) > 1;
    if (toReceiver) d.delivered += e.recipients ?? 1;
    else d.copies += e.recipients ?? 1;
    if (d.state !== 'failed') {
      if (status === 'held') d.state = 'held';
      else if (status === 'bridged' && d.state !== 'delivered') d.state = 'bridged';
      else if (toReceiver) d.state = 'delivered';
    }
    if (e.seq !== d.leadSeq) d.tookMs = Math.max(0, e.time - d.leadTime);
  }
}

/** "delivered · 2 copies · 1 ms", "held (receiver paused) · 1 copy", "failed: Agent … is offline". */
export function deliverySummary(d: Delivery, nameOf: (id: string) => string = (id) => id): string {
  const parts: string[] = [];
  switch (d.state) {
    case 'delivered':
      parts.push(d.receiver ? `delivered to ${nameOf(d.receiver)}` : `delivered to ${d.delivered}`);
      break;
    case 'held':
      parts.push('held (receiver paused)');
      break;
    case 'bridged':
      parts.push('passed to another hub');
      break;
    case 'failed':
      parts.push(`failed: ${d.error ?? 'not delivered'}`);
      break;
    default:
      parts.push('no delivery seen');
  }
  if (d.copies > 0) parts.push(`copied to ${d.copies} front-end${d.copies === 1 ? '' : 's'}`);
  if (d.tookMs !== undefined && d.state !== 'failed') parts.push(`${d.tookMs} ms`);
  return parts.join(' · ');
}

/** The short form for the table's Delivery cell. */
export function deliveryBadge(d: Delivery): string {
  const took = d.tookMs !== undefined ? ` ${d.tookMs} ms` : '';
  const copies = d.copies > 0 ? ` +${d.copies}` : '';
  switch (d.state) {
    case 'delivered':
      return `✓${took}${copies}`;
    case 'held':
      return `held${copies}`;
    case 'bridged':
      return `bridged${copies}`;
    case 'failed':
      return 'failed';
    default:
      return copies ? `…${copies}` : '…';
  }
}
