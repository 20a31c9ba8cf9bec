// Context reconstruction through the hub's own relay (memory bus, WebSocket peers): the seed 002 behaviours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReconstructionT } from '../../src/protocol/contextSchemas';
import { scenarioTests, world, conversation, kill } from './reconstructScenario';
import { connect, frontend, waitUntil } from './hubHarness';
import { AgentClient } from '../../src/sdk/agentClient';

scenarioTests('hub relay', async () => ({ carrier: 'hub' }), { wsMalformed: true });

test('hub relay: an agent that comes back under its own id with restore_from = that id learns what it owed', async () => {
  const w = await world({ carrier: 'hub' });
  try {
    const { worker, todoId } = await conversation(w);
    const failed = await kill(w, worker);
    const back = await w.sdk('worker', { restoreFrom: failed, agentId: failed });
    const r = await new Promise<ReconstructionT>((resolve) => back.onRestore((x) => resolve(x)));
    assert.equal(back.id, failed);
    assert.deepEqual(r.unanswered_messages.map((e) => e.message_id), [todoId]);
  } finally {
    await w.close();
  }
});

test('hub relay: an unregistered socket cannot make the agents answer it; a registered front-end gets an ack and the answers', async () => {
  const w = await world({ carrier: 'hub' });
  try {
    const peer = await w.sdk('peer');
    const stranger = await connect(w.hub);
    stranger.send({ message_type: 'REQUEST_CONTEXT', request_id: 'r_x', requester_id: 'me', failed_agent_id: 'agent_gone' });
    const err = await stranger.waitType('ERROR');
    assert.equal(err.code, 'not_registered');
    const ui = await frontend(w.hub);
    ui.c.send({ message_type: 'REQUEST_CONTEXT', request_id: 'r_y', requester_id: 'ignored', failed_agent_id: 'agent_gone', time_window_seconds: 60 });
    const ack = await ui.c.waitType('REQUEST_CONTEXT_ACK');
    assert.deepEqual(ack.peer_agents_queried, [peer.id]);
    const answer = await ui.c.waitType('PROVIDE_CONTEXT');
    assert.equal(answer.request_id, 'r_y');
    assert.equal(answer.responder_id, peer.id);
    assert.equal(answer.receiver_id, ui.id, 'answers go to the connection that asked, whatever requester_id it claimed');
    assert.equal(w.hub.log.query({ message_type: 'REQUEST_CONTEXT' }).filter((e) => e.direction === 'out' && e.body.request_id === 'r_x').length, 0);
    await stranger.close();
    await ui.c.close();
  } finally {
    await w.close();
  }
});

test('hub relay: with restoreOnReconnect an agent that crashed and came back is told what it owed (as the demo agents are)', async () => {
  const w = await world({ carrier: 'hub' });
  try {
    const worker = await w.sdk('worker');
    const peer = await w.sdk('peer');
    const back = new AgentClient({ url: w.hub.agentUrl, name: 'crashy', restoreOnReconnect: true, reconnect: { initialMs: 20, maxMs: 50 } });
    try {
      await back.connect();
      const owed = await peer.send(back.id!, 'todo: owed after the crash');
      await waitUntil(() => back.context.size === 1, 5000, 'the message to arrive');
      const restored = new Promise<ReconstructionT>((resolve) => back.onRestore((r) => resolve(r)));
      back.simulateCrash(100);
      const r = await restored;
      assert.equal(r.failed_agent_id, back.id);
      assert.deepEqual(r.unanswered_messages.map((e) => e.message_id), [owed]);
      assert.ok(r.peers_answered.includes(peer.id!) && r.peers_answered.includes(worker.id!));
    } finally {
      await back.close();
    }
  } finally {
    await w.close();
  }
});
