// Reconstruction reports name agents apart: in the monitor as the table and the tree do (where a name repeats — a
// restarted "coder" beside the failed one — each carries its short id), and in the CLI's text as "name (id)".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReconstructionT } from '../../src/protocol/contextSchemas';
import { HostNotification, type MonitorAgent } from '../../src/protocol/webviewMessages';
import { HUB_USER_ID, HUB_USER_NAME } from '../../src/protocol/messageTypes';
import { MonitorModel } from '../../src/webview/monitorModel';
import { buildReconstructionReport } from '../../src/webview/reconstructionModel';
import { formatReconstruction } from '../../src/reconstruction/reconstructionReport';

const OLD = 'agent_ebd1c6fd';
const NEW = 'agent_77aa0000';
const PLANNER = 'agent_12345678';

function agent(agent_id: string, agent_name: string, online: boolean): MonitorAgent {
  return { agent_id, agent_name, status: online ? 'online' : 'offline', is_online: online, last_seen: null };
}

function reconstruction(): ReconstructionT {
  return {
    request_id: 'req_names',
    failed_agent_id: OLD,
    thread_id: null,
    transport: 'hub',
    started_at: '2026-11-23T19:00:10.000Z',
    duration_ms: 100,
    finished: 'timeout',
    timeout_ms: 5000,
    peer_agents_queried: [NEW, PLANNER],
    peers_answered: [PLANNER],
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
}

test('a report whose peer shares the failed agent’s name tells them apart by id suffix', () => {
  const m = new MonitorModel(10);
  m.apply({ type: HostNotification.Agents, agents: [agent(OLD, 'coder', false), agent(NEW, 'coder', true), agent(PLANNER, 'planner', true)], full: true });
  const r = buildReconstructionReport(reconstruction(), Date.parse('2026-11-23T19:00:17.000Z'), (id) => m.knownName(id));
  assert.equal(r.title, 'Reconstruction of coder (ebd1)');
  assert.deepEqual(
    r.peers.map((p) => p.name),
    ['planner', 'coder (77aa)'],
  );
  assert.match(r.memories[0]!.label, /^coder \(77aa\)/);
  assert.equal(m.knownName('agent_unknown'), undefined, 'unknown ids fall back to the id in the report');
});

test('the person is "You" in the table’s From/To cells and keeps the full name elsewhere', () => {
  const m = new MonitorModel(10);
  assert.equal(m.columnName(HUB_USER_ID), 'You');
  assert.equal(m.displayName(HUB_USER_ID), HUB_USER_NAME);
  m.apply({ type: HostNotification.Agents, agents: [agent(OLD, 'coder', true)], full: true });
  assert.equal(m.columnName(OLD), 'coder');
});

test('the text report, given names, shows the failed agent and a same-named peer as name and id, apart', () => {
  const names: Record<string, string> = { [OLD]: 'coder', [NEW]: 'coder' };
  const text = formatReconstruction(reconstruction(), (id) => names[id]);
  assert.match(text, /^Reconstruction of coder \(agent_ebd1c6fd\) — timed out/);
  assert.match(text, /silent: coder \(agent_77aa0000\)/);
  assert.match(text, /web_person → coder \(agent_ebd1c6fd\): fix the parser/);
  assert.match(text, /^ {2}coder \(agent_77aa0000\): \{"task":"none"\}$/m);
});

test('the text report without names shows ids, as the CLI prints it today', () => {
  const text = formatReconstruction(reconstruction());
  assert.match(text, /^Reconstruction of agent_ebd1c6fd — /);
  assert.match(text, /silent: agent_77aa0000/);
});
