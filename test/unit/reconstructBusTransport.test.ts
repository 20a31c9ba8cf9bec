// The seed 002 carrier over a Bus, on the in-process MemoryBus: fan-out to every peer, answers kept to their
// requester's channel, and whatever else anybody publishes on those channels refused and counted, never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from '../../src/bus/memoryBus';
import type { Envelope } from '../../src/protocol/schemas';
import type { RequestContextMsg } from '../../src/protocol/contextSchemas';
import { BusContextTransport, type ContextChannels } from '../../src/reconstruction/busContextTransport';
import { Reconstructor } from '../../src/reconstruction/reconstructor';

const channels: ContextChannels = { request: 'ctx.req', response: (id) => `ctx.resp.${id}` };

function answer(req: RequestContextMsg, responder: string, extra: Record<string, unknown> = {}): Envelope {
  return { message_type: 'PROVIDE_CONTEXT', request_id: req.request_id, responder_id: responder, failed_agent_id: req.failed_agent_id, interactions: [], ...extra };
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

test('bus context: every peer sees every request (a group each) and answers reach only the requester that asked', async () => {
  const bus = new MemoryBus();
  const a = new BusContextTransport({ bus, channels, requesterId: 'rec-a' });
  const b = new BusContextTransport({ bus, channels, requesterId: 'rec-b' });
  const peers = new BusContextTransport({ bus, channels });
  const seen: string[] = [];
  for (const p of ['p1', 'p2']) {
    await peers.serve(p, (req, reply) => {
      seen.push(`${p}:${req.requester_id}`);
      return reply(answer(req, p, { memory_state: { by: p } }));
    });
  }
  const recA = new Reconstructor({ transport: a });
  const recB = new Reconstructor({ transport: b });
  try {
    const [ra, rb] = await Promise.all([
      recA.reconstruct('agent_gone1', { timeoutMs: 5000, expectedPeers: ['p1', 'p2'] }),
      recB.reconstruct('agent_gone2', { timeoutMs: 5000, expectedPeers: ['p1', 'p2'] }),
    ]);
    assert.equal(ra.finished, 'all_answered');
    assert.equal(rb.finished, 'all_answered');
    assert.equal(ra.transport, 'memory', 'the bus that carried it names the transport');
    assert.deepEqual([...ra.peers_answered].sort(), ['p1', 'p2']);
    assert.deepEqual([...rb.peers_answered].sort(), ['p1', 'p2']);
    assert.deepEqual(ra.memory_states, { p1: { by: 'p1' }, p2: { by: 'p2' } });
    assert.deepEqual(seen.sort(), ['p1:rec-a', 'p1:rec-b', 'p2:rec-a', 'p2:rec-b']);
    assert.equal(recA.stats().stray_answers + recB.stats().stray_answers, 0, 'no answer crossed to the other requester');
  } finally {
    await recA.close();
    await recB.close();
    await peers.close();
  }
  assert.equal(bus.state, 'up', 'closing a transport leaves the bus to its owner');
  await bus.close();
});

test('bus context: the request names its response channel in reply_to, for seed peers that answer there', async () => {
  const bus = new MemoryBus();
  const rec = new Reconstructor({ transport: new BusContextTransport({ bus, channels, requesterId: 'rec-r' }) });
  const got: Envelope[] = [];
  await bus.subscribe(channels.request, (m) => {
    got.push(m);
    void bus.publish(String(m.reply_to), { message_type: 'PROVIDE_CONTEXT', responder_id: 'seed', failed_agent_id: m.failed_agent_id, interactions: [] });
  });
  try {
    const r = await rec.reconstruct('agent_gone3', { timeoutMs: 5000, expectedPeers: ['seed'] });
    assert.equal(got[0]!.reply_to, 'ctx.resp.rec-r');
    assert.equal(got[0]!.requester_id, 'rec-r');
    assert.equal(r.finished, 'all_answered', 'a seed answer without request_id is matched by its failed agent');
    assert.deepEqual(r.peers_answered, ['seed']);
  } finally {
    await rec.close();
    await bus.close();
  }
});

test('bus context: a malformed or foreign message on the request channel is refused and counted; the peer carries on', async () => {
  const bus = new MemoryBus();
  const peers = new BusContextTransport({ bus, channels });
  const handled: string[] = [];
  await peers.serve('p1', (req) => {
    handled.push(req.request_id ?? '?');
  });
  try {
    await bus.publish(channels.request, { message_type: 'REQUEST_CONTEXT', request_id: 'r1' }); // no requester, no failed agent
    await bus.publish(channels.request, { message_type: 'REQUEST_CONTEXT', request_id: 'r2', requester_id: 'x', failed_agent_id: { not: 'a string' } });
    await bus.publish(channels.request, { message_type: 'TEXT', text_payload: 'wrong channel' });
    await bus.publish(channels.request, { message_type: 'REQUEST_CONTEXT', request_id: 'r3', requester_id: 'x', failed_agent_id: 'agent_y', time_window_seconds: -5 });
    await bus.publish(channels.request, { message_type: 'REQUEST_CONTEXT', request_id: 'ok', requester_id: 'x', failed_agent_id: 'agent_y' });
    await tick();
    assert.deepEqual(handled, ['ok']);
    assert.deepEqual(peers.stats(), { rejected_requests: 4, stale_requests: 0 });
  } finally {
    await peers.close();
    await bus.close();
  }
});

test('bus context: a handler that throws or a reply that fails is logged, and the next request is still served', async () => {
  const bus = new MemoryBus();
  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {}, child: () => logger };
  const peers = new BusContextTransport({ bus, channels, logger });
  let n = 0;
  await peers.serve('p1', (req, reply) => {
    n++;
    if (req.request_id === 'boom') throw new Error('handler bug');
    if (req.request_id === 'cycle') {
      const cyclic: Record<string, unknown> = { message_type: 'PROVIDE_CONTEXT' };
      cyclic.self = cyclic;
      return reply(cyclic);
    }
  });
  try {
    for (const id of ['boom', 'cycle', 'fine']) {
      await bus.publish(channels.request, { message_type: 'REQUEST_CONTEXT', request_id: id, requester_id: 'x', failed_agent_id: 'agent_y' });
    }
    await tick();
    await tick();
    assert.equal(n, 3);
    assert.equal(warnings.filter((w) => /boom/.test(w)).length, 1, warnings.join('\n'));
  } finally {
    await peers.close();
    await bus.close();
  }
});

