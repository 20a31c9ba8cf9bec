// The Agents view: presence, fresh "last seen" descriptions, latest status lines and events as children.

import type * as vscode from 'vscode';
import type { HubManager } from './model/hubManager';
import { activityItem, agentItem, countAgents, sortAgents } from './model/agentViewModel';
import { SwitchboardTreeProvider, type TreeNode } from './treeItems';

export class AgentsTreeProvider extends SwitchboardTreeProvider {
  private view: vscode.TreeView<TreeNode> | undefined;

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

  getChildren(node?: TreeNode): TreeNode[] {
    const conn = this.manager.connection;
    if (!conn) return [];
    const now = Date.now();
    if (!node) {
      const label = conn.mode === 'local' ? 'WebSocket to the hub in this window' : 'WebSocket to the hub of another window';
      return sortAgents(conn.agents()).map((a) => ({
        agentId: a.agent_id,
        model: agentItem(a, now, { connectionLabel: label, hasActivity: conn.activity(a.agent_id).length > 0 }),
      }));
    }
    if (node.agentId && node.model.id.startsWith('agent:')) {
      const agentId = node.agentId;
      return conn.activity(agentId).map((item, i) => ({ agentId, model: activityItem(agentId, item, i) }));
    }
    return [];
  }
}
