// Tool approvals an agent waits on: kept pending until a person decides (exactly once), the timeout applies the
// agent's default, or the agent goes away (cancelled). Knows nothing of sockets: the family sends and records.

import type { ErrorCode } from '../../protocol/errors';
import type { PendingApprovalT } from '../../protocol/agentStreams';
import { isoNow } from '../../protocol/ids';

/** Who resolved an approval: a client id (a person), or the hub itself. */
export type ResolvedBy = { kind: 'person'; id: string } | { kind: 'timeout' } | { kind: 'cancelled'; reason: string };

export interface ApprovalResolution {
  approval: PendingApprovalT;
  approved: boolean;
  note: string | null;
  /** What goes to the agent as decided_by: the deciding client's id, "timeout" or "cancelled". */
  decidedBy: string;
  by: ResolvedBy;
  time: string;
}

export type ApprovalResult<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; text: string };

export interface ApprovalRequestInput {
  approval_id: string;
  tool: string;
  arguments?: unknown;
  timeout_ms?: number;
  default?: boolean;
}

/** Approvals pending at once across all agents; beyond it a request is refused (a runaway agent must not grow memory). */
export const MAX_PENDING_APPROVALS = 10_000;
/** Pending at once for one agent: each is in every snapshot of the agent, so a runaway agent must not bloat them. */
export const MAX_PENDING_PER_AGENT = 100;
/** A tool call's arguments as JSON: a person reads them, and every snapshot of the agent carries them. */
export const MAX_ARGUMENT_BYTES = 64 * 1024;
/** Resolved ids remembered so a late or racing decision is told "already decided by …" rather than "unknown". */
const RESOLVED_MEMORY = 1000;

export class Approvals {
  private readonly pending = new Map<string, { approval: PendingApprovalT; timer: NodeJS.Timeout | undefined }>();
  private readonly resolved = new Map<string, ApprovalResolution>();

  constructor(private readonly onResolved: (r: ApprovalResolution) => void) {}

  request(agentId: string, req: ApprovalRequestInput): ApprovalResult<PendingApprovalT> {
    const id = req.approval_id;
    if (this.pending.has(id)) {
      return { ok: false, code: 'id_in_use', text: `TOOL_APPROVAL_REQUEST: approval_id "${id}" is already pending; choose a new id for each request.` };
    }
    if (this.pending.size >= MAX_PENDING_APPROVALS) {
      return { ok: false, code: 'rate_limited', text: `TOOL_APPROVAL_REQUEST refused: ${MAX_PENDING_APPROVALS} approvals are already pending; wait for decisions.` };
    }
    if (this.forAgent(agentId).length >= MAX_PENDING_PER_AGENT) {
      return { ok: false, code: 'rate_limited', text: `TOOL_APPROVAL_REQUEST refused: this agent already waits on ${MAX_PENDING_PER_AGENT} approvals; wait for decisions.` };
    }
    const argBytes = Buffer.byteLength(JSON.stringify(req.arguments ?? null));
    if (argBytes > MAX_ARGUMENT_BYTES) {
      return { ok: false, code: 'frame_too_large', text: `TOOL_APPROVAL_REQUEST: arguments of ${argBytes} bytes exceed the ${MAX_ARGUMENT_BYTES}-byte cap on approval arguments; send a summary a person can read.` };
    }
    const now = Date.now();
    const approval: PendingApprovalT = Object.freeze({
      approval_id: id,
      agent_id: agentId,
      tool: req.tool,
      arguments: req.arguments ?? null,
      requested_at: new Date(now).toISOString(),
      expires_at: req.timeout_ms === undefined ? null : new Date(now + req.timeout_ms).toISOString(),
      default: req.timeout_ms === undefined ? null : (req.default ?? false),
    });
    const timer =
      req.timeout_ms === undefined
        ? undefined
        : setTimeout(() => this.resolve(id, approval.default === true, null, { kind: 'timeout' }), req.timeout_ms);
    timer?.unref();
    this.resolved.delete(id);
    this.pending.set(id, { approval, timer });
    return { ok: true, value: approval };
  }

  /** A person's decision. The first one wins; any later (or racing) one is refused and never reaches the agent. */
  decide(approvalId: string, approved: boolean, note: string | null, byClientId: string): ApprovalResult<ApprovalResolution> {
    if (!this.pending.has(approvalId)) {
      const done = this.resolved.get(approvalId);
      const text = done
        ? `Approval "${approvalId}" was already resolved (${done.approved ? 'approved' : 'denied'} by ${done.decidedBy} at ${done.time}); this decision was not sent.`
        : `No pending approval "${approvalId}": check the id in the pending list (switchboard agents).`;
      return { ok: false, code: done ? 'invalid_message' : 'unknown_receiver', text };
    }
    return { ok: true, value: this.resolve(approvalId, approved, note, { kind: 'person', id: byClientId })! };
  }

  /** Every pending approval of an agent that went away: cancelled (denied), each reported. */
  cancelAgent(agentId: string, reason: string): ApprovalResolution[] {
    const out: ApprovalResolution[] = [];
    for (const [id, p] of [...this.pending]) {
      if (p.approval.agent_id !== agentId) continue;
      const r = this.resolve(id, false, null, { kind: 'cancelled', reason });
      if (r) out.push(r);
    }
    return out;
  }

  forAgent(agentId: string): PendingApprovalT[] {
    const out: PendingApprovalT[] = [];
    for (const p of this.pending.values()) if (p.approval.agent_id === agentId) out.push(p.approval);
    return out;
  }

  all(): PendingApprovalT[] {
    return [...this.pending.values()].map((p) => p.approval);
  }

  get(approvalId: string): PendingApprovalT | undefined {
    return this.pending.get(approvalId)?.approval;
  }

  /** Clears timers (the hub stops); nothing is reported. */
  close(): void {
    for (const p of this.pending.values()) if (p.timer) clearTimeout(p.timer);
    this.pending.clear();
    this.resolved.clear();
  }

  private resolve(approvalId: string, approved: boolean, note: string | null, by: ResolvedBy): ApprovalResolution | undefined {
    const p = this.pending.get(approvalId);
    if (!p) return undefined; // a timeout racing a decision: the decision won
    this.pending.delete(approvalId);
    if (p.timer) clearTimeout(p.timer);
    const decidedBy = by.kind === 'person' ? by.id : by.kind;
    const r: ApprovalResolution = { approval: p.approval, approved, note, decidedBy, by, time: isoNow() };
    this.resolved.set(approvalId, r);
    if (this.resolved.size > RESOLVED_MEMORY) this.resolved.delete(this.resolved.keys().next().value!);
    this.onResolved(r);
    return r;
  }
}
