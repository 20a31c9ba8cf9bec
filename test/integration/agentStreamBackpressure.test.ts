// A subscriber that stops reading: the hub stops writing to it past a bound, its queue overflows, and once it reads
// again it gets a RESYNC with what it missed (the same count the hub kept) and ends with the agent's exact state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { applyPatch, deepClone, type Operation } from 'fast-json-patch';
import { startHub, agent, waitUntil, TestClient } from './hubHarness';

test('a subscriber that stops reading gets a RESYNC with the frames it missed, then the exact state', async () => {
  const hub = await startHub({ streamQueueMax: 8, streamDiffIntervalMs: 20, maxAgentContextBytes: 512 * 1024 });
  const a = await agent(hub, 'firehose');
  let sock: Socket | undefined;
  // our own TCP socket under the ws client (a public ws/http option), so the test can stop reading from it
  const ws = new WebSocket(`ws://127.0.0.1:${hub.port}/ws?token=${hub.token}`, {
    createConnection: (opts: { host?: string | null; port?: number | string | null }) => (sock = netConnect({ host: opts.host ?? '127.0.0.1', port: Number(opts.port) })),
  });
  const sub = new TestClient(ws);
  try {
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    sub.send({ message_type: 'REGISTER_FRONTEND', frontend_name: 'slow reader' });
    const reg = await sub.waitType('REGISTER_FRONTEND_RESPONSE');
    const subId = reg.frontend_id as string;
    sub.send({ message_type: 'MONITOR_SUBSCRIBE', agent_id: a.id });
    await sub.waitType('SNAPSHOT');
    sock!.pause();

    // every round: a new 200 KB context and an event, so a STREAM_EVENT and a fresh SNAPSHOT are queued at once
    const blob = 'x'.repeat(200 * 1024);
    for (let i = 0; i < 400 && !(hub.agentStreams.subscriberStats(subId)?.missed ?? 0); i++) {
      a.c.send({ message_type: 'AGENT_CONTEXT', context: { round: i, blob } });
      a.c.send({ message_type: 'AGENT_EVENT', event_type: 'round', data: { i } });
      await waitUntil(() => hub.log.query({ message_type: 'AGENT_EVENT' }).length === i + 1, 10_000, `round ${i} in`);
    }
    const missed = hub.agentStreams.subscriberStats(subId)?.missed ?? 0;
    assert.ok(missed > 0, 'the queue overflowed');
    assert.equal(sub.closed, undefined, 'the slow reader was not cut off as a slow consumer');

    sock!.resume();
    const resync = await sub.waitType('RESYNC', 20_000);
    a.c.send({ message_type: 'AGENT_CONTEXT', context: { round: 'last' } });
    await waitUntil(() => sub.frames.some((f) => f.message_type !== 'RESYNC' && JSON.stringify(f).includes('"last"')), 20_000, 'the last state');
    const totalMissed = sub.ofType('RESYNC').reduce((n, r) => n + (r.missed as number), 0);
    assert.equal(totalMissed, hub.agentStreams.subscriberStats(subId)!.missed, 'RESYNC says exactly what the hub did not send');
    assert.ok((resync.missed as number) >= 1);

    let state: Record<string, unknown> | undefined;
    const seqs: number[] = [];
    for (const f of sub.frames.filter((x) => x.agent_id === a.id)) {
      seqs.push(f.seq as number);
      if (f.message_type === 'SNAPSHOT') state = deepClone({ agent_id: f.agent_id, agent: f.agent, context: f.context, pending_approvals: f.pending_approvals });
      else if (f.message_type === 'RESYNC') state = deepClone(f.snapshot) as Record<string, unknown>;
      else if (f.message_type === 'DIFF') applyPatch(state!, f.patch as Operation[]);
    }
    assert.deepEqual(state, JSON.parse(JSON.stringify(hub.agentStreams.snapshot(a.id))));
    assert.deepEqual(seqs, seqs.map((_, i) => i), 'frames that went out are numbered without gaps');
  } finally {
    ws.terminate();
    await a.c.close();
    await hub.stop();
  }
});
