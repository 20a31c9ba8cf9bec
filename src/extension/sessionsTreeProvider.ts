// The Sessions view: "You" (the person's own messages from Send Message to Agent, with the agent's status lines and
// reply), then the front-end sessions and the status lines their agents emitted for them. When there is nothing to
// show, the view's message says what will appear here.

import type * as vscode from 'vscode';
import { HUB_USER_ID } from '../protocol/messageTypes';
import type { HubManager } from './model/hubManager';
import { sessionItem, sessionLineItems, sortSessions } from './model/sessionViewModel';
import { conversationItems, conversationLineItems, YOU_NODE_ID, youItem, youSession, type YouSession } from './model/youSession';
import { toDisposable } from './lifecycle';
import { CachedTreeProvider, type TreeNode } from './treeItems';

/** What the empty view says while the hub runs, and while it does not. */
export const SESSIONS_EMPTY_RUNNING =
  'No sessions yet. Chat front-ends connected to the hub appear here with the status lines their agents send them; your own messages (Send Message to Agent) appear under "You" with the agent\'s reply.';
export const SESSIONS_EMPTY_STOPPED = 'Sessions appear while the hub runs: "Switchboard: Start Hub".';

export class SessionsTreeProvider extends CachedTreeProvider {
  private view: vscode.TreeView<TreeNode> | undefined;
  private shownMessage: string | undefined;

  constructor(
    manager: HubManager,
    private readonly you: YouSession = youSession,
  ) {
    super(manager, new Set(['sessions', 'state']));
    this._register(toDisposable(you.onDidChange(() => this.refresh())));
  }

  override attachView(view: vscode.TreeView<TreeNode>): void {
    this.view = view;
    super.attachView(view);
    this.childrenOf(); // sets the empty-state message before the first fetch
  }

  /** The view's message now (tests read it; undefined when the view has rows). */
  get emptyMessage(): string | undefined {
    return this.shownMessage;
  }

  /** A new status line or reply redraws its conversation or session row, not the view (CachedTreeProvider). */
  protected childrenOf(node?: TreeNode): TreeNode[] | undefined {
    const conn = this.manager.connection;
    if (!node) {
      const rows: TreeNode[] = [];
      if (this.you.conversations.length) rows.push({ model: youItem(this.you.conversations) });
      // the hub user's own session is the You node, where its status lines sit beside the messages they answer
      if (conn) for (const s of sortSessions(conn.sessions())) if (s.session_id !== HUB_USER_ID) rows.push({ sessionId: s.session_id, model: sessionItem(s) });
      this.setMessage(rows.length ? undefined : conn?.state === 'running' ? SESSIONS_EMPTY_RUNNING : SESSIONS_EMPTY_STOPPED);
      return rows;
    }
    if (node.model.id === YOU_NODE_ID) return conversationItems(this.you.conversations).map((model) => ({ model }));
    const you = /^you:(\d+)$/.exec(node.model.id);
    if (you) {
      const c = this.you.conversations.find((x) => x.key === Number(you[1]));
      return c ? conversationLineItems(c).map((model) => ({ model })) : undefined;
    }
    if (conn && node.sessionId && node.model.id === `session:${node.sessionId}`) {
      const session = conn.sessions().find((s) => s.session_id === node.sessionId);
      if (!session) return undefined;
      const name = (id: string): string | undefined => conn.agent(id)?.agent_name;
      return sessionLineItems(session, name).map((model) => ({ sessionId: session.session_id, model }));
    }
    return [];
  }

  private setMessage(message: string | undefined): void {
    this.shownMessage = message;
    if (this.view && this.view.message !== message) this.view.message = message;
  }
}
