// What the VS Code Monitor panel relays to its Agent pane (seed 003), through the real HubManager in two windows:
// the window that owns the hub (in-process agent streams) and a second window attached as a monitor. Both sources'
// frames, fed to the webview's AgentStreamModel, show the agent's context and pending approvals; a decision from
// either window resolves the agent's promise once, naming who decided.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/protocol/logger';
import { AgentClient } from '../../src/sdk/agentClient';
import type { ManagerSettings } from '../../src/extension/model/hubManager';
import { ManagerMonitorSource } from '../../src/extension/model/managerMonitorSource';
import { AgentStreamModel } from '../../src/webview/agentStreamModel';
import { freePort, manager, waitFor } from './managerHarness';

test('the panel source relays agent streams in the owning and in an attached window, and decides approvals once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-panelstreams-'));
  const port = await freePort();
  const settings: ManagerSettings = { hub: { host: '127.0.0.1', port, token: 'panel-streams-token', logDir: '' }, autoStart: true };
  const a = manager(dir, settings);
  const b = manager(dir, settings);
  let agent: AgentClient | undefined;
  const models = { a: new AgentStreamModel(), b: new AgentStreamModel() };
  try {
    assert.equal(await a.startOrAttach(true), 'local');
    assert.equal(await b.startOrAttach(true), 'attached');
    const sa = new ManagerMonitorSource(a);
    const sb = new ManagerMonitorSource(b);
    const subA = sa.onAgentStream((f) => models.a.apply(f));
    const subB = sb.onAgentStream((f) => models.b.apply(f));

    agent = new AgentClient({ url: a.connection!.info().agentUrl, name: 'asker', logger: silentLogger, reconnect: false });
    const { agent_id } = await agent.connect();
    await agent.reportContext({ model: 'm1', tools: ['shell'] });
    for (const [w, m] of Object.entries(models)) {
      await waitFor(`window ${w} to show the context`, () => (m.state(agent_id)?.context as { model?: string } | null)?.model === 'm1');
    }

    const first = agent.requestApproval('shell', ['ls', '-la']);
    await waitFor('both windows to list the approval', () => models.a.pendingCount(agent_id) === 1 && models.b.pendingCount(agent_id) === 1);
    const id1 = models.b.pending(agent_id)[0]!.approval_id;
    await sb.decideApproval(id1, true, 'from window B');
    const out1 = await first;
    assert.equal(out1.approved, true);
    assert.equal(out1.note, 'from window B');
    assert.match(out1.decidedBy, /^mon_/, 'the attached window decides as its monitor connection');
    await assert.rejects(sa.decideApproval(id1, false), /already resolved/, 'a second decision is refused');

    const second = agent.requestApproval('write_file', { path: 'x' });
    await waitFor('the second approval in window A', () => models.a.pendingCount(agent_id) === 1);
    const id2 = models.a.pending(agent_id)[0]!.approval_id;
    await sa.decideApproval(id2, false);
    const out2 = await second;
    assert.equal(out2.approved, false);
    await assert.rejects(sb.decideApproval(id2, true), 'window B cannot decide it again');

    for (const [w, m] of Object.entries(models)) {
      await waitFor(`window ${w} to show both decisions`, () => m.pendingCount(agent_id) === 0 && m.resolved(agent_id).length === 2);
      assert.deepEqual(
        m.resolved(agent_id).map((r) => [r.approval_id, r.approved, r.decided_by]),
        [
          [id1, true, out1.decidedBy],
          [id2, false, out2.decidedBy],
        ],
      );
    }
    subA.dispose();
    subB.dispose();
    // the attached window's own approvals keep their stream after the panel's subscription goes
    assert.equal(b.connection?.mode, 'attached');
  } finally {
    await agent?.close();
    await b.dispose();
    await a.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
