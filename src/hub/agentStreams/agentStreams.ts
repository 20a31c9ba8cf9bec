// The agent streams family (seed 003): per-agent state (the registry's snapshot, the context the agent reported, its
// pending tool approvals), subscriptions from front-ends and monitors (or in-process listeners: the extension), a
// SNAPSHOT at once, RFC 6902 DIFFs at most every streamDiffIntervalMs and only when something changed, STREAM_EVENTs
// followed by a fresh SNAPSHOT, and tool approvals decided exactly once. Plugs in through the HubPort alone.

import { compare } from 'fast-json-patch';
import type { Envelope } from '../../protocol/schemas';
import type { AgentSnapshot } from '../../protocol/logEntry';
import type { ClientRole } from '../../protocol/messageTypes';
import type { AgentStreamSnapshotT, JsonPatchOperationT, PendingApprovalT } from '../../protocol/agentStreams';
import type { Logger } from '../../protocol/logger';
import { MessageType, HUB_USER_ID } from '../../protocol/messageTypes';
import { isoNow, newMessageId } from '../../protocol/ids';
import { SwitchboardError } from '../../protocol/errors';
import type { ClientContext, HubPort } from '../port';
import type { HubOptions } from '../options';
import { errorFrame } from '../frames';
import { Approvals, type ApprovalRequestInput, type ApprovalResolution } from './approvals';
import { Subscriber, type StreamSink } from './subscriber';

export type AgentStreamOptions = Pick<HubOptions, 'streamDiffIntervalMs' | 'streamQueueMax' | 'maxAgentContextBytes'>;

/** Roles that may watch streams: those that may control agents today. */
const SUBSCRIBE_ROLES: ReadonlySet<ClientRole> = new Set(['frontend', 'monitor', 'broker']);
/** Roles that may decide an approval: a person's front-end or monitor (never an agent, never a routing broker). */
const DECIDE_ROLES: ReadonlySet<ClientRole> = new Set(['frontend', 'monitor']);
/** A socket holding more than this is left to drain before more stream frames are written to it. */
const SINK_BUSY_BYTES = 1024 * 1024;
/** Retry for subscribers whose socket was backed up. */
const DRAIN_RETRY_MS = 25;
/** Contexts remembered for agents (offline ones keep theirs for the UI); beyond this the oldest report is forgotten. */
const MAX_CONTEXTS = 10_000;

/** A change to the pending approvals, for the extension (notifications, tree, status bar). */
export type ApprovalChange = { kind: 'requested'; approval: PendingApprovalT } | { kind: 'resolved'; resolution: ApprovalResolution };

export class AgentStreams {
  private readonly contexts = new Map<string, unknown>();
  /** The registry's snapshot per agent as last published (presence changes), so a context report alone moves nothing else. */
  private readonly agentCache = new Map<string, AgentSnapshot>();
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly dirty = new Set<string>();
  private readonly draining = new Set<Subscriber>();
  private readonly approvalListeners = new Set<(c: ApprovalChange) => void>();
  readonly approvals: Approvals;
  private diffTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private drainScheduled = false;
  private inProcessSeq = 0;
  private readonly logger: Logger;
  private readonly disposers: (() => void)[] = [];

  constructor(
    private readonly port: HubPort,
    private readonly opts: AgentStreamOptions,
  ) {
    this.logger = port.logger.child('streams');
    this.approvals = new Approvals((r) => this.resolved(r));
  }

  // --- in-process API (the extension, the CLI's hub, tests) ---------------------------------------------------

  /** Pending approvals of one agent, or of all. */
  pendingApprovals(agentId?: string): PendingApprovalT[] {
    return agentId === undefined ? this.approvals.all() : this.approvals.forAgent(agentId);
  }

  /** The person at the UI decides; throws SwitchboardError when the approval is unknown or already resolved. */
  decide(approvalId: string, approved: boolean, note?: string, by: string = HUB_USER_ID): ApprovalResolution {
    const r = this.approvals.decide(approvalId, approved, note ?? null, by);
    if (!r.ok) throw new SwitchboardError(r.code, r.text);
    return r.value;
  }

