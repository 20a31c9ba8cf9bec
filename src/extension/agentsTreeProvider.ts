// The Agents view: presence, fresh "last seen" descriptions, latest status lines and events as children.

import type * as vscode from 'vscode';
import type { HubManager } from './model/hubManager';
import { activityItem, agentItem, countAgents, sortAgents } from './model/agentViewModel';
import type { HubConnection } from './model/hubConnection';
import { distinctNames } from '../protocol/agentNames';
import { CachedTreeProvider, type TreeNode } from './treeItems';
import type { ApprovalsModel } from './model/approvalsModel';
import { approvalChildren, hasPending, pendingHead } from './approvalsTree';

export class AgentsTreeProvider extends CachedTreeProvider {
  private view: vscode.TreeView<TreeNode> | undefined;
  /** Seed 003: pending tool approvals shown under their agent. */
  private approvals: ApprovalsModel | undefined;

  constructor(manager: HubManager) {
    super(manager, new Set(['agents', 'activity', 'state']));
  }

  override attachView(view: vscode.TreeView<TreeNode>): void {
    this.view = view;
    super.attachView(view);
  }

  protected override tickEnabled(): boolean {
    return true;
  }

  protected override needsTick(): boolean {
    // nothing says "N s ago" when there are no agents
    return (this.manager.connection?.agents().length ?? 0) > 0;
  }

  /**
   * The once-a-second "last seen" tick, every status line and every approval used to refresh the whole tree, and each
   * whole-tree refresh makes VS Code drop all row handles until it has fetched the rows again: a context-menu or inline
   * command run in that gap (e.g. Reconstruct Agent Context on an offline agent, while another agent got its first
   * approval) got no row and asked which agent instead. Now only the rows that changed are redrawn — an agent whose
   * row can newly expand included — and the whole tree only when agents come, go or move (CachedTreeProvider).
   */
  override refresh(): void {
    this.updateViewHeader();
    super.refresh();
  }

  private updateViewHeader(): void {
    if (!this.view) return;
    const conn = this.manager.connection;
    const counts = countAgents(conn?.agents() ?? []);
    this.view.description = conn ? `${counts.online} online` : '';
    const info = conn?.info();
    if (this.manager.problem && !conn) this.view.message = this.manager.problem;
    else if (info?.mode === 'attached')
      this.view.message = `Watching the hub of another window${info.ownerPid ? ` (pid ${info.ownerPid})` : ''} on port ${info.port}.`;
    else if (info?.state === 'disconnected') this.view.message = 'Lost the hub; reconnecting…';
    else this.view.message = undefined;
  }

  /** Shows pending tool approvals under their agents (set once at activation). */
  setApprovals(model: ApprovalsModel): void {
    this.approvals = model;
  }

  /** Approvals came or went: an agent gains or loses its "Pending approvals" node, which redraws that agent's row. */
  approvalsChanged(): void {
    this.refresh();
  }

  protected childrenOf(node?: TreeNode): TreeNode[] | undefined {
    const conn = this.manager.connection;
    if (!conn) return node ? undefined : [];
    if (!node) return this.agentRows(conn);
    const approvals = approvalChildren(this.approvals, node);
    if (approvals) return approvals;
    if (node.agentId && node.model.id.startsWith('agent:')) {
      const agentId = node.agentId;
      if (!conn.agent(agentId)) return undefined;
      return [...pendingHead(this.approvals, agentId), ...conn.activity(agentId).map((item, i) => ({ agentId, model: activityItem(agentId, item, i) }))];
    }
    return [];
  }

  private agentRows(conn: HubConnection, now = Date.now()): TreeNode[] {
    const label = conn.mode === 'local' ? 'WebSocket to the hub in this window' : 'WebSocket to the hub of another window';
    const agents = conn.agents();
    const names = distinctNames(agents);
    return sortAgents(agents).map((a) => ({
      agentId: a.agent_id,
      model: agentItem(a, now, { connectionLabel: label, hasActivity: conn.activity(a.agent_id).length > 0 || hasPending(this.approvals, a.agent_id), label: names.get(a.agent_id) }),
    }));
  }
}
