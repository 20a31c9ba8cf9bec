// Replay on RabbitMQ (issue 20): a session recorded on a hub whose bus is RabbitMQ, read back from its NDJSON log and
// replayed into a fresh fleet on a second RabbitMQ hub (its own queue prefix, so the two never share agents): agents
// mapped by name to their new ids, each recorded reply beside the new one — same, and different with a diff.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentClient } from '../../src/sdk/agentClient';
import { FrontendClient } from '../../src/sdk/frontendClient';
import { formatReplayReport, parseRecording, planReplay, runReplay } from '../../src/cli/replay';
import { rabbitWorld, startRabbitHub } from './rabbitHarness';

test('RabbitMQ: a recorded session replayed into a fresh fleet on another RabbitMQ hub reports same and different', async (t) => {
  const w = await rabbitWorld(t, 'replay');
  if (!w) return;
  // 1) record on a RabbitMQ hub
  const hubA = await w.hub();
  for (const name of ['planner', 'coder']) await w.agent({ url: hubA.agentUrl, name, reconnect: false }, (text) => `${name}: ${text}`);
  const fe = new FrontendClient({ url: hubA.agentUrl, name: 'recorder', reconnect: false });
  await fe.connect();
  try {
    const agents = await fe.waitForAgents();
    const idOf = (name: string): string => [...agents.values()].find((a) => a.agent_name === name && a.is_online)!.agent_id;
    for (const [to, text] of [
      ['planner', 'plan the refund'],
      ['coder', 'write the refund'],
      ['planner', 'review it'],
    ] as const) {
      const id = await fe.send(idOf(to), text, { thread: 'rabbit-conv' });
      await fe.waitForReply(id, 15_000);
    }
  } finally {
    await fe.close();
  }
  const plan = planReplay(parseRecording(hubA.log.export('ndjson')), { thread: 'rabbit-conv' });
  assert.deepEqual(plan.map((s) => s.agentName), ['planner', 'coder', 'planner']);

  // 2) a fresh fleet on a second RabbitMQ hub (new ids); its coder answers differently now
  const hubB = await startRabbitHub(w.url, `${w.prefix}b`);
  const fleetB: AgentClient[] = [];
  try {
    for (const name of ['planner', 'coder']) {
      const a = new AgentClient({ url: hubB.agentUrl, name, reconnect: false });
      a.onMessage((m, ctx) => ctx.reply(name === 'coder' ? `coder: ${String(m.text_payload)}\nwith a test` : `${name}: ${String(m.text_payload)}`));
      await a.connect();
      fleetB.push(a);
    }
    assert.ok(fleetB.every((a) => !hubA.agents().some((x) => x.agent_id === a.id)), 'new ids, on a hub of its own');
    const rows = await runReplay(plan, { url: hubB.agentUrl, speed: 0, replyTimeoutMs: 15_000 });
    assert.deepEqual(rows.map((r) => r.verdict), ['same', 'different', 'same']);
    assert.deepEqual(rows[1]!.diff, ['  coder: write the refund', '+ with a test']);
    assert.match(formatReplayReport(rows), /3 message\(s\) — 2 same, 1 different, 0 missing/);
  } finally {
    for (const a of fleetB) await a.close();
    await hubB.stop();
    hubB.dispose();
  }
});
