// `switchboard reconstruct`'s progress line: answers only grow, and no total is claimed before the peer set is known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressCounter } from '../../src/cli/reconstruct';
import { Reconstructor } from '../../src/reconstruction/reconstructor';
import type { AnswerSink, ContextTransport } from '../../src/reconstruction/contextTransport';

test('fast answers before the peer set is known, then the set: the count never goes back, nor claims a total it lacks', () => {
  const line = progressCounter();
  // what the Reconstructor reported in a run where two peers answered before the hub said it had reached three
  const seen = [
    line({ answered: 1, queried: 1, responder_id: 'agent_a' }),
    line({ answered: 2, queried: 2, responder_id: 'agent_b' }),
    line({ answered: 0, queried: 3, responder_id: null }),
    line({ answered: 3, queried: 3, responder_id: 'agent_c' }),
  ];
  assert.deepEqual(seen, ['1 peer answered so far…', '2 peers answered so far…', '2 of 3 peers answered…', '3 of 3 peers answered…']);
});

test('the usual order (peer set first) counts up against it', () => {
  const line = progressCounter();
  assert.equal(line({ answered: 0, queried: 2, responder_id: null }), '0 of 2 peers answered…');
  assert.equal(line({ answered: 1, queried: 2, responder_id: 'agent_a' }), '1 of 2 peers answered…');
  assert.equal(line({ answered: 2, queried: 2, responder_id: 'agent_b' }), '2 of 2 peers answered…');
});

test('the Reconstructor reports the answers that came before the send resolved, not a fresh 0', async () => {
  // a transport whose peers answer before it knows whom it reached (a hub relay under load does this)
  let sink: AnswerSink | undefined;
  const transport: ContextTransport = {
    kind: 'hub',
    requesterId: 'rec-progress',
    open: async (s) => {
      sink = s;
    },
    send: async (req) => {
      const answer = { message_type: 'PROVIDE_CONTEXT', request_id: req.request_id, responder_id: 'agent_fast', failed_agent_id: req.failed_agent_id, interactions: [] };
      sink!.answer(answer, JSON.stringify(answer).length);
      return ['agent_fast', 'agent_slow'];
    },
    close: async () => undefined,
  };
  const events: Array<{ answered: number; queried: number; responder_id: string | null }> = [];
  const rec = new Reconstructor({ transport, settings: { timeoutMs: 200 } });
  await rec.reconstruct('agent_dead', { onProgress: (p) => events.push({ answered: p.answered, queried: p.queried, responder_id: p.responder_id }) });
  await rec.close();
  const afterSend = events.find((e) => e.responder_id === null);
  assert.ok(afterSend, `a progress event once the peer set was known (${JSON.stringify(events)})`);
  assert.deepEqual(afterSend, { answered: 1, queried: 2, responder_id: null }, 'the fast answer still counts once the peer set is known');
  const answered = events.map((e) => e.answered);
  assert.deepEqual([...answered].sort((a, b) => a - b), answered, `the answered count never goes back (${JSON.stringify(events)})`);
});
