// Agent streams: the bounded per-subscriber queue (overflow → RESYNC with the count missed, never a silent drop), and
// the property that a first SNAPSHOT with every DIFF applied equals the final state, under random context changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyPatch, deepClone, type Operation } from 'fast-json-patch';
import { Subscriber, type StreamSink } from '../../src/hub/agentStreams/subscriber';
import { Hub } from '../../src/hub/hub';
import type { Envelope } from '../../src/protocol/schemas';
import type { AgentStreamSnapshotT } from '../../src/protocol/agentStreams';

function sink(): StreamSink & { sent: Envelope[]; blocked: boolean } {
  const s = {
    sent: [] as Envelope[],
    blocked: false,
    send(frame: Envelope): boolean {
      s.sent.push(frame);
      return true;
    },
    busy(): boolean {
      return s.blocked;
    },
  };
  return s;
}

const snap = (agentId: string, context: unknown): AgentStreamSnapshotT => ({ agent_id: agentId, agent: null, context, pending_approvals: [] });

test('a subscriber whose sink is backed up gets, on overflow, a RESYNC per agent with exactly the frames it missed', () => {
  const out = sink();
  const sub = new Subscriber('s', out, 4);
  out.blocked = true;
  for (let i = 0; i < 3; i++) sub.enqueue('a', { message_type: 'STREAM_EVENT', agent_id: 'a', n: i });
  sub.enqueue('b', { message_type: 'STREAM_EVENT', agent_id: 'b', n: 0 });
  assert.equal(sub.drain((id) => snap(id, 'now')), false, 'nothing goes while the sink is busy');
  assert.equal(out.sent.length, 0);
  assert.equal(sub.queued, 4);
  sub.enqueue('a', { message_type: 'STREAM_EVENT', agent_id: 'a', n: 3 }); // the fifth: overflow
  assert.equal(sub.queued, 0);
  assert.equal(sub.resyncPending('a'), true);
  sub.enqueue('a', { message_type: 'DIFF', agent_id: 'a' }); // covered by a's RESYNC: counted as missed
  sub.enqueue('c', { message_type: 'STREAM_EVENT', agent_id: 'c', n: 0 }); // c lost nothing: queued as usual
  out.blocked = false;
  assert.equal(sub.drain((id) => snap(id, `fresh ${id}`)), true);
  const resyncs = out.sent.filter((f) => f.message_type === 'RESYNC');
  assert.deepEqual(
    resyncs.map((r) => [r.agent_id, r.missed]),
    [
      ['a', 5],
      ['b', 1],
    ],
  );
  assert.deepEqual((resyncs[0]!.snapshot as AgentStreamSnapshotT).context, 'fresh a');
  assert.deepEqual(sub.lastSent.get('a'), snap('a', 'fresh a'), 'later diffs start from the RESYNC snapshot');
  assert.deepEqual(out.sent.at(-1), { message_type: 'STREAM_EVENT', agent_id: 'c', n: 0, seq: 0 });
  assert.equal(sub.missedTotal, 6);
  assert.equal(sub.resyncPending('a'), false);
});

test('frames go out in order with a per-agent seq, and what a busy sink left waiting goes at the next drain', () => {
  const out = sink();
  const sub = new Subscriber('s', out, 10);
  sub.enqueue('a', { message_type: 'SNAPSHOT', agent_id: 'a' });
  sub.enqueue('b', { message_type: 'SNAPSHOT', agent_id: 'b' });
  sub.enqueue('a', { message_type: 'DIFF', agent_id: 'a' });
  assert.equal(sub.drain((id) => snap(id, null)), true);
  assert.deepEqual(out.sent.map((f) => `${f.agent_id}:${f.message_type}:${f.seq}`), ['a:SNAPSHOT:0', 'b:SNAPSHOT:0', 'a:DIFF:1']);
});

test('property: the first SNAPSHOT with every DIFF applied equals the final snapshot, and no DIFF comes without a change', async () => {
  const hub = new Hub({ port: 0, streamDiffIntervalMs: 3_600_000 });
  const streams = hub.agentStreams;
  // no "__proto__" keys: the hub refuses them at its boundary (an AGENT_CONTEXT with one gets an ERROR, tested in
  // integration/agentStreams.test.ts) because no JSON Patch applier accepts the path
  const context = fc.oneof(
    fc.constant(null),
    fc.record({ model: fc.constantFrom('m1', 'm2', 'm3'), tools: fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }), extra: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: ['model'] }),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const steps = fc.array(fc.record({ context: context.filter((v) => !JSON.stringify(v ?? null).includes('"__proto__":')), flush: fc.boolean() }), { minLength: 1, maxLength: 30 });
  let run = 0;
  await fc.assert(
    fc.asyncProperty(steps, async (changes) => {
      const agentId = `agent_prop${++run}`;
      const frames: Envelope[] = [];
      const off = streams.subscribe(agentId, (f) => frames.push(f));
      let changed = 0;
      let last: unknown = null;
      for (const step of changes) {
        const value = JSON.parse(JSON.stringify(step.context)) as unknown;
        if (JSON.stringify(value) !== JSON.stringify(last)) changed++;
        last = value;
        streams.setContext(agentId, value);
        if (step.flush) streams.flushDiffs();
      }
      streams.flushDiffs();
      await new Promise((r) => setImmediate(r));
      off();
      assert.equal(frames[0]!.message_type, 'SNAPSHOT');
      const state = deepClone({ agent_id: frames[0]!.agent_id, agent: frames[0]!.agent, context: frames[0]!.context, pending_approvals: frames[0]!.pending_approvals }) as Record<string, unknown>;
      const diffs = frames.slice(1);
      assert.ok(diffs.every((d) => d.message_type === 'DIFF'));
      for (const d of diffs) applyPatch(state, deepClone(d.patch) as Operation[]);
      assert.deepEqual(state, JSON.parse(JSON.stringify(streams.snapshot(agentId))));
      assert.ok(diffs.length <= changed, `${diffs.length} diffs for ${changed} changes`);
      if (changed === 0) assert.equal(diffs.length, 0);
    }),
    { numRuns: 150 },
  );
  hub.dispose();
});
