// What the monitor knows of every agent's stream (seed 003): each agent's state rebuilt from SNAPSHOT / DIFF / RESYNC
// (RFC 6902 patches applied with fast-json-patch, the library the hub computes them with), its pending tool approvals,
// and the approvals decided lately (who decided, what). Pure: no DOM, tested in plain Node.

import { applyPatch, type Operation } from 'fast-json-patch';
import type { AgentStreamSnapshotT, PendingApprovalT } from '../protocol/agentStreams';

/** An approval that is no longer pending, as the monitor last heard of it. */
export interface ResolvedApproval {
  approval_id: string;
  agent_id: string;
  tool: string;
  approved: boolean;
  note: string | null;
  /** The deciding client's id, "timeout" or "cancelled". */
  decided_by: string;
  how: 'decided' | 'timed_out' | 'cancelled';
  time: string;
}

/** Resolved approvals kept per agent (newest last). */
const RESOLVED_KEPT = 20;

const RESOLVED_EVENTS: Record<string, ResolvedApproval['how']> = {
  approval_decided: 'decided',
  approval_timed_out: 'timed_out',
  approval_cancelled: 'cancelled',
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A state as the hub sends it, with missing parts made empty (a frame is not trusted to be complete). */
function stateOf(agentId: string, s: Record<string, unknown>): AgentStreamSnapshotT {
  return {
    agent_id: agentId,
    agent: isRecord(s.agent) ? s.agent : null,
    context: s.context ?? null,
    pending_approvals: Array.isArray(s.pending_approvals) ? (s.pending_approvals as PendingApprovalT[]) : [],
  };
}

export class AgentStreamModel {
  private readonly states = new Map<string, AgentStreamSnapshotT>();
  private readonly resolvedByAgent = new Map<string, ResolvedApproval[]>();
  private readonly missedByAgent = new Map<string, number>();
  /** Bumped on every change, so a view can tell whether to redraw. */
  revision = 0;

  /** Applies one stream frame; the agent whose state changed, or undefined when nothing did. */
  apply(frame: Record<string, unknown>): string | undefined {
    const agentId = typeof frame.agent_id === 'string' && frame.agent_id ? frame.agent_id : undefined;
    if (!agentId) return undefined;
    switch (frame.message_type) {
      case 'SNAPSHOT':
        this.states.set(agentId, stateOf(agentId, frame));
        break;
      case 'RESYNC': {
        if (!isRecord(frame.snapshot)) return undefined;
        this.states.set(agentId, stateOf(agentId, frame.snapshot));
        if (typeof frame.missed === 'number' && frame.missed > 0) this.missedByAgent.set(agentId, (this.missedByAgent.get(agentId) ?? 0) + frame.missed);
        break;
      }
      case 'DIFF': {
        const prev = this.states.get(agentId);
        // a diff before its snapshot cannot be applied; the hub's next SNAPSHOT or RESYNC repairs the view
        if (!prev || !Array.isArray(frame.patch)) return undefined;
        try {
          const next = applyPatch(prev, frame.patch as Operation[], true, false).newDocument;
          this.states.set(agentId, stateOf(agentId, next as unknown as Record<string, unknown>));
        } catch {
          // a patch that does not fit what we hold: forget the state rather than show a wrong one
          this.states.delete(agentId);
        }
        break;
      }
      case 'STREAM_EVENT': {
        const ev = isRecord(frame.event) ? frame.event : {};
        const how = typeof ev.event_type === 'string' ? RESOLVED_EVENTS[ev.event_type] : undefined;
        const d = isRecord(ev.data) ? ev.data : undefined;
        if (!how || !d || typeof d.approval_id !== 'string') return undefined;
        const list = this.resolvedByAgent.get(agentId) ?? [];
        list.push({
          approval_id: d.approval_id,
          agent_id: agentId,
          tool: typeof d.tool === 'string' ? d.tool : '',
          approved: d.approved === true,
          note: typeof d.note === 'string' ? d.note : null,
          decided_by: typeof d.decided_by === 'string' ? d.decided_by : how,
          how,
          time: typeof ev.time === 'string' ? ev.time : new Date().toISOString(),
        });
        if (list.length > RESOLVED_KEPT) list.shift();
        this.resolvedByAgent.set(agentId, list);
        // the fresh SNAPSHOT that follows takes it off the pending list; until then it is resolved already
        const s = this.states.get(agentId);
        if (s) this.states.set(agentId, { ...s, pending_approvals: s.pending_approvals.filter((p) => p.approval_id !== d.approval_id) });
        break;
      }
      default:
        return undefined;
    }
    this.revision++;
    return agentId;
  }

  /** The hub reconnected or changed: what we held may be stale; the new subscription sends fresh snapshots. */
  clear(): void {
    this.states.clear();
    this.resolvedByAgent.clear();
    this.missedByAgent.clear();
    this.revision++;
  }

  state(agentId: string): AgentStreamSnapshotT | undefined {
    return this.states.get(agentId);
  }

  pending(agentId?: string): PendingApprovalT[] {
    if (agentId !== undefined) return this.states.get(agentId)?.pending_approvals ?? [];
    return [...this.states.values()].flatMap((s) => s.pending_approvals);
  }

  pendingCount(agentId: string): number {
    return this.states.get(agentId)?.pending_approvals.length ?? 0;
  }

  /** Whether this approval id waits on a decision now (the message list marks its request row). */
  isPending(approvalId: string): boolean {
    for (const s of this.states.values()) if (s.pending_approvals.some((p) => p.approval_id === approvalId)) return true;
    return false;
  }

  resolved(agentId: string): readonly ResolvedApproval[] {
    return this.resolvedByAgent.get(agentId) ?? [];
  }

  resolvedById(approvalId: string): ResolvedApproval | undefined {
    for (const list of this.resolvedByAgent.values()) {
      const r = list.find((x) => x.approval_id === approvalId);
      if (r) return r;
    }
    return undefined;
  }

  /** Frames the hub could not send this monitor for the agent (its queue overflowed; a RESYNC caught up). */
  missed(agentId: string): number {
    return this.missedByAgent.get(agentId) ?? 0;
  }
}

/** The facts a person looks for first in an agent's context, when it has them (any JSON is accepted). */
export interface ContextFacts {
  model?: string;
  tools: string[];
  mcp: { name: string; state: string }[];
  recent: { role: string; text: string }[];
}

const RECENT_SHOWN = 5;
const TEXT_CHARS = 200;

function nameOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isRecord(v)) for (const k of ['name', 'id', 'tool', 'server']) if (typeof v[k] === 'string') return v[k] as string;
  return undefined;
}

