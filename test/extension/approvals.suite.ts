// Tool approvals (seed 003) in a real extension host: an agent's request produces a notification, the status bar
// count and a "Pending approvals" node under the agent in the Agents tree; "Approve Tool Call" (an id as argument)
// and "Deny Tool Call" (the tree row as argument, as the inline button passes it) resolve the agent's promise.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SwitchboardApi } from '../../src/extension/extension';
import { ApprovalCommands, Commands, EXTENSION_ID, ReconstructCommands } from '../../src/extension/constants';
import type { TreeNode } from '../../src/extension/treeItems';
import { AgentClient } from '../../src/sdk/agentClient';
import { waitFor } from './rawAgent';

async function childrenOf(api: SwitchboardApi, node?: TreeNode): Promise<TreeNode[]> {
  api.agentsProvider.flushPending();
  return (await api.agentsProvider.getChildren(node)) ?? [];
}

export function registerApprovalsSuite(): void {
  suite('Tool approvals in the extension host', () => {
    let api: SwitchboardApi;
    let agent: AgentClient | undefined;

    suiteSetup(async () => {
      api = await vscode.extensions.getExtension<SwitchboardApi>(EXTENSION_ID)!.activate();
      await api.ready();
      if (api.connection()?.state !== 'running') await vscode.commands.executeCommand(Commands.startHub);
      await waitFor('a running local hub', () => api.connection()?.state === 'running' && api.hub());
    });

    suiteTeardown(async () => {
      await agent?.close();
    });

    test('a request shows a notification, the status bar count and a tree node; Approve Tool Call resolves the agent', async () => {
      agent = new AgentClient({ url: api.connection()!.info().agentUrl, name: 'approval-asker', reconnect: false });
      const { agent_id } = await agent.connect();
      const asked = agent.requestApproval('write_file', { path: 'notes.txt' });
      const id = await waitFor('the notification', () => api.approvals.notified.find((n) => api.approvals.model.get(n)?.agent_id === agent_id));
      assert.equal(api.approvals.count, 1);
      assert.equal(api.approvals.statusText, '$(shield) 1 approval');

      const row = await waitFor('the agent row', async () => (await childrenOf(api)).find((n) => n.agentId === agent_id));
      assert.notEqual(row.model.collapsible, 'none', 'the agent row expands to show its approval');
      const pendingNode = (await childrenOf(api, row))[0];
      assert.ok(pendingNode, 'no child under the agent');
      assert.equal(pendingNode.model.label, 'Pending approvals');
      const [approvalRow] = await childrenOf(api, pendingNode);
      assert.equal(approvalRow?.model.label, 'write_file {"path":"notes.txt"}');
      assert.equal(approvalRow?.model.contextValue, 'switchboard.approval');

      assert.equal(await vscode.commands.executeCommand(ApprovalCommands.approveToolCall, id, 'from the test'), true);
      assert.deepEqual(await asked, { approved: true, note: 'from the test', decidedBy: 'web_switchboard' });
      assert.equal(api.approvals.count, 0);
      assert.equal(api.approvals.statusText, undefined);
      assert.equal(await vscode.commands.executeCommand(ApprovalCommands.approveToolCall, id), false, 'a second decision is refused');
    });

    test('Deny Tool Call with the tree row as argument (the inline button) denies it', async () => {
      assert.ok(agent);
      const asked = agent.requestApproval('shell', ['rm', '-rf', 'build']);
      const agentId = agent.id!;
      const row = await waitFor('the approval row', async () => {
        const agentRow = (await childrenOf(api)).find((n) => n.agentId === agentId);
        const pending = agentRow ? (await childrenOf(api, agentRow)).find((n) => n.model.label === 'Pending approvals') : undefined;
        return pending ? (await childrenOf(api, pending)).find((n) => n.model.label.startsWith('shell')) : undefined;
      });
      assert.equal(await vscode.commands.executeCommand(ApprovalCommands.denyToolCall, row), true);
      const d = await asked;
      assert.equal(d.approved, false);
      assert.equal(d.decidedBy, 'web_switchboard');
      const logged = api.hub()!.log.recent(500).filter((e) => e.message_type === 'TOOL_APPROVAL_DECISION' && e.direction === 'out');
      assert.ok(logged.length >= 2, 'every decision is in the log');
    });

    // The flaky e2e step, made deterministic. A whole-tree refresh makes VS Code's extension host forget every row handle
    // (ExtHostTreeView.refresh → clearAll) until the workbench fetches the rows again; a menu command run on another
    // row in that gap got no row and asked which agent instead. An agent's first approval (its row can newly expand)
    // used to be such a refresh.
    test('an agent\'s first approval redraws its row alone: the other rows keep their handles', async () => {
      const url = api.connection()!.info().agentUrl;
      const bystander = new AgentClient({ url, name: 'approval-bystander', reconnect: false });
      const asker = new AgentClient({ url, name: 'approval-first-time', reconnect: false });
      try {
        await bystander.connect();
        const { agent_id } = await asker.connect();
        await vscode.commands.executeCommand('switchboard.agents.focus');
        const row = await waitFor('the new agent\'s row, with no children yet', async () =>
          (await childrenOf(api)).find((n) => n.agentId === agent_id && n.model.collapsible === 'none'),
        );
        const events: (TreeNode | TreeNode[] | undefined | void)[] = [];
        const sub = api.agentsProvider.onDidChangeTreeData((e) => events.push(e));
        let asked: Promise<unknown> | undefined;
        try {
          asked = asker.requestApproval('write_file', { path: 'first.txt' });
          await waitFor('the approval in the model', () => api.approvals.model.pending(agent_id).length === 1);
          api.agentsProvider.flushPending();
          await waitFor('a redraw', () => events.length > 0);
        } finally {
          sub.dispose();
        }
        assert.ok(!events.some((e) => e === undefined), `a whole-tree refresh fired (every row handle dropped): ${events.length} events`);
        assert.ok(events.some((e) => Array.isArray(e) && e.includes(row)), 'the agent\'s own row is redrawn');
        assert.equal(row.model.collapsible, 'collapsed', 'the same row object now expands');
        const [pending] = await childrenOf(api, row);
        assert.equal(pending?.model.label, 'Pending approvals');
        const [approval] = await childrenOf(api, pending);
        assert.equal(await vscode.commands.executeCommand(ApprovalCommands.denyToolCall, approval), true);
        await asked;
      } finally {
        await Promise.all([asker.close(), bystander.close()]);
      }
    });

    // What a row's menu or inline button delivers when VS Code no longer holds the row: (undefined, undefined) — see
    // rowLost in src/extension/commandArgs.ts. The command says so and does nothing: no pick, no other agent or call.
    test('a row command that gets no row from its menu says so and does nothing (the palette still asks)', async () => {
      assert.ok(agent);
      const asked = agent.requestApproval('read_file', { path: 'kept.txt' });
      const agentId = agent.id!;
      const id = await waitFor('the pending approval', () => api.approvals.model.pending(agentId)[0]?.approval_id);
      assert.equal(await vscode.commands.executeCommand(ApprovalCommands.approveToolCall, undefined, undefined), false);
      assert.match(api.lastRowLostNotice() ?? '', /^"Approve Tool Call" got no row/);
      assert.equal(api.approvals.model.get(id)?.approval_id, id, 'still pending: nothing was decided');
      assert.equal(await vscode.commands.executeCommand(ReconstructCommands.reconstructAgent, undefined, undefined), undefined);
      assert.match(api.lastRowLostNotice() ?? '', /^"Reconstruct Agent Context" got no row/);
      assert.equal(await vscode.commands.executeCommand(Commands.pauseAgent, undefined, undefined), undefined);
      assert.match(api.lastRowLostNotice() ?? '', /^"Pause Agent" got no row/);
      assert.equal(api.connection()!.agent(agentId)?.status, 'online', 'nobody was paused');
      assert.equal(await vscode.commands.executeCommand(ApprovalCommands.denyToolCall, id), true);
      assert.equal((await asked).approved, false);
    });
  });
}
