// Replay (issue 20): a recorded session (the hub's NDJSON log) replayed into a fresh fleet — new agent ids, mapped by
// name — reports each recorded reply beside the new one: same, different with a diff, and a truncated body named as
// not replayable. The plan is read back from the file format the hub writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentClient } from '../../src/sdk/agentClient';
import { FrontendClient } from '../../src/sdk/frontendClient';
import { formatReplayReport, lineDiff, parseRecording, planReplay, runReplay } from '../../src/cli/replay';
import { startHub } from './hubHarness';
import type { Hub } from '../../src/hub/hub';

async function fleet(hub: Hub, answer: (agent: string, text: string) => string): Promise<AgentClient[]> {
  const agents: AgentClient[] = [];
  for (const name of ['planner', 'coder']) {
    const a = new AgentClient({ url: hub.agentUrl, name, reconnect: false });
    a.onMessage((m, ctx) => ctx.reply(answer(name, String(m.text_payload))));
    await a.connect();
    agents.push(a);
  }
  return agents;
}

test('a recorded session replayed into a fresh fleet: same, different (with a diff), not replayable', async () => {
  // 1) record
  const hubA = await startHub();
  const agentsA = await fleet(hubA, (agent, text) => `${agent}: ${text}`);
  const fe = new FrontendClient({ url: hubA.agentUrl, name: 'recorder', reconnect: false });
  await fe.connect();
  const agents = await fe.waitForAgents();
  const idOf = (name: string): string => [...agents.values()].find((a) => a.agent_name === name)!.agent_id;
  for (const [to, text] of [
    ['planner', 'one'],
    ['planner', 'two'],
    ['coder', 'three'],
    ['planner', 'x'.repeat(100_000)],
  ] as const) {
    const id = await fe.send(idOf(to), text, { thread: 'conv-1' });
    await fe.waitForReply(id, 5000);
  }
  const recording = hubA.log.export('ndjson');
  await fe.close();
  for (const a of agentsA) await a.close();
  await hubA.stop();
  hubA.dispose();

  const rec = parseRecording(recording + '\nnot json\n');
  assert.equal(rec.badLines, 1);
  const plan = planReplay(rec, { thread: 'conv-1' });
  assert.deepEqual(plan.map((s) => s.agentName), ['planner', 'planner', 'coder', 'planner']);
  assert.equal(plan[0]!.recordedReply?.body.text_payload, 'planner: one');
  assert.match(plan[3]!.notReplayable ?? '', /truncated/);
  assert.deepEqual(planReplay(rec, { filter: 'to:coder' }).map((s) => s.entry.body.text_payload), ['three']);

  // 2) replay into a fresh hub whose planner answers "two" differently
  const hubB = await startHub();
  const agentsB = await fleet(hubB, (agent, text) => (agent === 'planner' && text === 'two' ? `planner: two\nand more` : `${agent}: ${text}`));
  try {
    const rows = await runReplay(plan, { url: hubB.agentUrl, speed: 0, replyTimeoutMs: 5000 });
    assert.deepEqual(rows.map((r) => r.verdict), ['same', 'different', 'same', 'not_replayable']);
    assert.deepEqual(rows[1]!.diff, ['  planner: two', '+ and more']);
    const report = formatReplayReport(rows);
    assert.match(report, /4 message\(s\) — 2 same, 1 different, 0 missing, 1 not replayed/);
    // the replay is marked in the new hub's log: it came from the replay client
    assert.ok(hubB.log.recent().some((e) => e.message_type === 'REGISTER_FRONTEND' && e.body.frontend_name === 'switchboard replay'));
  } finally {
    for (const a of agentsB) await a.close();
    await hubB.stop();
    hubB.dispose();
  }
});

test('lineDiff keeps common lines and marks the rest', () => {
  assert.deepEqual(lineDiff('a\nb\nc', 'a\nc\nd'), ['  a', '- b', '  c', '+ d']);
});
