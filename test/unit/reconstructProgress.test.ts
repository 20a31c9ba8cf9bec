// `switchboard reconstruct`'s progress line: answers only grow, and no total is claimed before the peer set is known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressCounter } from '../../src/cli/reconstruct';

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
