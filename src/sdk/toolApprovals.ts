// The agent's side of seed 003: ask a person before a tool call (TOOL_APPROVAL_REQUEST → TOOL_APPROVAL_DECISION,
// matched by approval_id) and report the agent's context (AGENT_CONTEXT). AgentClient owns one of these.

import { SwitchboardError } from '../protocol/errors';
import { isoNow, newMessageId } from '../protocol/ids';
import { MessageType } from '../protocol/messageTypes';
import type { Envelope } from '../protocol/schemas';
import type { ApprovalOutcome } from '../protocol/agentStreams';

export type { ApprovalOutcome } from '../protocol/agentStreams';

export interface ApprovalOptions {
  /** The hub applies `default` when nobody decides within this time (and says so: decidedBy "timeout"). */
  timeoutMs?: number;
  /** What the timeout decides; false when absent. */
  default?: boolean;
}

interface Waiting {
  resolve: (o: ApprovalOutcome) => void;
  reject: (e: Error) => void;
  fallback: boolean;
}

export class ToolApprovals {
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly send: (frame: Envelope) => Promise<void>) {}

  /** Resolves with the decision; rejects when the hub refuses the request (e.g. a duplicate id). */
  request(tool: string, args: unknown, opts: ApprovalOptions = {}): Promise<ApprovalOutcome> {
    const approvalId = `ap_${newMessageId().replace(/^msg_/, '')}`;
    const frame: Envelope = {
      message_type: MessageType.TOOL_APPROVAL_REQUEST,
      message_id: newMessageId(),
      send_timestamp: isoNow(),
      approval_id: approvalId,
      tool,
      arguments: args ?? null,
    };
    if (opts.timeoutMs !== undefined) frame.timeout_ms = Math.max(1, Math.round(opts.timeoutMs));
    if (opts.default !== undefined) frame.default = opts.default;
    return new Promise((resolve, reject) => {
      this.waiting.set(approvalId, { resolve, reject, fallback: opts.default ?? false });
      this.send(frame).catch((err: unknown) => {
        this.waiting.delete(approvalId);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  get pending(): number {
    return this.waiting.size;
  }

  /** A frame from the hub: true when it was a decision or an ERROR about one of our requests. */
  handle(m: Envelope): boolean {
    const id = typeof m.approval_id === 'string' ? m.approval_id : undefined;
    if (!id) return false;
    const w = this.waiting.get(id);
    if (m.message_type === MessageType.TOOL_APPROVAL_DECISION) {
      if (w) {
        this.waiting.delete(id);
        w.resolve({ approved: m.approved === true, note: typeof m.note === 'string' ? m.note : null, decidedBy: typeof m.decided_by === 'string' ? m.decided_by : 'unknown' });
      }
      return true;
    }
    if (m.message_type === MessageType.ERROR && w && m.ref_message_type === MessageType.TOOL_APPROVAL_REQUEST) {
      this.waiting.delete(id);
      w.reject(new SwitchboardError(m.code === 'id_in_use' ? 'id_in_use' : 'invalid_message', typeof m.text_payload === 'string' ? m.text_payload : 'The hub refused the approval request.'));
      return true;
    }
    return false;
  }

  /**
   * The connection dropped: the hub cancelled our pending approvals when we left, so each settles with its default
   * (decidedBy "cancelled") rather than hanging forever.
   */
  connectionLost(): void {
    for (const [id, w] of [...this.waiting]) {
      this.waiting.delete(id);
      w.resolve({ approved: w.fallback, note: 'the connection to the hub dropped before a decision', decidedBy: 'cancelled' });
    }
  }
}

/** AGENT_CONTEXT: the agent's current context (any JSON), replacing the one it reported before. */
export function agentContextFrame(context: unknown): Envelope {
  return { message_type: MessageType.AGENT_CONTEXT, message_id: newMessageId(), send_timestamp: isoNow(), context: context ?? null };
}
