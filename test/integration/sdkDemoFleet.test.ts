// The demo fleet against a real hub: five distinct personas that register, work in status-line steps for the session
// they serve, reply and emit events; with chaos on they go offline (silent or crashed) and come back under their ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoFleet } from '../../src/sdk/demoFleet';
import { FrontendClient } from '../../src/sdk/frontendClient';
import type { StatusLine } from '../../src/sdk/observerClient';
import { startHub, waitUntil } from './hubHarness';

test('a calm demo fleet registers five distinct agents that answer with status lines for the asking session', async () => {
  const hub = await startHub();
  const fleet = await startDemoFleet({ url: hub.agentUrl, crashes: false, chores: false, stepDelayMs: [5, 20] });
  const fe = new FrontendClient({ url: hub.agentUrl, name: 'asker' });
  try {
    const ids = fleet.agents();
    assert.equal(ids.length, 5);
    await waitUntil(() => ids.every((id) => hub.agent(id)?.status === 'online'), 3000, 'all online');
    assert.deepEqual(ids.map((id) => hub.agent(id)?.agent_name).sort(), ['coder', 'planner', 'researcher', 'reviewer', 'summariser']);
    await fe.connect();
    const lines: StatusLine[] = [];
    fe.onStatus((l) => lines.push(l));
    const planner = ids.find((id) => hub.agent(id)?.agent_name === 'planner')!;
    const researcher = ids.find((id) => hub.agent(id)?.agent_name === 'researcher')!;
    const reply = await fe.waitForReply(await fe.send(planner, 'a picnic'), 10_000);
    assert.match(String(reply.text_payload), /^Plan for "a picnic"/);
    // The planner's own steps, and the researcher it delegated to, both report to this session.
    await waitUntil(() => lines.some((l) => l.agent_id === researcher), 5000, 'delegated status');
    assert.ok(lines.filter((l) => l.agent_id === planner).length >= 4);
    assert.ok(lines.every((l) => l.session_id === fe.id));
    const events = hub.log.query({ message_type: 'AGENT_EVENT' }).map((e) => e.body.event_type);
    assert.ok(events.includes('task_started') && events.includes('task_done'), `events: ${events.join(',')}`);
  } finally {
    await fe.close();
    await fleet.stop();
    await hub.stop();
  }
});

test('with chaos on, demo agents drop offline (silent or crashed) and come back under the same ids', async () => {
  const hub = await startHub({ pingIntervalMs: 100, inactivityTimeoutMs: 400 });
  const fleet = await startDemoFleet({
    url: hub.agentUrl,
    count: 3,
    chores: false,
    chaosEveryMs: [100, 300],
    silenceMs: 700,
    crashDownMs: [100, 300],
    reconnect: { initialMs: 50, maxMs: 200 },
  });
  const wentOffline = new Set<string>();
  const onAgents = (changed: { agent_id: string; status: string }[]): void => {
    for (const a of changed) if (a.status === 'offline') wentOffline.add(a.agent_id);
  };
  hub.events.on('agents', onAgents);
  try {
    const ids = fleet.agents();
    await waitUntil(() => wentOffline.size === 3, 20_000, 'every agent offline at least once');
    await waitUntil(() => fleet.clients().every((c) => c.registrationCount >= 2), 20_000, 'every agent registered again');
    assert.deepEqual(fleet.agents(), ids, 'same ids after coming back');
    assert.equal(hub.agents().length, 3, 'no extra agent records');
  } finally {
    hub.events.off('agents', onAgents);
    await fleet.stop();
    await hub.stop();
  }
});

test('a demo fleet pointed at a hub that is not there fails with a message saying so', async () => {
  await assert.rejects(startDemoFleet({ url: 'ws://127.0.0.1:9/ws?token=x', crashes: false }), /No hub is listening/);
});
