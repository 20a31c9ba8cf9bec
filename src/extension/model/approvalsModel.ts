// Pending tool approvals (seed 003) as the window shows them: bound to the hub this window runs (its agent streams),
// re-bound when the hub is swapped, and turned into plain tree rows and notification text. No vscode import.

import type { AgentStreams, ApprovalChange } from '../../hub/agentStreams/agentStreams';
import type { PendingApprovalT } from '../../protocol/agentStreams';
import { Emitter, type Unsubscribe } from './emitter';
import type { HubManager } from './hubManager';
import type { TreeItemModel } from './treeItemModel';

/** Arguments shown in a row or a notification are cut here. */
const ARGS_CHARS = 120;

export class ApprovalsModel {
  private readonly changes = new Emitter<ApprovalChange>();
  private streams: AgentStreams | undefined;
  private unbind: Unsubscribe | undefined;
  private readonly unsubSwap: Unsubscribe;

  constructor(private readonly manager: HubManager) {
    this.unsubSwap = manager.onDidSwapConnection(() => this.bind());
    this.bind();
  }

  /** Approvals requested and resolved on the hub this window runs. */
  onDidChange(listener: (c: ApprovalChange) => void): Unsubscribe {
    return this.changes.on(listener);
  }

  /** Whether decisions can be made here (a window watching another window's hub cannot, yet). */
  get available(): boolean {
    return this.streams !== undefined;
  }

  pending(agentId?: string): PendingApprovalT[] {
    return this.streams?.pendingApprovals(agentId) ?? [];
  }

  get(approvalId: string): PendingApprovalT | undefined {
    return this.pending().find((p) => p.approval_id === approvalId);
  }

  /** Throws the hub's SwitchboardError when the approval is gone (decided elsewhere, timed out, agent left). */
  decide(approvalId: string, approved: boolean, note?: string): void {
    if (!this.streams) throw new Error('Tool approvals are decided in the window that runs the hub.');
    this.streams.decide(approvalId, approved, note);
  }

  dispose(): void {
    this.unsubSwap();
    this.unbind?.();
    this.changes.clear();
  }

  private bind(): void {
    this.unbind?.();
    this.unbind = undefined;
    const hub = this.manager.hub as { agentStreams?: AgentStreams } | undefined;
    this.streams = hub?.agentStreams;
    if (this.streams) this.unbind = this.streams.onApprovalChange((c) => this.changes.fire(c));
  }
}

/** "write_file {"path":"a.txt"}" — a tool call in one line. */
export function describeCall(p: PendingApprovalT): string {
  const args = p.arguments === null || p.arguments === undefined ? '' : JSON.stringify(p.arguments);
  const short = args.length > ARGS_CHARS ? args.slice(0, ARGS_CHARS - 1) + '…' : args;
  return short ? `${p.tool} ${short}` : p.tool;
}

/** The notification for a new approval. */
export function approvalNotice(p: PendingApprovalT, agentName: string): string {
  const when = p.expires_at ? ` (${p.default ? 'approved' : 'denied'} by default at ${new Date(p.expires_at).toLocaleTimeString()})` : '';
  return `${agentName} asks to call ${describeCall(p)}${when}`;
}

export const PENDING_NODE_PREFIX = 'approvals:';
export const APPROVAL_ROW_PREFIX = 'approval:';
export const APPROVAL_CONTEXT_VALUE = 'switchboard.approval';

/** The "Pending approvals" node under an agent. */
export function pendingNode(agentId: string, count: number): TreeItemModel {
  return {
    id: `${PENDING_NODE_PREFIX}${agentId}`,
    label: 'Pending approvals',
    description: String(count),
    icon: { id: 'shield', color: 'charts.yellow' },
    collapsible: 'expanded',
    tooltip: 'Tool calls this agent waits on: approve or deny them inline, or with "Approve Tool Call" / "Deny Tool Call".',
  };
}

/** One approval row (inline approve and deny through its contextValue). */
export function approvalRow(p: PendingApprovalT): TreeItemModel {
  return {
    id: `${APPROVAL_ROW_PREFIX}${p.approval_id}`,
    label: describeCall(p),
    description: p.expires_at ? `${p.default ? 'approve' : 'deny'} at ${new Date(p.expires_at).toLocaleTimeString()}` : p.approval_id,
    tooltip: `${p.approval_id}\n${JSON.stringify(p.arguments, null, 2)}`,
    icon: { id: 'question' },
    contextValue: APPROVAL_CONTEXT_VALUE,
    collapsible: 'none',
  };
}

/** The approval id a command argument names: the id itself, or an approval row of the tree. */
export function approvalIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg) return arg;
  const id = (arg as { model?: { id?: unknown } } | undefined)?.model?.id;
  return typeof id === 'string' && id.startsWith(APPROVAL_ROW_PREFIX) ? id.slice(APPROVAL_ROW_PREFIX.length) : undefined;
}