function listOf(v: unknown): [string, unknown][] {
  if (Array.isArray(v)) return v.map((x, i) => [nameOf(x) ?? String(i), x]);
  if (isRecord(v)) return Object.entries(v);
  return [];
}

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
  return s.length > TEXT_CHARS ? `${s.slice(0, TEXT_CHARS - 1)}…` : s;
}

export function contextFacts(context: unknown): ContextFacts {
  const facts: ContextFacts = { tools: [], mcp: [], recent: [] };
  if (!isRecord(context)) return facts;
  const model = context.model;
  const modelName = nameOf(model);
  if (modelName) facts.model = modelName;
  facts.tools = listOf(context.tools).map(([k, v]) => nameOf(v) ?? k);
  const mcp = context.mcp_servers ?? context.mcpServers ?? context.mcp;
  facts.mcp = listOf(mcp).map(([k, v]) => {
    const name = nameOf(v) ?? k;
    const state = isRecord(v) ? (v.state ?? v.status ?? v.connected) : v;
    return { name, state: state === undefined ? '' : typeof state === 'string' ? state : JSON.stringify(state) };
  });
  const messages = context.recent_messages ?? context.messages ?? context.history;
  if (Array.isArray(messages)) {
    facts.recent = messages.slice(-RECENT_SHOWN).map((m) => {
      if (!isRecord(m)) return { role: '', text: short(m) };
      const role = [m.role, m.from, m.direction].find((r): r is string => typeof r === 'string') ?? '';
      return { role, text: short(m.content ?? m.text ?? m.text_payload ?? m) };
    });
  }
  return facts;
}
