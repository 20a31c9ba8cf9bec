// The watching side of seed 003 for front-ends and monitors (the CLI's `watch`, `approve`, `deny`, `agents`): subscribe
// to agent streams, keep each agent's state from SNAPSHOT/DIFF/RESYNC, and decide a pending tool approval.

import { applyPatch, deepClone, type Operation } from 'fast-json-patch';
import { SwitchboardError } from '../protocol/errors';
import { isoNow, newMessageId } from '../protocol/ids';
import { MessageType } from '../protocol/messageTypes';
import type { Envelope } from '../protocol/schemas';
import type { AgentStreamSnapshotT, PendingApprovalT } from '../protocol/agentStreams';
import type { ObserverClient } from './observerClient';

export type StreamUpdate =
  | { kind: 'state'; agentId: string; state: AgentStreamSnapshotT; via: 'SNAPSHOT' | 'DIFF' | 'RESYNC'; missed?: number }
  | { kind: 'event'; agentId: string; eventType: string; data: unknown; time: string };

/** Each agent's state as a subscriber rebuilds it: a SNAPSHOT (or RESYNC) replaces it, a DIFF patches it. */
export class AgentStreamStates {
  private readonly states = new Map<string, AgentStreamSnapshotT>();

  get(agentId: string): AgentStreamSnapshotT | undefined {
    return this.states.get(agentId);
  }

  all(): AgentStreamSnapshotT[] {
    return [...this.states.values()];
  }

  pendingApprovals(): PendingApprovalT[] {
    return this.all().flatMap((s) => s.pending_approvals);
  }

  /** Applies one stream frame; the update it makes, or undefined for frames that are not agent-stream frames. */
  apply(m: Envelope): StreamUpdate | undefined {
    const agentId = typeof m.agent_id === 'string' ? m.agent_id : undefined;
    if (!agentId) return undefined;
    switch (m.message_type) {
      case MessageType.SNAPSHOT: {
        const state: AgentStreamSnapshotT = { agent_id: agentId, agent: (m.agent ?? null) as AgentStreamSnapshotT['agent'], context: m.context ?? null, pending_approvals: (m.pending_approvals ?? []) as PendingApprovalT[] };
        this.states.set(agentId, state);
        return { kind: 'state', agentId, state, via: 'SNAPSHOT' };
      }
      case MessageType.RESYNC: {
        const state = m.snapshot as AgentStreamSnapshotT;
        this.states.set(agentId, state);
        return { kind: 'state', agentId, state, via: 'RESYNC', missed: typeof m.missed === 'number' ? m.missed : 0 };
      }
      case MessageType.DIFF: {
        const prev = this.states.get(agentId);
        if (!prev) return undefined; // a diff before its snapshot cannot be applied; the next SNAPSHOT/RESYNC repairs it
        const state = applyPatch(deepClone(prev), m.patch as Operation[]).newDocument as AgentStreamSnapshotT;
        this.states.set(agentId, state);
        return { kind: 'state', agentId, state, via: 'DIFF' };
      }
      case MessageType.STREAM_EVENT: {
        const ev = (m.event ?? {}) as { event_type?: string; data?: unknown; time?: string };
        return { kind: 'event', agentId, eventType: ev.event_type ?? 'event', data: ev.data ?? null, time: ev.time ?? isoNow() };
      }
      default:
        return undefined;
    }
  }
}

/** Subscribes to one agent's stream (or every agent's); returns the states it keeps and a stop function. */
export async function watchAgentStreams(
  client: ObserverClient,
  agentId: string | undefined,
  onUpdate: (u: StreamUpdate, states: AgentStreamStates) => void = () => undefined,
): Promise<{ states: AgentStreamStates; stop: () => Promise<void> }> {
  const states = new AgentStreamStates();
  const off = client.onFrame((m) => {
    const u = states.apply(m);
    if (u) onUpdate(u, states);
  });
  const frame: Envelope = { message_type: MessageType.MONITOR_SUBSCRIBE, message_id: newMessageId(), sender_id: client.id ?? null };
  if (agentId) frame.agent_id = agentId;
  await client.sendRaw(frame);
  return {
    states,
    stop: async () => {
      off();
      const unsub: Envelope = { message_type: MessageType.MONITOR_UNSUBSCRIBE, sender_id: client.id ?? null };
      if (agentId) unsub.agent_id = agentId;
      await client.sendRaw(unsub).catch(() => undefined);
    },
  };
}

/**
 * Approve or deny a pending tool call. Resolves once the hub reports it decided (the approval's STREAM_EVENT names
 * this client); rejects with the hub's reason when it refuses (unknown id, already decided by someone else).
 */
export async function decideApproval(
  client: ObserverClient,
  approvalId: string,
  approved: boolean,
  note?: string,
  timeoutMs = 10_000,
  /** The client already streams every agent (its subscription must not be undone here). */
  alreadySubscribed = false,
): Promise<void> {
  let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const off = client.onFrame((m) => {
    if (m.approval_id === approvalId && m.message_type === MessageType.ERROR) {
      settle?.reject(new SwitchboardError(m.code === 'unknown_receiver' ? 'unknown_receiver' : 'invalid_message', String(m.text_payload ?? 'refused')));
    }
    const ev = m.message_type === MessageType.STREAM_EVENT ? (m.event as { event_type?: string; data?: { approval_id?: string; decided_by?: string } }) : undefined;
    if (ev?.event_type === 'approval_decided' && ev.data?.approval_id === approvalId) {
      if (ev.data.decided_by === client.id) settle?.resolve();
      else settle?.reject(new SwitchboardError('invalid_message', `Approval ${approvalId} was decided by ${ev.data.decided_by ?? 'someone else'} first.`));
    }
  });
  const watch = alreadySubscribed ? undefined : await watchAgentStreams(client, undefined);
  const timer = setTimeout(() => settle?.reject(new SwitchboardError('timeout', `The hub did not confirm the decision on ${approvalId} within ${timeoutMs} ms.`)), timeoutMs);
  try {
    const frame: Envelope = { message_type: MessageType.TOOL_APPROVAL_DECISION, message_id: newMessageId(), sender_id: client.id ?? null, approval_id: approvalId, approved };
    if (note !== undefined) frame.note = note;
    await client.sendRaw(frame);
    await done;
  } finally {
    clearTimeout(timer);
    off();
    await watch?.stop();
  }
}
