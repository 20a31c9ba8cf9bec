// Agent streams through the SDK: an agent's requestApproval() resolved by a monitor's decideApproval(), the timeout's
// default, reportContext() watched live by a front-end, and the demo fleet's coder asking before it writes files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentClient } from '../../src/sdk/agentClient';
import { MonitorClient } from '../../src/sdk/monitorClient';
import { FrontendClient } from '../../src/sdk/frontendClient';
import { decideApproval, watchAgentStreams } from '../../src/sdk/agentStreamWatcher';
import { startDemoFleet } from '../../src/sdk/demoFleet';
import { startHub, waitUntil } from './hubHarness';

test('requestApproval resolves with the decision a monitor made through decideApproval; a second decider is refused', async () => {
  const hub = await startHub();
  const agent = new AgentClient({ url: hub.agentUrl, name: 'asker' });
  const mon = new MonitorClient({ url: hub.agentUrl, name: 'approver', backlog: 0 });
  const late = new FrontendClient({ url: hub.agentUrl, name: 'late' });
  try {
    await agent.connect();
    const { monitor_id } = await mon.connect();
    await late.connect();
    const asked = agent.requestApproval('write_file', { path: 'README.md' });
    await waitUntil(() => hub.agentStreams.pendingApprovals().length === 1, 5000, 'pending');
    const id = hub.agentStreams.pendingApprovals()[0]!.approval_id;
    await decideApproval(mon, id, true, 'looks fine');
    assert.deepEqual(await asked, { approved: true, note: 'looks fine', decidedBy: monitor_id });
    await assert.rejects(decideApproval(late, id, false), /already resolved/);

    const timed = await agent.requestApproval('shell', ['rm', '-rf', 'dist'], { timeoutMs: 20, default: false });
    assert.deepEqual(timed, { approved: false, note: null, decidedBy: 'timeout' });
  } finally {
    await Promise.all([agent.close(), mon.close(), late.close()]);
    await hub.stop();
  }
});

test('reportContext is watched live: the front-end rebuilds the agent state from SNAPSHOT and DIFFs', async () => {
  const hub = await startHub({ streamDiffIntervalMs: 10 });
  const agent = new AgentClient({ url: hub.agentUrl, name: 'ctx' });
  const fe = new FrontendClient({ url: hub.agentUrl, name: 'watcher' });
  try {
    const { agent_id } = await agent.connect();
    await fe.connect();
    const watch = await watchAgentStreams(fe, agent_id);
    await waitUntil(() => watch.states.get(agent_id) !== undefined, 5000, 'snapshot');
    for (let i = 1; i <= 5; i++) await agent.reportContext({ model: 'm', turn: i, tools: Array.from({ length: i }, (_, k) => `t${k}`) });
    await waitUntil(() => (watch.states.get(agent_id)?.context as { turn?: number } | null)?.turn === 5, 5000, 'turn 5 seen');
    assert.deepEqual(watch.states.get(agent_id)!.context, { model: 'm', turn: 5, tools: ['t0', 't1', 't2', 't3', 't4'] });
    await watch.stop();
  } finally {
    await Promise.all([agent.close(), fe.close()]);
    await hub.stop();
  }
});

test("the demo fleet's coder reports its context and asks before writing files; the person's decision reaches it", async () => {
  const hub = await startHub();
  const fleet = await startDemoFleet({ url: hub.agentUrl, count: 3, chaos: 'off', chores: false, approvalEveryMs: [20, 50], approvalTimeoutMs: 60_000 });
  try {
    await waitUntil(() => hub.agentStreams.pendingApprovals().length === 1, 10_000, 'the coder asks');
    const ap = hub.agentStreams.pendingApprovals()[0]!;
    assert.equal(hub.agent(ap.agent_id)?.agent_name, 'coder');
    assert.equal(ap.tool, 'write_file');
    assert.equal(ap.default, false);
    assert.equal((hub.agentStreams.snapshot(ap.agent_id).context as { model?: string }).model, 'demo-coder-1');
    hub.agentStreams.decide(ap.approval_id, true, 'go ahead');
    await waitUntil(
      () => hub.log.query({ message_type: 'STATUS' }).some((e) => /wrote CHANGELOG\.md \(approved by web_switchboard\)/.test(String(e.body.text_payload))),
      10_000,
      'the coder wrote',
    );
    await waitUntil(() => (hub.agentStreams.snapshot(ap.agent_id).context as { files_written?: number }).files_written === 1, 5000, 'context says so');
  } finally {
    await fleet.stop();
    await hub.stop();
  }
});

test('the demo coder asks before a task that changes code (and says so when denied), never for a plain question', async () => {
  const hub = await startHub();
  const fleet = await startDemoFleet({ url: hub.agentUrl, count: 3, chaos: 'off', chores: false, stepDelayMs: [5, 10], approvalEveryMs: [3_600_000, 3_600_000] });
  const fe = new FrontendClient({ url: hub.agentUrl, name: 'person' });
  try {
    await fe.connect();
    const coder = fleet.agents().find((id) => hub.agent(id)?.agent_name === 'coder')!;
    const plain = await fe.waitForReply(await fe.send(coder, 'e2e what is new'), 10_000);
    assert.match(String(plain.text_payload), /^Done: "e2e what is new"/);
    assert.equal(hub.log.query({ message_type: 'TOOL_APPROVAL_REQUEST' }).length, 0, 'no approval for a question');

    const id = await fe.send(coder, 'write a debounce function');
    await waitUntil(() => hub.agentStreams.pendingApprovals(coder).length === 1, 10_000, 'the coder asks');
    const ap = hub.agentStreams.pendingApprovals(coder)[0]!;
    assert.deepEqual(ap.arguments, { files: ['src/feature.ts', 'test/feature.test.ts'], reason: 'write a debounce function' });
    hub.agentStreams.decide(ap.approval_id, false, 'not today');
    const reply = await fe.waitForReply(id, 10_000);
    assert.equal(reply.text_payload, 'Drafted "write a debounce function" but did not write it: the write was not approved.');
  } finally {
    await fe.close();
    await fleet.stop();
    await hub.stop();
  }
});
