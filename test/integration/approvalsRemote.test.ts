// The approvals a VS Code window shows, from both sources: the hub it runs (LocalApprovals) and another window's hub
// it watches as a monitor (RemoteApprovals, over agent streams) — requests appear, decisions reach the agent once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentClient } from '../../src/sdk/agentClient';
import { MonitorClient } from '../../src/sdk/monitorClient';
import { LocalApprovals, RemoteApprovals, type ApprovalEvent } from '../../src/extension/model/approvalsModel';
import { startHub, waitUntil } from './hubHarness';

test('a window attached as a monitor sees requests come and go, and its decision reaches the agent once', async () => {
  const hub = await startHub({ streamDiffIntervalMs: 10 });
  const agent = new AgentClient({ url: hub.agentUrl, name: 'remote-asker' });
  const mon = new MonitorClient({ url: hub.agentUrl, name: 'other window', backlog: 0, reconnect: false });
  const events: ApprovalEvent[] = [];
  const errors: unknown[] = [];
  let source: RemoteApprovals | undefined;
  try {
    const { agent_id } = await agent.connect();
    const { monitor_id } = await mon.connect();
    source = new RemoteApprovals(mon, (e) => events.push(e), (err) => errors.push(err));
    await waitUntil(() => hub.agentStreams.subscriberCount === 1, 5000, 'the window subscribed');
    const asked = agent.requestApproval('write_file', { path: 'remote.txt' });
    await waitUntil(() => events.some((e) => e.kind === 'requested'), 5000, 'the request seen');
    const [p] = source.pending(agent_id);
    assert.equal(p?.tool, 'write_file');
    await source.decide(p!.approval_id, false, 'not from here');
    assert.deepEqual(await asked, { approved: false, note: 'not from here', decidedBy: monitor_id });
    await waitUntil(() => events.some((e) => e.kind === 'resolved'), 5000, 'the resolution seen');
    assert.deepEqual(source.pending(), []);
    await assert.rejects(source.decide(p!.approval_id, true), /already resolved/);
    assert.equal(hub.agentStreams.subscriberCount, 1, 'deciding did not undo the window\'s subscription');
    assert.deepEqual(errors, []);
  } finally {
    source?.dispose();
    await Promise.all([agent.close(), mon.close()]);
    await hub.stop();
  }
});

test('the window that runs the hub sees requests and resolutions in process and decides through the hub', async () => {
  const hub = await startHub();
  const agent = new AgentClient({ url: hub.agentUrl, name: 'local-asker' });
  const events: ApprovalEvent[] = [];
  const source = new LocalApprovals(hub.agentStreams, (e) => events.push(e));
  try {
    await agent.connect();
    const asked = agent.requestApproval('shell', ['ls']);
    await waitUntil(() => source.pending().length === 1, 5000, 'pending');
    const id = source.pending()[0]!.approval_id;
    await source.decide(id, true);
    assert.equal((await asked).decidedBy, 'web_switchboard');
    assert.deepEqual(events.map((e) => e.kind), ['requested', 'resolved']);
    await assert.rejects(source.decide(id, true), /already resolved/);
  } finally {
    source.dispose();
    await agent.close();
    await hub.stop();
  }
});
