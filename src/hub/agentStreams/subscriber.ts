// One agent-stream subscriber: what it watches, what it was last sent per agent (diffs are computed against that),
// its per-agent frame counter, and its bounded queue. When the queue overflows, what waited is dropped and counted,
// and the subscriber gets a RESYNC {snapshot, missed} per agent affected before anything newer: never a silent drop.

import type { Envelope } from '../../protocol/schemas';
import type { AgentStreamSnapshotT } from '../../protocol/agentStreams';
import { MessageType } from '../../protocol/messageTypes';

/** Where a subscriber's frames go: a socket (by client id) or an in-process listener (the extension). */
export interface StreamSink {
  /** False when the frame could not be written (the client is gone). */
  send(frame: Envelope): boolean;
  /** True while the sink cannot take more now (its socket is backed up): frames wait in the queue. */
  busy(): boolean;
}

interface Queued {
  agentId: string;
  frame: Envelope;
}

export class Subscriber {
  /** Agents watched one by one; `all` watches every agent. */
  readonly agents = new Set<string>();
  all = false;
  /** The state this subscriber holds for each agent (what it was last sent): DIFFs are patches from it. */
  readonly lastSent = new Map<string, AgentStreamSnapshotT>();
  private readonly seqs = new Map<string, number>();
  private queue: Queued[] = [];
  /** Agents owed a RESYNC, and how many of their frames were not sent. */
  private readonly resyncs = new Map<string, number>();
  /** Frames not sent because the queue overflowed, over the subscriber's life. */
  missedTotal = 0;

  constructor(
    readonly id: string,
    private readonly sink: StreamSink,
    private readonly maxQueue: number,
  ) {}

  watches(agentId: string): boolean {
    return this.all || this.agents.has(agentId);
  }

  /** True while a RESYNC is owed for the agent: its diffs and events are counted as missed, the RESYNC covers them. */
  resyncPending(agentId: string): boolean {
    return this.resyncs.has(agentId);
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Queues a frame for an agent's stream (seq is stamped when it is sent). */
  enqueue(agentId: string, frame: Envelope): void {
    const owed = this.resyncs.get(agentId);
    if (owed !== undefined) {
      this.resyncs.set(agentId, owed + 1);
      this.missedTotal++;
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      for (const q of this.queue) this.resyncs.set(q.agentId, (this.resyncs.get(q.agentId) ?? 0) + 1);
      this.missedTotal += this.queue.length + 1;
      this.queue = [];
      this.resyncs.set(agentId, (this.resyncs.get(agentId) ?? 0) + 1);
      return;
    }
    this.queue.push({ agentId, frame });
  }

  /** Sends what it can: owed RESYNCs first (a fresh snapshot each), then the queue in order. True when all went. */
  drain(snapshot: (agentId: string) => AgentStreamSnapshotT): boolean {
    for (const [agentId, missed] of this.resyncs) {
      if (this.sink.busy()) return false;
      const snap = snapshot(agentId);
      this.resyncs.delete(agentId);
      this.lastSent.set(agentId, snap);
      this.write(agentId, { message_type: MessageType.RESYNC, agent_id: agentId, snapshot: snap, missed });
    }
    let i = 0;
    for (; i < this.queue.length; i++) {
      if (this.sink.busy()) break;
      const q = this.queue[i]!;
      this.write(q.agentId, q.frame);
    }
    this.queue = i === this.queue.length ? [] : this.queue.slice(i);
    return this.queue.length === 0 && this.resyncs.size === 0;
  }

  /** Forgets an agent's stream state (unsubscribed). */
  forget(agentId: string): void {
    this.lastSent.delete(agentId);
    this.seqs.delete(agentId);
    this.resyncs.delete(agentId);
    this.queue = this.queue.filter((q) => q.agentId !== agentId);
  }

  private write(agentId: string, frame: Envelope): void {
    const seq = this.seqs.get(agentId) ?? 0;
    this.seqs.set(agentId, seq + 1);
    this.sink.send({ ...frame, seq });
  }
}
