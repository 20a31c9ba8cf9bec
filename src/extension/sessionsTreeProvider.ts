// The Sessions view: front-end sessions and the status lines their agents emitted for them.

import type { HubManager } from './model/hubManager';
import { sessionItem, sessionLineItems, sortSessions } from './model/sessionViewModel';
import { SwitchboardTreeProvider, type TreeNode } from './treeItems';

export class SessionsTreeProvider extends SwitchboardTreeProvider {
  constructor(manager: HubManager) {
    super(manager, new Set(['sessions', 'state']));
  }

  getChildren(node?: TreeNode): TreeNode[] {
    const conn = this.manager.connection;
    if (!conn) return [];
    if (!node) return sortSessions(conn.sessions()).map((s) => ({ sessionId: s.session_id, model: sessionItem(s) }));
    if (node.sessionId && node.model.id === `session:${node.sessionId}`) {
      const session = conn.sessions().find((s) => s.session_id === node.sessionId);
      if (!session) return [];
      const name = (id: string): string | undefined => conn.agent(id)?.agent_name;
      return sessionLineItems(session, name).map((model) => ({ sessionId: session.session_id, model }));
    }
    return [];
  }
}
