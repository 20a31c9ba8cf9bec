// The marker a TOOL_APPROVAL_REQUEST row carries in the message list: "awaiting approval" while the agent streams
// list it as pending, then who decided. Pure, tested in plain Node.

import type { LogEntry } from '../protocol/logEntry';
import type { AgentStreamModel } from './agentStreamModel';

export interface ApprovalMark {
  text: string;
  title: string;
  /** 'pending', 'approved', 'denied' or 'cancelled' (a CSS class suffix). */
  state: string;
}

export function approvalMark(entry: LogEntry, streams: AgentStreamModel, nameOf: (id: string) => string): ApprovalMark | undefined {
  if (entry.message_type !== 'TOOL_APPROVAL_REQUEST' || entry.direction !== 'in') return undefined;
  const id = entry.body.approval_id;
  if (typeof id !== 'string') return undefined;
  const tool = typeof entry.body.tool === 'string' ? entry.body.tool : 'a tool';
  if (streams.isPending(id)) return { text: 'pending', title: `${tool}: waiting for a person to approve or deny (Agent tab)`, state: 'pending' };
  const r = streams.resolvedById(id);
  if (!r) return undefined;
  if (r.how === 'cancelled') return { text: 'cancelled', title: `${tool}: cancelled (the agent left)`, state: 'cancelled' };
  const verdict = r.approved ? 'approved' : 'denied';
  const by = r.how === 'timed_out' ? 'by default (timed out)' : `by ${nameOf(r.decided_by)}`;
  return { text: r.approved ? '✓ yes' : '✗ no', title: `${tool}: ${verdict} ${by}${r.note ? ` — ${r.note}` : ''}`, state: verdict };
}