  /** Listens to approvals being requested and resolved. Returns a remover. */
  onApprovalChange(listener: (c: ApprovalChange) => void): () => void {
    this.approvalListeners.add(listener);
    return () => this.approvalListeners.delete(listener);
  }

  /** Streams one agent (or every agent) to a listener: the same frames a socket subscriber gets. Returns a remover. */
  subscribe(agentId: string | undefined, listener: (frame: Envelope) => void): () => void {
    const id = `inproc_${++this.inProcessSeq}`;
    const sink: StreamSink = {
      send: (frame) => {
        try {
          listener(frame);
        } catch (err) {
          this.logger.error(`an agent stream listener threw: ${(err as Error).message}`);
        }
        return true;
      },
      busy: () => false,
    };
    this.addSubscription(id, sink, agentId);
    return () => this.removeSubscriber(id);
  }

  /** The current state of an agent as a subscriber would see it. */
  snapshot(agentId: string): AgentStreamSnapshotT {
    let agent = this.agentCache.get(agentId);
    if (!agent) {
      agent = this.port.agents().find((a) => a.agent_id === agentId);
      if (agent) this.cacheAgent(agent);
    }
    return {
      agent_id: agentId,
      agent: agent ? { ...agent } : null,
      context: this.contexts.has(agentId) ? this.contexts.get(agentId) : null,
      pending_approvals: this.approvals.forAgent(agentId),
    };
  }

  /** A subscriber's queue and the frames it missed (overflows), or undefined when it does not subscribe. */
  subscriberStats(id: string): { queued: number; missed: number } | undefined {
    const sub = this.subscribers.get(id);
    return sub ? { queued: sub.queued, missed: sub.missedTotal } : undefined;
  }

  /** Socket subscribers and in-process listeners. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  // --- frames from clients ------------------------------------------------------------------------------------

  onAgentContext(m: Envelope, client: ClientContext): void {
    if (!this.requireRole(client, m, new Set(['agent']), 'agents')) return;
    const json = JSON.stringify(m.context ?? null);
    const bytes = Buffer.byteLength(json);
    if (bytes > this.opts.maxAgentContextBytes) {
      this.error(client, 'frame_too_large', `AGENT_CONTEXT of ${bytes} bytes exceeds the agent context cap maxAgentContextBytes (${this.opts.maxAgentContextBytes} bytes); it was not kept. Send less (recent messages only, shorter tool lists).`, m);
      return;
    }
    // A key named __proto__ cannot travel in a DIFF: JSON Patch appliers (fast-json-patch in the monitor) refuse the
    // path as prototype pollution, and every subscriber would lose the agent's state until its next SNAPSHOT. In
    // JSON.stringify's output the text "__proto__": (unescaped quotes) is only ever a key.
    if (json.includes('"__proto__":')) {
      this.error(client, 'invalid_message', 'AGENT_CONTEXT has a key named "__proto__" (at some depth); it was not kept. Rename that key: monitors apply context changes as JSON Patches, which refuse it.', m);
      return;
    }
    // kept as its own parse: the stored value is never shared with the frame (which the log keeps)
    this.setContext(client.id, JSON.parse(json) as unknown);
  }

  onSubscribe(m: Envelope, client: ClientContext, subscribe: boolean): void {
    if (!this.requireRole(client, m, SUBSCRIBE_ROLES, 'front-ends, monitors and brokers')) return;
    const agentId = typeof m.agent_id === 'string' && m.agent_id ? m.agent_id : undefined;
    if (!subscribe) {
      const sub = this.subscribers.get(client.id);
      if (!sub) return;
      if (agentId === undefined) this.removeSubscriber(client.id);
      else {
        sub.agents.delete(agentId);
        if (!sub.all) sub.forget(agentId);
        if (!sub.all && sub.agents.size === 0) this.removeSubscriber(client.id);
      }
      return;
    }
    const port = this.port;
    const sink: StreamSink = {
      send: (frame) => port.sendUnlogged(client.id, frame),
      busy: () => (port.bufferedBytes(client.id) ?? 0) > SINK_BUSY_BYTES,
    };
    this.addSubscription(client.id, sink, agentId);
  }

  onApprovalRequest(m: Envelope, client: ClientContext): void {
    if (!this.requireRole(client, m, new Set(['agent']), 'agents')) return;
    // the message debugger may hold it first ("every tool approval"): released (maybe edited), it is requested then
    const resume = (frame: Envelope): void => {
      // an agent that left while its request was held is not waiting any more: nothing to put before a person
      if (this.port.connectedAgents().includes(client.id)) this.requestApproval(frame, client);
    };
    if (this.port.gateFrame(m, client.id, resume)) return;
    this.requestApproval(m, client);
  }

  private requestApproval(m: Envelope, client: ClientContext): void {
    const r = this.approvals.request(client.id, m as unknown as ApprovalRequestInput);
    if (!r.ok) {
      this.error(client, r.code, r.text, m);
      return;
    }
    const approval = r.value;
    this.emitApproval({ kind: 'requested', approval });
    this.streamEvent(client.id, 'approval_requested', approval);
  }

  onApprovalDecision(m: Envelope, client: ClientContext): void {
    if (!this.requireRole(client, m, DECIDE_ROLES, 'front-ends and monitors (a person), never agents')) return;
    const note = typeof m.note === 'string' ? m.note : null;
    const r = this.approvals.decide(String(m.approval_id), m.approved === true, note, client.id);
    if (!r.ok) this.error(client, r.code, r.text, m);
  }

  // --- hub events ---------------------------------------------------------------------------------------------

  onAgentEvent(agentId: string, eventType: string, data: unknown, time: string): void {
    this.streamEvent(agentId, eventType, data ?? null, time);
  }

  onAgentsChanged(changed: AgentSnapshot[]): void {
    for (const a of changed) {
      this.cacheAgent(a);
      this.markDirty(a.agent_id);
    }
  }

  onAgentLeft(agentId: string): void {
    this.approvals.cancelAgent(agentId, 'the agent disconnected');
  }

  onClientLeft(clientId: string): void {
    this.removeSubscriber(clientId);
  }

  /** Run fn on close (listeners the family added to the hub). */
  own(fn: () => void): void {
    this.disposers.push(fn);
  }