test('bus context: requests sent before a peer started, beyond the stale limit, are skipped', async () => {
  const bus = new MemoryBus();
  const peers = new BusContextTransport({ bus, channels, peerStaleMs: 1000 });
  const handled: string[] = [];
  await peers.serve('p1', (req) => {
    handled.push(req.request_id ?? '?');
  });
  try {
    const old = new Date(Date.now() - 60_000).toISOString();
    await bus.publish(channels.request, { message_type: 'REQUEST_CONTEXT', request_id: 'old', requester_id: 'x', failed_agent_id: 'agent_y', send_timestamp: old });
    await bus.publish(channels.request, { message_type: 'REQUEST_CONTEXT', request_id: 'new', requester_id: 'x', failed_agent_id: 'agent_y', send_timestamp: new Date().toISOString() });
    await bus.publish(channels.request, { message_type: 'REQUEST_CONTEXT', request_id: 'undated', requester_id: 'x', failed_agent_id: 'agent_y' });
    await tick();
    assert.deepEqual(handled, ['new', 'undated']);
    assert.equal(peers.stats().stale_requests, 1);
  } finally {
    await peers.close();
    await bus.close();
  }
});

test('bus context: malformed answers on the response channel are rejected and reported; the good one is kept', async () => {
  const bus = new MemoryBus();
  const rec = new Reconstructor({ transport: new BusContextTransport({ bus, channels, requesterId: 'rec-m' }), settings: { maxAnswerBytes: 1024 } });
  const peers = new BusContextTransport({ bus, channels });
  await peers.serve('good', (req, reply) => reply(answer(req, 'good', { memory_state: { ok: 1 } })));
  await peers.serve('bad', (req, reply) => reply(answer(req, 'bad', { interactions: { no: 'list' } })));
  await peers.serve('huge', (req, reply) => reply(answer(req, 'huge', { memory_state: 'x'.repeat(2048) })));
  try {
    const r = await rec.reconstruct('agent_gone4', { timeoutMs: 5000, expectedPeers: ['good', 'bad', 'huge'] });
    assert.equal(r.finished, 'all_answered', 'rejected peers have responded: nobody waits for them');
    assert.deepEqual(r.peers_answered, ['good']);
    assert.deepEqual(r.rejected_answers.map((x) => x.responder_id).sort(), ['bad', 'huge']);
    assert.match(r.rejected_answers.find((x) => x.responder_id === 'bad')!.reason, /interactions/);
    assert.match(r.rejected_answers.find((x) => x.responder_id === 'huge')!.reason, /over the cap/);
    assert.deepEqual(r.memory_states, { good: { ok: 1 } });
  } finally {
    await rec.close();
    await peers.close();
    await bus.close();
  }
});

