// The Agents tree's part in tool approvals (seed 003): a "Pending approvals" node first under an agent that waits on
// any, and one row per approval beneath it (inline Approve / Deny through its contextValue).

import type { ApprovalsModel } from './model/approvalsModel';
import { PENDING_NODE_PREFIX, approvalRow, pendingNode } from './model/approvalsModel';
import type { TreeNode } from './treeItems';

/** The node to put first under an agent's row, if it has pending approvals. */
export function pendingHead(model: ApprovalsModel | undefined, agentId: string): TreeNode[] {
  const n = model?.pending(agentId).length ?? 0;
  return n > 0 ? [{ agentId, model: pendingNode(agentId, n) }] : [];
}

/** The approval rows under a "Pending approvals" node; undefined for any other node. */
export function approvalChildren(model: ApprovalsModel | undefined, node: TreeNode): TreeNode[] | undefined {
  if (!node.model.id.startsWith(PENDING_NODE_PREFIX) || !node.agentId) return undefined;
  const agentId = node.agentId;
  return (model?.pending(agentId) ?? []).map((p) => ({ agentId, model: approvalRow(p) }));
}

/** Whether an agent's row must be expandable for its approvals. */
export function hasPending(model: ApprovalsModel | undefined, agentId: string): boolean {
  return (model?.pending(agentId).length ?? 0) > 0;
}
