// The plain-text reconstruction report (the CLI prints it): given names, it shows each agent as "name (id)", so a
// restarted "coder" among the peers of the failed "coder" cannot be taken for it; without names, ids as before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReconstructionT } from '../../src/protocol/contextSchemas';
import { formatReconstruction } from '../../src/reconstruction/reconstructionReport';

const OLD = 'agent_ebd1c6fd';
const NEW = 'agent_77aa0000';

const r: ReconstructionT = {
  request_id: 'req_text',
  failed_agent_id: OLD,
  thread_id: null,
  transport: 'hub',
  started_at: '2026-11-23T19:00:10.000Z',
  duration_ms: 100,
  finished: 'timeout',
  timeout_ms: 5000,
  peer_agents_queried: [NEW],
  peers_answered: [],
  peers_silent: [NEW],
  duplicate_answers: 0,
  rejected_answers: [],
  timeline: [
    {
      message_id: 'm1',
      time: '2026-11-23T19:00:00.000Z',
      message_type: 'TEXT',
      sender_id: 'web_person',
      receiver_id: OLD,
      text_payload: 'fix the parser',
      thread_id: null,
      in_reply_to_message_id: null,
      sources: ['hub'],
    },
  ],
  last_status: null,
  last_seen: null,
  unanswered_messages: [],
  undelivered_messages: [],
  memory_states: { [NEW]: { task: 'none' } },
  timeline_dropped: 0,
};

test('with names, the failed agent and a same-named peer read as name and id, apart', () => {
  const names: Record<string, string> = { [OLD]: 'coder', [NEW]: 'coder' };
  const text = formatReconstruction(r, (id) => names[id]);
  assert.match(text, /^Reconstruction of coder \(agent_ebd1c6fd\) — timed out/);
  assert.match(text, /silent: coder \(agent_77aa0000\)/);
  assert.match(text, /web_person → coder \(agent_ebd1c6fd\): fix the parser/);
  assert.match(text, /^ {2}coder \(agent_77aa0000\): \{"task":"none"\}$/m);
});

test('without names the report shows ids, as the CLI prints it today', () => {
  const text = formatReconstruction(r);
  assert.match(text, /^Reconstruction of agent_ebd1c6fd — /);
  assert.match(text, /silent: agent_77aa0000/);
});