test('bus context: close() ends every subscription it made; the transport then refuses work, the bus stays up', async () => {
  const bus = new MemoryBus();
  const t = new BusContextTransport({ bus, channels, requesterId: 'rec-c' });
  const answers: unknown[] = [];
  await t.open({ answer: (raw) => answers.push(raw), rejected: () => undefined });
  let served = 0;
  await t.serve('p1', () => {
    served++;
  });
  await t.close();
  await t.close();
  await bus.publish(channels.request, { message_type: 'REQUEST_CONTEXT', requester_id: 'x', failed_agent_id: 'agent_y' });
  await bus.publish(t.responseChannel, { message_type: 'PROVIDE_CONTEXT', responder_id: 'p', failed_agent_id: 'agent_y', interactions: [] });
  await tick();
  assert.equal(served, 0);
  assert.equal(answers.length, 0);
  await assert.rejects(t.send({ message_type: 'REQUEST_CONTEXT', requester_id: 'rec-c', failed_agent_id: 'agent_y' }), { code: 'shutdown' });
  await assert.rejects(t.serve('p2', () => undefined), { code: 'shutdown' });
  assert.equal(bus.state, 'up');
  await bus.close();
});

test('bus context: a bus that refuses the request surfaces as a retriable bus_down error naming the step', async () => {
  const bus = new MemoryBus();
  const t = new BusContextTransport({ bus, channels });
  await bus.close();
  await assert.rejects(t.send({ message_type: 'REQUEST_CONTEXT', requester_id: t.requesterId, failed_agent_id: 'agent_y' }), (err: unknown) => {
    const e = err as { code?: string; retriable?: boolean; message: string };
    assert.equal(e.code, 'bus_down');
    assert.equal(e.retriable, true);
    assert.match(e.message, /publishing the request/);
    return true;
  });
});

test('a request still being published when the timeout passes: the result comes on time and lists the online peers as silent', async () => {
  const bus = new MemoryBus();
  const inner = new BusContextTransport({ bus, channels, requesterId: 'rec-slow' });
  // a bus that holds the publish (a broker still starting) longer than the reconstruction may take
  const slowSend: typeof inner.send = (req) => new Promise((resolve) => setTimeout(() => resolve(inner.send(req)), 1000));
  const transport = Object.assign(Object.create(inner) as BusContextTransport, { send: slowSend });
  const source = { logEntries: () => [], agent: () => undefined, onlineAgents: () => ['agent_p1', 'agent_p2', 'agent_gone5', 'agent_new'] };
  const rec = new Reconstructor({ transport, source });
  try {
    const r = await rec.reconstruct('agent_gone5', { timeoutMs: 100, excludePeers: ['agent_new'] });
    assert.equal(r.finished, 'timeout');
    assert.ok(r.duration_ms < 900, `the caller waited ${r.duration_ms} ms for a send the 100 ms timeout had outlived`);
    assert.deepEqual(r.peer_agents_queried, ['agent_p1', 'agent_p2']);
    assert.deepEqual(r.peers_silent, ['agent_p1', 'agent_p2']);
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 1050));
    await rec.close();
    await bus.close();
  }
});

test('a peer answers on the response channel of the requester_id, whatever queue a forged reply_to names', async () => {
  const bus = new MemoryBus();
  const peers = new BusContextTransport({ bus, channels });
  await peers.serve('p1', (req, reply) => reply(answer(req, 'p1')));
  const got: string[] = [];
  await bus.subscribe('agent_queue_agent_victim', () => void got.push('victim'));
  await bus.subscribe(channels.response('rec-x'), () => void got.push('requester'));
  try {
    await bus.publish(channels.request, { message_type: 'REQUEST_CONTEXT', request_id: 'r', requester_id: 'rec-x', failed_agent_id: 'agent_y', reply_to: 'agent_queue_agent_victim' });
    await tick();
    await tick();
    assert.deepEqual(got, ['requester']);
  } finally {
    await peers.close();
    await bus.close();
  }
});