  /** The hub stops: timers cleared, subscriptions and approvals dropped (agents are gone by then). */
  close(): void {
    if (this.diffTimer) clearTimeout(this.diffTimer);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.diffTimer = this.drainTimer = undefined;
    this.approvals.close();
    this.subscribers.clear();
    this.dirty.clear();
    this.draining.clear();
  }

  dispose(): void {
    this.close();
    for (const d of this.disposers.splice(0)) d();
  }

  // --- inside -------------------------------------------------------------------------------------------------

  setContext(agentId: string, context: unknown): void {
    this.contexts.delete(agentId); // re-inserted last: the map's order is the age of the reports
    this.contexts.set(agentId, context);
    if (this.contexts.size > MAX_CONTEXTS) this.contexts.delete(this.contexts.keys().next().value!);
    this.markDirty(agentId);
  }

  /** Bounded like the contexts: the registry forgets offline agents too, and a forgotten one is looked up again. */
  private cacheAgent(a: AgentSnapshot): void {
    this.agentCache.delete(a.agent_id);
    this.agentCache.set(a.agent_id, a);
    if (this.agentCache.size > MAX_CONTEXTS) this.agentCache.delete(this.agentCache.keys().next().value!);
  }

  private addSubscription(id: string, sink: StreamSink, agentId: string | undefined): void {
    let sub = this.subscribers.get(id);
    if (!sub) {
      sub = new Subscriber(id, sink, this.opts.streamQueueMax);
      this.subscribers.set(id, sub);
    }
    let targets: Iterable<string>;
    if (agentId === undefined) {
      sub.all = true;
      // one registry walk for every agent, not one per snapshot; and the agents that reported a context but the
      // registry no longer shows (another hub's, a forgotten one)
      const list = this.port.agents();
      for (const a of list) this.cacheAgent(a);
      targets = new Set([...list.map((a) => a.agent_id), ...this.contexts.keys()]);
    } else {
      sub.agents.add(agentId);
      targets = [agentId];
    }
    for (const a of targets) this.enqueueSnapshot(sub, a);
    this.scheduleDrain(sub);
  }

