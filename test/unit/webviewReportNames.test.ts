// The reconstruction report in the monitor names agents as the table and the tree do: where a name repeats (a
// restarted "coder" beside the failed one), each carries its short id, so the peer list cannot confuse them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReconstructionT } from '../../src/protocol/contextSchemas';
import { HostNotification, type MonitorAgent } from '../../src/protocol/webviewMessages';
import { HUB_USER_ID, HUB_USER_NAME } from '../../src/protocol/messageTypes';
import { MonitorModel } from '../../src/webview/monitorModel';
import { buildReconstructionReport } from '../../src/webview/reconstructionModel';

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
    timeline: [],
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
