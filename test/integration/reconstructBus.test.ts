// Context reconstruction over a shared bus (the in-process MemoryBus standing in for a broker): the seed 002 channels
// carried by the hub's bus, a gateway per hub relaying the requests to its WebSocket agents, and the choice of carrier
// made by what the bus can do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from '../../src/bus/memoryBus';
import { contextRequestChannel, contextResponseChannel } from '../../src/bus/contextChannels';
import { AgentClient } from '../../src/sdk/agentClient';
import { HubReconstruction } from '../../src/reconstruction/hubReconstruction';
import { scenarioTests, world } from './reconstructScenario';
import { startHub } from './hubHarness';

scenarioTests('shared memory bus', async () => ({ carrier: 'auto', makeBus: () => new MemoryBus() }));

test('carrier auto: a hub on its private bus asks through its own relay, a hub on a shared bus asks over the bus', async () => {
  for (const [makeBus, expected] of [
    [undefined, 'hub'],
    [() => new MemoryBus(), 'memory'],
  ] as const) {
    const w = await world({ carrier: 'auto', ...(makeBus ? { makeBus } : {}) });
    try {
      const peer = await w.sdk('peer');
      const r = await w.rec.reconstruct('agent_gone0001', { timeoutMs: 10_000 });
      assert.equal(r.transport, expected);
      assert.equal(r.finished, 'all_answered');
      assert.deepEqual(r.peers_answered, [peer.id]);
    } finally {
      await w.close();
    }
  }
});

test('carrier bus on a private bus still works: the hub relays the requests it reads from its own bus', async () => {
  const w = await world({ carrier: 'bus' });
  try {
    const peer = await w.sdk('peer');
    const r = await w.rec.reconstruct('agent_gone0002', { timeoutMs: 10_000 });
    assert.equal(r.transport, 'memory');
    assert.equal(r.finished, 'all_answered');
    assert.deepEqual(r.peers_answered, [peer.id]);
  } finally {
    await w.close();
  }
});

test('two hubs on one bus: a reconstruction started on one hears the agents of the other through its gateway', async () => {
  const bus = new MemoryBus();
  const hubA = await startHub({}, { bus });
  const hubB = await startHub({}, { bus });
  const recA = await HubReconstruction.attach(hubA);
  const recB = await HubReconstruction.attach(hubB);
  const onA = new AgentClient({ url: hubA.agentUrl, name: 'on-a', reconnect: false });
  const onB = new AgentClient({ url: hubB.agentUrl, name: 'on-b', reconnect: false });
  try {
    await onA.connect();
    await onB.connect();
    const r = await recA.reconstruct('agent_gone0003', { timeoutMs: 10_000, expectedPeers: [onA.id!, onB.id!] });
    assert.equal(r.finished, 'all_answered');
    assert.deepEqual([...r.peers_answered].sort(), [onA.id, onB.id].sort());
    assert.equal(r.duplicate_answers, 0, "each hub relays to its own agents only: nobody answers twice");
  } finally {
    await onA.close();
    await onB.close();
    await recA.close();
    await recB.close();
    for (const h of [hubA, hubB]) {
      await h.stop();
      h.dispose();
    }
    await bus.close();
  }
});

test('garbage published on the context channels of a shared bus is refused; the hub and its reconstruction carry on', async () => {
  const w = await world({ carrier: 'auto', makeBus: () => new MemoryBus() });
  try {
    const peer = await w.sdk('peer');
    const bus = w.hub.activeBus!;
    await bus.publish(contextRequestChannel(), { message_type: 'REQUEST_CONTEXT', requester_id: 42 });
    await bus.publish(contextRequestChannel(), { message_type: 'PROVIDE_CONTEXT', responder_id: 'x' });
    await bus.publish(contextResponseChannel(w.rec.reconstructor.requesterId), { message_type: 'PROVIDE_CONTEXT', interactions: 'nope' });
    const r = await w.rec.reconstruct('agent_gone0004', { timeoutMs: 10_000 });
    assert.equal(r.finished, 'all_answered');
    assert.deepEqual(r.peers_answered, [peer.id]);
    assert.deepEqual(r.rejected_answers, []);
    assert.equal(w.rec.reconstructor.stats().stray_answers, 1, 'the unattributable answer outside any reconstruction is only counted');
  } finally {
    await w.close();
  }
});