  private removeSubscriber(id: string): void {
    const sub = this.subscribers.get(id);
    if (!sub) return;
    this.subscribers.delete(id);
    this.draining.delete(sub);
  }

  private enqueueSnapshot(sub: Subscriber, agentId: string, snap: AgentStreamSnapshotT = this.snapshot(agentId)): void {
    if (sub.resyncPending(agentId)) {
      sub.enqueue(agentId, { message_type: MessageType.SNAPSHOT }); // counted as missed; the RESYNC carries the state
      return;
    }
    sub.lastSent.set(agentId, snap);
    sub.enqueue(agentId, { message_type: MessageType.SNAPSHOT, ...snap });
  }

  /** STREAM_EVENT to the agent's subscribers, then a fresh SNAPSHOT to each whose view of the agent is now stale. */
  private streamEvent(agentId: string, eventType: string, data: unknown, time: string = isoNow()): void {
    if (this.subscribers.size === 0) return;
    const snap = this.snapshot(agentId);
    const event = { event_type: eventType, data, time };
    for (const sub of this.subscribers.values()) {
      if (!sub.watches(agentId)) continue;
      sub.enqueue(agentId, { message_type: MessageType.STREAM_EVENT, agent_id: agentId, event });
      const last = sub.lastSent.get(agentId);
      if (!last || compare(last, snap).length > 0) this.enqueueSnapshot(sub, agentId, snap);
      this.scheduleDrain(sub);
    }
  }

  private markDirty(agentId: string): void {
    if (this.subscribers.size === 0) return;
    this.dirty.add(agentId);
    if (this.diffTimer) return;
    this.diffTimer = setTimeout(() => {
      this.diffTimer = undefined;
      this.flushDiffs();
    }, this.opts.streamDiffIntervalMs);
    this.diffTimer.unref();
  }

  /** One DIFF per subscriber and changed agent, against what that subscriber was last sent; nothing when equal. */
  flushDiffs(): void {
    const agents = [...this.dirty];
    this.dirty.clear();
    for (const agentId of agents) {
      let snap: AgentStreamSnapshotT | undefined;
      for (const sub of this.subscribers.values()) {
        if (!sub.watches(agentId) || sub.resyncPending(agentId)) continue;
        snap ??= this.snapshot(agentId);
        const last = sub.lastSent.get(agentId);
        if (!last) {
          this.enqueueSnapshot(sub, agentId, snap); // an agent new to an every-agent subscriber
        } else {
          const patch = compare(last, snap) as JsonPatchOperationT[];
          if (patch.length === 0) continue;
          sub.lastSent.set(agentId, snap);
          sub.enqueue(agentId, { message_type: MessageType.DIFF, agent_id: agentId, patch });
        }
        this.scheduleDrain(sub);
      }
    }
  }

