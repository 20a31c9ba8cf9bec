// The extension in a real extension host: activation and its test API, the manifest's commands, the in-process hub
// on the wire, the Agents tree, send-message through the command, a second window attaching instead of starting a
// rival hub, and stop/start. The runner gives the hub a port of its own (SWITCHBOARD_TEST_HUB_PORT in the settings).

import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SecondWindow, SwitchboardApi } from '../../src/extension/extension';
import { Commands, EXTENSION_ID, ReconstructCommands } from '../../src/extension/constants';
import type { SummariseOutcome } from '../../src/extension/reconstructCommand';
import type { ReconstructionT } from '../../src/protocol/contextSchemas';
import type { TreeNode } from '../../src/extension/treeItems';
import { RawAgent, waitFor } from './rawAgent';
import { SESSIONS_EMPTY_RUNNING } from '../../src/extension/sessionsTreeProvider';

interface Healthz {
  status: string;
  hub_id: string;
  agents_online: number;
}

async function healthz(port: number): Promise<Healthz> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(res.status, 200);
  return (await res.json()) as Healthz;
}

async function agentRows(api: SwitchboardApi): Promise<TreeNode[]> {
  api.agentsProvider.flushPending();
  return (await api.agentsProvider.getChildren()) ?? [];
}

export function registerSwitchboardSuite(): void {
  suite('Agent Switchboard in the extension host', () => {
    const configuredPort = Number(process.env.SWITCHBOARD_TEST_HUB_PORT);
    let api: SwitchboardApi;
    const agents: RawAgent[] = [];
    let second: SecondWindow | undefined;

    suiteTeardown(async () => {
      await second?.dispose();
      await Promise.all(agents.map((a) => a.close()));
    });

    test('activates and hands back its test API with the hub running on the configured port', async () => {
      const ext = vscode.extensions.getExtension<SwitchboardApi>(EXTENSION_ID);
      assert.ok(ext, `${EXTENSION_ID} is not loaded as a development extension`);
      api = await ext.activate();
      assert.ok(ext.isActive);
      await api.ready();
      console.log(`activation took ${api.activationMs} ms (activate() until it returned)`);
      assert.ok(Number.isInteger(configuredPort) && configuredPort > 0, 'the runner must set SWITCHBOARD_TEST_HUB_PORT');
      assert.equal(vscode.workspace.getConfiguration('switchboard').get('hub.port'), configuredPort);
      const conn = api.connection();
      assert.ok(conn, 'no connection after ready()');
      assert.equal(conn.mode, 'local');
      assert.equal(conn.state, 'running');
      assert.equal(conn.info().port, configuredPort);
      assert.ok(api.hub(), 'this window should own the hub');
    });

    test('registers every command the manifest contributes, and the manifest contributes every command', async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      const contributed = ((ext.packageJSON.contributes?.commands ?? []) as { command: string }[]).map((c) => c.command);
      assert.ok(contributed.length > 0, 'package.json contributes no commands');
      const registered = new Set(await vscode.commands.getCommands(true));
      assert.deepEqual(contributed.filter((id) => !registered.has(id)), [], 'contributed but not registered');
      assert.deepEqual(Object.values(Commands).filter((id) => !contributed.includes(id)), [], 'registered but not in the manifest');
    });

    test('the hub answers /healthz with the id of the hub this window runs', async () => {
      const body = await healthz(configuredPort);
      assert.equal(body.status, 'ok');
      assert.equal(body.hub_id, api.connection()!.info().hubId);
    });

    test('Copy Monitor URL puts the page that carries the token on the clipboard, and that page answers with the monitor', async () => {
      const url = (await vscode.commands.executeCommand(Commands.copyMonitorUrl)) as string;
      assert.equal(await vscode.env.clipboard.readText(), url);
      // in code-server the URL goes through its port proxy (http://host/proxy/PORT/monitor?token=…): path and token kept
      assert.match(url, /\/monitor\?token=[0-9a-f]{32}$/);
      const res = await fetch(`http://127.0.0.1:${configuredPort}/monitor?token=${new URL(url).searchParams.get('token')}`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /<html/i);
    });

    test('the Sessions view, empty, says what will appear there', async () => {
      const rows = api.sessionsProvider.getChildren();
      assert.deepEqual(rows, []);
      assert.equal(api.sessionsProvider.emptyMessage, SESSIONS_EMPTY_RUNNING);
    });

    test('a raw ws agent that registers appears as a row of the Agents tree', async () => {
      const agent = new RawAgent('raw-tree-agent');
      agents.push(agent);
      const id = await agent.register(api.connection()!.info().agentUrl);
      assert.match(id, /^agent_/);
      const row = await waitFor('the agent row', async () => (await agentRows(api)).find((n) => n.agentId === id));
      assert.equal(row.model.label, 'raw-tree-agent');
      const item = await api.agentsProvider.getTreeItem(row);
      assert.equal(item.label, 'raw-tree-agent');
      assert.ok(item.iconPath instanceof vscode.ThemeIcon, 'agent rows carry a theme icon');
      assert.equal((await healthz(configuredPort)).agents_online, 1);
      await waitFor('"1 agent" in the status bar', () => /\b1 agent\b/.test(api.statusBar()?.text ?? ''));
    });

    test('the send-message command, given agent and text as arguments, delivers to the agent and logs its reply', async () => {
      const agent = agents[0]!;
      const text = `hello from the extension host ${Date.now()}`;
      const messageId = await vscode.commands.executeCommand<string | undefined>(Commands.sendMessage, agent.agentId, text);
      const got = await waitFor('the TEXT at the agent', () => agent.received(text));
      assert.equal(got.receiver_id, agent.agentId);
      if (messageId !== undefined) assert.equal(got.message_id, messageId);
      agent.reply(got, `echo: ${text}`);
      await waitFor('the reply in the event log', async () => (await api.connection()!.exportLog('ndjson')).includes(`echo: ${text}`));
      assert.equal(api.commands.lastFailure, undefined, `a command failed: ${JSON.stringify(api.commands.lastFailure)}`);
    });

    test('Send shows the reply: the agent\'s status lines and reply reach the notification and the Sessions view under "You"', async () => {
      const agent = agents[0]!;
      const text = `what is the plan ${Date.now()}`;
      const messageId = await vscode.commands.executeCommand<string | undefined>(Commands.sendMessage, agent.agentId, text);
      assert.ok(messageId, 'the command resolves with the message id');
      const got = await waitFor('the TEXT at the agent', () => agent.received(text));
      agent.status(`working on ${messageId}`);
      // the status line is shown while the person waits (progress) and kept under You
      const you = async (): Promise<TreeNode[]> => {
        const top = api.sessionsProvider.getChildren();
        const youNode = top.find((n) => n.model.id === 'you');
        if (!youNode) return [];
        const conv = api.sessionsProvider.getChildren(youNode).find((n) => n.model.label === text);
        return conv ? api.sessionsProvider.getChildren(conv) : [];
      };
      await waitFor('the status line under You', async () => (await you()).some((n) => n.model.label === `working on ${messageId}`));
      agent.reply(got, `the plan for ${messageId}`);
      await waitFor('the reply notification', () => api.commands.lastReplyNotice === `raw-tree-agent: the plan for ${messageId}`);
      const lines = await waitFor('the reply under You', async () => {
        const l = await you();
        return l.some((n) => n.model.contextValue === 'session.you.reply') ? l : undefined;
      });
      assert.deepEqual(
        lines.map((n) => [n.model.contextValue, n.model.label]),
        [
          ['session.you.sent', text],
          ['session.statusLine', `working on ${messageId}`],
          ['session.you.reply', `the plan for ${messageId}`],
        ],
      );
      assert.equal(api.sessionsProvider.emptyMessage, undefined, 'no empty-state text once there are rows');
      assert.equal(api.commands.lastFailure, undefined, `a command failed: ${JSON.stringify(api.commands.lastFailure)}`);
    });

    test('an agent row keeps its element and tooltip through 1.5 s of presence ticks while other agents change', async function () {
      this.timeout(20_000);
      const url = api.connection()!.info().agentUrl;
      const target = agents[0]!;
      const busy = new RawAgent('raw-busy-neighbour');
      agents.push(busy);
      await busy.register(url);
      await waitFor('the neighbour row', async () => (await agentRows(api)).some((n) => n.agentId === busy.agentId));
      // its first status line gives its row children (a change of shape): done before the watch starts
      busy.status('warming up');
      await waitFor('the neighbour row with activity', async () => (await agentRows(api)).some((n) => n.agentId === busy.agentId && n.model.collapsible !== 'none'));
      // the view visible, so its once-a-second tick runs as it does under a person's mouse
      await vscode.commands.executeCommand('switchboard.agents.focus');
      const row = (await agentRows(api)).find((n) => n.agentId === target.agentId)!;
      const before = await api.agentsProvider.getTreeItem(row);
      assert.match(String(before.tooltip), new RegExp(target.agentId), 'the tooltip shows the agent id');
      const events: (TreeNode | TreeNode[] | undefined | void)[] = [];
      const sub = api.agentsProvider.onDidChangeTreeData((e) => events.push(e));
      try {
        const start = Date.now();
        let paused = false;
        // the neighbour flips between paused and online and talks, so rows change around the hovered one
        await waitFor(
          '1.5 s of ticks and neighbour changes',
          async () => {
            paused = !paused;
            await vscode.commands.executeCommand(paused ? Commands.pauseAgent : Commands.resumeAgent, busy.agentId);
            busy.status(`tick ${Date.now()}`);
            await waitFor('the neighbour state', () => api.connection()!.agent(busy.agentId)?.status === (paused ? 'paused' : 'online'));
            return Date.now() - start >= 1500 && events.length >= 2;
          },
          15_000,
        );
      } finally {
        sub.dispose();
      }
      assert.ok(!events.some((e) => e === undefined), `a whole-tree refresh fired (it would cancel the hover): ${events.length} events`);
      const after = (await agentRows(api)).find((n) => n.agentId === target.agentId);
      assert.equal(after, row, 'the same element for the agent: VS Code keeps its hover');
      const item = await api.agentsProvider.getTreeItem(row);
      assert.equal(item.id, before.id);
      assert.match(String(item.tooltip), new RegExp(target.agentId), 'the tooltip is still there');
      if (busy.agentId) await vscode.commands.executeCommand(Commands.resumeAgent, busy.agentId);
    });

    test('Pause run on a row acts on that row\'s agent while the others change state', async () => {
      const target = agents[0]!;
      const busy = agents.find((a) => a.name === 'raw-busy-neighbour')!;
      const late = new RawAgent('raw-aaa-late');
      agents.push(late);
      const rowsBefore = await agentRows(api);
      const row = rowsBefore.find((n) => n.agentId === target.agentId)!;
      // another agent arrives (sorted before the target) and the neighbour pauses: rows around the target change
      await late.register(api.connection()!.info().agentUrl);
      await vscode.commands.executeCommand(Commands.pauseAgent, busy.agentId);
      await waitFor('the newcomer row', async () => (await agentRows(api)).some((n) => n.agentId === late.agentId));
      // the menu hands the command the row element it was opened on
      await vscode.commands.executeCommand(Commands.pauseAgent, row);
      await waitFor('the target paused', () => api.connection()!.agent(target.agentId)?.status === 'paused');
      assert.equal(api.connection()!.agent(late.agentId)?.status, 'online', 'the newcomer is untouched');
      assert.equal(api.connection()!.agent(busy.agentId)?.status, 'paused', 'the neighbour keeps its own state');
      await vscode.commands.executeCommand(Commands.resumeAgent, row);
      await waitFor('the target online again', () => api.connection()!.agent(target.agentId)?.status === 'online');
      await vscode.commands.executeCommand(Commands.resumeAgent, busy.agentId);
      assert.equal(api.commands.lastFailure, undefined, `a command failed: ${JSON.stringify(api.commands.lastFailure)}`);
    });

    test('broadcast reaches the agent, and export writes the event log to the file given as argument', async () => {
      const agent = agents[0]!;
      const text = `to everyone ${Date.now()}`;
      assert.equal(await vscode.commands.executeCommand<boolean>(Commands.broadcast, text), true);
      await waitFor('the broadcast at the agent', () => agent.received(text));
      const target = join(process.env.SWITCHBOARD_TEST_RUN_DIR ?? tmpdir(), `export-${Date.now()}.ndjson`);
      const written = await vscode.commands.executeCommand<string | undefined>(Commands.exportLog, 'ndjson', target);
      assert.equal(written, target);
      const lines = (await readFile(target, 'utf8')).split('\n').filter(Boolean);
      assert.ok(lines.length > 0);
      for (const line of lines) JSON.parse(line); // every line is one JSON entry
      assert.ok(lines.some((l) => l.includes(text)), 'the broadcast is in the exported log');
    });

    test('the pause and resume commands change the agent row', async () => {
      const agent = agents[0]!;
      await vscode.commands.executeCommand(Commands.pauseAgent, agent.agentId);
      await waitFor('paused in the connection', () => api.connection()!.agent(agent.agentId)?.status === 'paused');
      // the row is the same object for the agent throughout (its model is replaced on refresh): keep this model
      const paused = (
        await waitFor('a paused row', async () =>
          (await agentRows(api)).find((n) => n.agentId === agent.agentId && JSON.stringify(n.model).includes('paused')),
        )
      ).model;
      await vscode.commands.executeCommand(Commands.resumeAgent, agent.agentId);
      await waitFor('online again', () => api.connection()!.agent(agent.agentId)?.status === 'online');
      const online = (await agentRows(api)).find((n) => n.agentId === agent.agentId)!;
      assert.notDeepEqual(online.model.icon, paused.icon, 'paused and online rows should look different');
    });

    test('a second window against the held port attaches as a monitor and shows the same agents', async () => {
      const hubId = api.connection()!.info().hubId;
      second = await api.openSecondWindow();
      assert.equal(second.mode, 'attached', 'the second window must not start a rival hub');
      const conn = second.manager.connection;
      assert.ok(conn);
      assert.equal(conn.mode, 'attached');
      assert.equal(conn.info().port, configuredPort);
      assert.equal(conn.info().hubId, hubId);
      await waitFor('the raw agent in the second window', () => conn.agents().some((a) => a.agent_id === agents[0]!.agentId));
      // still exactly one hub: the port answers with the first window's hub id
      assert.equal((await healthz(configuredPort)).hub_id, hubId);
      await second.dispose();
      second = undefined;
    });

    test('stop closes the hub and its agents; start brings it back on the same port', async () => {
      const agent = agents[0]!;
      await vscode.commands.executeCommand(Commands.stopHub);
      await waitFor('the hub stopped', () => !api.connection() || api.connection()!.state === 'stopped');
      assert.equal(api.hub(), undefined);
      await waitFor('the agent socket closed', () => agent.closed);
      await assert.rejects(fetch(`http://127.0.0.1:${configuredPort}/healthz`), 'nothing listens after stop');

      await vscode.commands.executeCommand(Commands.startHub);
      await waitFor('the hub running', () => api.connection()?.state === 'running');
      assert.equal(api.connection()!.mode, 'local');
      assert.equal(api.connection()!.info().port, configuredPort);
      assert.equal((await healthz(configuredPort)).status, 'ok');
      const again = new RawAgent('raw-after-restart');
      agents.push(again);
      const id = await again.register(api.connection()!.info().agentUrl);
      await waitFor('the new agent row', async () => (await agentRows(api)).some((n) => n.agentId === id));
    });

    test('reconstruct (agent as argument, no UI) finds what a dropped raw agent never answered, and hand-over restores it into a replacement', async function () {
      this.timeout(30_000);
      const url = api.connection()!.info().agentUrl;
      const victim = new RawAgent('raw-victim');
      const peer = new RawAgent('raw-silent-peer');
      agents.push(victim, peer);
      await victim.register(url);
      await peer.register(url);
      const text = `finish the parser ${Date.now()}`;
      await vscode.commands.executeCommand(Commands.sendMessage, victim.agentId, text);
      await waitFor('the TEXT at the victim', () => victim.received(text));
      // the socket goes away without DEREGISTER_AGENT: a crash as far as the hub can tell
      await victim.close();
      await waitFor('the victim offline', () => api.connection()!.agent(victim.agentId)?.status === 'offline');

      const result = await vscode.commands.executeCommand<ReconstructionT | undefined>(ReconstructCommands.reconstructAgent, victim.agentId, {
        timeoutMs: 1500,
        show: false,
      });
      assert.ok(result, 'the command returned no reconstruction');
      assert.equal(result.failed_agent_id, victim.agentId);
      assert.ok(
        result.unanswered_messages.some((m) => m.text_payload === text && m.receiver_id === victim.agentId),
        `the TEXT is not among the unanswered: ${JSON.stringify(result.unanswered_messages)}`,
      );
      assert.ok(result.timeline.some((m) => m.text_payload === text), 'the TEXT is in the timeline');
      // a raw agent knows nothing of REQUEST_CONTEXT: it was asked and stayed silent until the timeout
      assert.ok(result.peer_agents_queried.includes(peer.agentId), `peer not asked: ${JSON.stringify(result.peer_agents_queried)}`);
      assert.ok(result.peers_silent.includes(peer.agentId));
      assert.equal(result.finished, 'timeout');

      const replacement = new RawAgent('raw-replacement');
      agents.push(replacement);
      await replacement.register(url);
      assert.equal(await vscode.commands.executeCommand<boolean>(ReconstructCommands.handOverReconstruction, result, replacement.agentId), true);
      const restore = await waitFor('RESTORE_CONTEXT at the replacement', () => replacement.frames.find((f) => f.message_type === 'RESTORE_CONTEXT'));
      const handed = restore.reconstruction as ReconstructionT;
      assert.equal(handed.failed_agent_id, victim.agentId);
      assert.ok(handed.unanswered_messages.some((m) => m.text_payload === text), 'the replacement learns what the victim owed');

      // without show: false the report goes to the Monitor, which opens for it
      const shown = await vscode.commands.executeCommand<ReconstructionT | undefined>(ReconstructCommands.reconstructAgent, victim.agentId, { timeoutMs: 500 });
      assert.equal(shown?.failed_agent_id, victim.agentId);
      await waitFor('the Monitor tab', () => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.label === 'Switchboard Monitor')));

      // code-server has no language model: Summarise says so plainly instead of failing or sending anything
      const summary = await vscode.commands.executeCommand<SummariseOutcome>(ReconstructCommands.summariseReconstruction, result);
      assert.equal(summary.ok, false);
      assert.match(summary.message ?? '', /No language model is available/);
    });
  });
}
