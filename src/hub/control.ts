// Agent control: pause/resume/deregister/reregister one agent or all, from a front-end, a monitor or the hub's API.
// The command is forwarded to the agent and reflected in its status; chat for a paused agent is held (bounded, the
// oldest dropped and counted) and delivered in order on resume; RESET_ALL_QUEUES empties every hold.

import type { Envelope } from '../protocol/schemas';
import { MessageType, type ControlAction } from '../protocol/messageTypes';
import { isoNow, newMessageId } from '../protocol/ids';
import { SwitchboardError } from '../protocol/errors';
import type { Connection } from './connection';
import type { AgentRecord, Registry } from './registry';
import { SERVER_SENDER_ID } from './frames';

const ACTION_TYPES: Record<ControlAction, string> = {
  pause: MessageType.PAUSE_AGENT,
  resume: MessageType.RESUME_AGENT,
  deregister: MessageType.DEREGISTER_AGENT,
  reregister: MessageType.REREGISTER_AGENT,
};

const TYPE_ACTIONS: Record<string, { action: ControlAction; all: boolean }> = {
  [MessageType.PAUSE_AGENT]: { action: 'pause', all: false },
  [MessageType.RESUME_AGENT]: { action: 'resume', all: false },
  [MessageType.DEREGISTER_AGENT]: { action: 'deregister', all: false },
  [MessageType.REREGISTER_AGENT]: { action: 'reregister', all: false },
  [MessageType.PAUSE_ALL_AGENTS]: { action: 'pause', all: true },
  [MessageType.RESUME_ALL_AGENTS]: { action: 'resume', all: true },
  [MessageType.DEREGISTER_ALL_AGENTS]: { action: 'deregister', all: true },
  [MessageType.REREGISTER_ALL_AGENTS]: { action: 'reregister', all: true },
};

/** Reads a control frame: which action, and the agent it names (agent_id, else receiver_id) or "all". */
export function parseControl(msg: Envelope): { action: ControlAction; target: string } | undefined {
  const t = TYPE_ACTIONS[msg.message_type];
  if (!t) return undefined;
  if (t.all) return { action: t.action, target: 'all' };
  const id = typeof msg.agent_id === 'string' && msg.agent_id ? msg.agent_id : typeof msg.receiver_id === 'string' ? msg.receiver_id : '';
  return { action: t.action, target: id };
}

export interface ControlDeps {
  send(conn: Connection, frame: Envelope): void;
  /** Deliver a previously held chat message (the router's transport). */
  deliverHeld(conn: Connection, message: Envelope): void;
  markChanged(agentId: string): void;
  maxHeldPerAgent: number;
  /** A held message was dropped because the queue was full. */
  onHeldDropped(rec: AgentRecord, dropped: Envelope): void;
  /** The first message held since the agent was paused (a person asks "where did my message go?"). */
  onHoldStarted?(rec: AgentRecord): void;
  /** Held messages delivered on RESUME. */
  onHeldReleased?(rec: AgentRecord, count: number): void;
}

export class Control {
  constructor(
    private readonly registry: Registry,
    private readonly deps: ControlDeps,
  ) {}

  /** Applies an action; returns the agents affected. Throws SwitchboardError('unknown_receiver') for an unknown id. */
  apply(action: ControlAction, target: string, by: string, reason?: string): string[] {
    const recs: AgentRecord[] = [];
    if (target === 'all') {
      for (const rec of this.registry.agents.values()) if (rec.conn) recs.push(rec);
    } else {
      const rec = this.registry.agents.get(target);
      if (!rec) throw new SwitchboardError('unknown_receiver', `Unknown agent "${target}": check the id in the Agents list.`);
      recs.push(rec);
    }
    for (const rec of recs) this.applyOne(action, rec, by, reason);
    return recs.map((r) => r.agent_id);
  }

  private applyOne(action: ControlAction, rec: AgentRecord, by: string, reason: string | undefined): void {
    switch (action) {
      case 'pause':
        rec.paused = true;
        break;
      case 'resume':
        rec.paused = false;
        break;
      case 'deregister':
        rec.deregistered = true;
        break;
      case 'reregister':
        // Shown online again while its socket lives; the agent is asked to send REGISTER_AGENT again.
        rec.deregistered = false;
        break;
    }
    if (rec.conn) {
      const frame: Envelope = {
        message_type: ACTION_TYPES[action],
        message_id: newMessageId(),
        sender_id: by || SERVER_SENDER_ID,
        receiver_id: rec.agent_id,
        agent_id: rec.agent_id,
        send_timestamp: isoNow(),
      };
      if (reason) frame.reason = reason;
      this.deps.send(rec.conn, frame);
    }
    if (action === 'resume') this.release(rec);
    this.deps.markChanged(rec.agent_id);
  }

  hold(rec: AgentRecord, message: Envelope): void {
    if (rec.held.length >= this.deps.maxHeldPerAgent) {
      const dropped = rec.held.shift()!;
      rec.heldDropped++;
      this.deps.onHeldDropped(rec, dropped);
    }
    if (rec.held.length === 0) this.deps.onHoldStarted?.(rec);
    rec.held.push(message);
    this.deps.markChanged(rec.agent_id);
  }

  /** Delivers held chat in arrival order. */
  private release(rec: AgentRecord): void {
    if (!rec.conn || rec.held.length === 0) return;
    const held = rec.held;
    rec.held = [];
    for (const m of held) {
      m.routing_status = 'routed';
      this.deps.deliverHeld(rec.conn, m);
    }
    this.deps.onHeldReleased?.(rec, held.length);
  }

  /** Empties every held queue; returns how many messages were dropped. */
  resetQueues(): number {
    let n = 0;
    for (const rec of this.registry.agents.values()) {
      if (rec.held.length === 0) continue;
      n += rec.held.length;
      rec.held = [];
      this.deps.markChanged(rec.agent_id);
    }
    return n;
  }
}
