// The Agents view: presence, fresh "last seen" descriptions, latest status lines and events as children.

import type * as vscode from 'vscode';
import type { HubManager } from './model/hubManager';
import { activityItem, agentItem, countAgents, sortAgents } from './model/agentViewModel';
import type { HubConnection } from './model/hubConnection';
import type { TreeItemModel } from './model/treeItemModel';
import { RowCache } from './model/rowCache';
import { distinctNames } from '../protocol/agentNames';
import { SwitchboardTreeProvider, type TreeNode } from './treeItems';
import type { ApprovalsModel } from './model/approvalsModel';
import { approvalChildren, hasPending, pendingHead } from './approvalsTree';

/** An agent row; the provider hands VS Code the same object for an agent every time and updates its model in place. */
type AgentRow = { model: TreeItemModel; readonly agentId: string };

export class AgentsTreeProvider extends SwitchboardTreeProvider {
  private view: vscode.TreeView<TreeNode> | undefined;
  /**
   * The top-level rows as the last getChildren() handed them out: in the product only VS Code calls getChildren, so
   * this is what it holds. (A caller that reads the rows without running a pending refresh first, flushPending(),
   * would record a list VS Code has not seen.)
   */
  private readonly rows = new RowCache<AgentRow>();
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
   * The once-a-second "last seen" tick and every status line used to refresh the whole tree, and each whole-tree
   * refresh makes VS Code drop all row handles until it has fetched the rows again: a context-menu or inline command
   * run in that gap (e.g. Reconstruct Agent Context on an offline agent) got no row and asked which agent instead.
   * While the same agents sit in the same order, only the rows whose text changed are redrawn (the others keep their
   * hover, so a tooltip can appear), and every handle stays valid.
   */
  override refresh(): void {
    this.updateViewHeader();
    const conn = this.manager.connection;
    if (conn && this.rows.has('')) {
      const changed = this.rows.changed('', this.agentRows(conn));
      if (changed) {
        this.refreshRows(changed);
        return;
      }
    }
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

  /** Approvals came or went: redraw the tree (an agent may gain or lose its "Pending approvals" node). */
  approvalsChanged(): void {
    this.updateViewHeader();
    super.refresh();
  }

  getChildren(node?: TreeNode): TreeNode[] {
    const conn = this.manager.connection;
    if (!conn) return [];
    const now = Date.now();
    if (!node) {
      return this.rows.give('', this.agentRows(conn, now));
    }
    const approvals = approvalChildren(this.approvals, node);
    if (approvals) return approvals;
    if (node.agentId && node.model.id.startsWith('agent:')) {
      const agentId = node.agentId;
      return [...pendingHead(this.approvals, agentId), ...conn.activity(agentId).map((item, i) => ({ agentId, model: activityItem(agentId, item, i) }))];
    }
    return [];
  }

  private agentRows(conn: HubConnection, now = Date.now()): AgentRow[] {
    const label = conn.mode === 'local' ? 'WebSocket to the hub in this window' : 'WebSocket to the hub of another window';
    const agents = conn.agents();
    const names = distinctNames(agents);
    return sortAgents(agents).map((a) => ({
      agentId: a.agent_id,
      model: agentItem(a, now, { connectionLabel: label, hasActivity: conn.activity(a.agent_id).length > 0 || hasPending(this.approvals, a.agent_id), label: names.get(a.agent_id) }),
    }));
  }
}