  private scheduleDrain(sub: Subscriber): void {
    this.draining.add(sub);
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drainAll();
    });
  }

  private drainAll(): void {
    for (const sub of [...this.draining]) {
      if (this.subscribers.get(sub.id) !== sub || sub.drain((a) => this.snapshot(a))) this.draining.delete(sub);
    }
    if (this.draining.size > 0 && !this.drainTimer) {
      this.drainTimer = setTimeout(() => {
        this.drainTimer = undefined;
        this.drainAll();
      }, DRAIN_RETRY_MS);
      this.drainTimer.unref();
    }
  }

  private resolved(r: ApprovalResolution): void {
    const a = r.approval;
    const frame: Envelope = {
      message_type: MessageType.TOOL_APPROVAL_DECISION,
      message_id: newMessageId(),
      sender_id: 'server',
      receiver_id: a.agent_id,
      send_timestamp: r.time,
      approval_id: a.approval_id,
      approved: r.approved,
      note: r.note,
      decided_by: r.decidedBy,
      agent_id: a.agent_id,
    };
    if (r.by.kind === 'cancelled') {
      this.port.logInternal({ message_type: 'TOOL_APPROVAL_CANCELLED', approval_id: a.approval_id, agent_id: a.agent_id, tool: a.tool, reason: r.by.reason }, a.agent_id);
    } else {
      // logged as it goes out (who decided what, when); a timeout is also recorded on its own
      if (r.by.kind === 'timeout') this.port.logInternal({ message_type: 'TOOL_APPROVAL_TIMEOUT', approval_id: a.approval_id, agent_id: a.agent_id, tool: a.tool, applied_default: r.approved }, a.agent_id);
      if (!this.port.sendToClient(a.agent_id, frame)) {
        this.port.logInternal({ message_type: 'TOOL_APPROVAL_UNDELIVERED', approval_id: a.approval_id, agent_id: a.agent_id, approved: r.approved, decided_by: r.decidedBy }, a.agent_id);
      }
    }
    this.emitApproval({ kind: 'resolved', resolution: r });
    const eventType = r.by.kind === 'person' ? 'approval_decided' : r.by.kind === 'timeout' ? 'approval_timed_out' : 'approval_cancelled';
    this.streamEvent(a.agent_id, eventType, { approval_id: a.approval_id, tool: a.tool, approved: r.approved, note: r.note, decided_by: r.decidedBy });
  }

  private emitApproval(c: ApprovalChange): void {
    for (const l of this.approvalListeners) {
      try {
        l(c);
      } catch (err) {
        this.logger.error(`an approval listener threw: ${(err as Error).message}`);
      }
    }
  }

  private requireRole(client: ClientContext, m: Envelope, roles: ReadonlySet<ClientRole>, who: string): boolean {
    if (client.role === undefined) {
      this.error(client, 'not_registered', `Register first (REGISTER_AGENT, REGISTER_FRONTEND or REGISTER_MONITOR) before sending ${m.message_type}.`, m);
      return false;
    }
    if (roles.has(client.role)) return true;
    this.error(client, 'forbidden', `${m.message_type} is accepted from ${who} only.`, m);
    return false;
  }

  /** An ERROR naming the offending frame (and its approval_id, so an SDK can fail the right request). */
  private error(client: ClientContext, code: Parameters<ClientContext['error']>[0], text: string, m: Envelope): void {
    const frame = errorFrame(client.id, code, text, m.message_id);
    if (typeof m.approval_id === 'string') frame.approval_id = m.approval_id;
    frame.ref_message_type = m.message_type;
    client.send(frame);
  }
}

/** Creates the family and plugs it in through the port: its message types, lifecycle, agent events and presence. */
export function attachAgentStreams(port: HubPort, opts: AgentStreamOptions): AgentStreams {
  const s = new AgentStreams(port, opts);
  s.own(port.handle(MessageType.AGENT_CONTEXT, (m, c) => s.onAgentContext(m, c)));
  // an agent may report its context many times a second: the stream carries it, the log would only be flooded
  s.own(port.unloggedInbound(MessageType.AGENT_CONTEXT));
  s.own(port.handle(MessageType.MONITOR_SUBSCRIBE, (m, c) => s.onSubscribe(m, c, true)));
  s.own(port.handle(MessageType.MONITOR_UNSUBSCRIBE, (m, c) => s.onSubscribe(m, c, false)));
  s.own(port.handle(MessageType.TOOL_APPROVAL_REQUEST, (m, c) => s.onApprovalRequest(m, c)));
  s.own(port.handle(MessageType.TOOL_APPROVAL_DECISION, (m, c) => s.onApprovalDecision(m, c)));
  s.own(port.onLifecycle({
    released: (role, id) => {
      if (role === 'agent') s.onAgentLeft(id);
      s.onClientLeft(id);
    },
  }));
  const onEvent = (ev: { agent_id: string | null; event_type: string; data: unknown; time: string }): void => {
    if (ev.agent_id) s.onAgentEvent(ev.agent_id, ev.event_type, ev.data, ev.time);
  };
  const onAgents = (changed: AgentSnapshot[]): void => s.onAgentsChanged(changed);
  const onState = (state: string): void => {
    if (state === 'stopped') s.close();
  };
  port.events.on('agentEvent', onEvent);
  port.events.on('agents', onAgents);
  port.events.on('state', onState);
  s.own(() => {
    port.events.off('agentEvent', onEvent);
    port.events.off('agents', onAgents);
    port.events.off('state', onState);
  });
  return s;
}
