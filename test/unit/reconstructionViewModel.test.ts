// The monitor's reconstruction report view model (src/webview/reconstructionModel.ts) and the reconstruction messages
// between the monitor and its host: what the report shows is right without a DOM or VS Code; and when the extension
// offers a reconstruction on its own (an agent dropped), and what "Summarise" would send to a language model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReconstructionT, TimelineEntryT } from '../../src/protocol/contextSchemas';
import {
  buildReconstructionReport,
  formatDuration,
  formatLastSeen,
  MAX_REPORT_ROWS,
  MEMORY_TEXT_MAX,
  ROW_TEXT_MAX,
} from '../../src/webview/reconstructionModel';
import { DropDetector } from '../../src/extension/reconstructOffer';
import { buildSummaryPrompt } from '../../src/extension/reconstructPrompt';
import { HostNotification, parseHostNotification, parseWebviewCommand, WebviewCommand } from '../../src/protocol/webviewMessages';

function entry(id: string, from: string, to: string, text: string | null, extra: Partial<TimelineEntryT> = {}): TimelineEntryT {
  return {
    message_id: id,
    time: '2026-11-23T19:00:00.000Z',
    message_type: 'TEXT',
    sender_id: from,
    receiver_id: to,
    text_payload: text,
    thread_id: null,
    in_reply_to_message_id: null,
    sources: ['hub'],
    ...extra,
  };
}

function reconstruction(over: Partial<ReconstructionT> = {}): ReconstructionT {
  const asked = entry('m1', 'planner', 'coder', 'please write the parser');
  const answered = entry('m2', 'tester', 'coder', 'run the tests', { time: '2026-11-23T19:00:01.000Z', sources: ['hub', 'tester'] });
  const reply = entry('m3', 'coder', 'tester', 'all green', { message_type: 'REPLY', in_reply_to_message_id: 'm2', time: '2026-11-23T19:00:02.000Z' });
  return {
    request_id: 'req_1',
    failed_agent_id: 'coder',
    thread_id: null,
    transport: 'hub',
    started_at: '2026-11-23T19:00:10.000Z',
    duration_ms: 1234,
    finished: 'timeout',
    timeout_ms: 5000,
    peer_agents_queried: ['planner', 'tester', 'silent-one'],
    peers_answered: ['planner', 'tester'],
    peers_silent: ['silent-one'],
    duplicate_answers: 0,
    rejected_answers: [{ responder_id: 'bad-peer', reason: 'not a PROVIDE_CONTEXT' }],
    timeline: [asked, answered, reply],
    last_status: 'writing the parser',
    last_seen: '2026-11-23T19:00:05.000Z',
    unanswered_messages: [asked],
    undelivered_messages: [],
    memory_states: { planner: { task: 'parser', step: 2 } },
    timeline_dropped: 0,
    ...over,
  };
}

test('the report header gives the failed agent, outcome, duration and the peers queried, answered and silent', () => {
  const r = buildReconstructionReport(reconstruction(), Date.parse('2026-11-23T19:00:17.000Z'));
  assert.equal(r.id, 'req_1');
  assert.equal(r.failedAgent, 'coder');
  assert.equal(r.title, 'Reconstruction of coder');
  assert.equal(r.outcome, 'timed out after 5.0 s');
  assert.equal(r.duration, '1.2 s');
  assert.deepEqual([r.queried, r.answered, r.silent], [3, 2, 1]);
  assert.deepEqual(r.peers, [
    { agent_id: 'planner', name: 'planner', state: 'answered' },
    { agent_id: 'tester', name: 'tester', state: 'answered' },
    { agent_id: 'silent-one', name: 'silent-one', state: 'silent' },
  ]);
  assert.equal(r.lastStatus, 'writing the parser');
  assert.equal(r.lastSeen, '12.0 s ago (2026-11-23 19:00:05.000)');
  assert.deepEqual(r.rejected, ['bad-peer: not a PROVIDE_CONTEXT']);
  assert.equal(r.headline, 'coder: 2 of 3 peers answered, 1 unanswered message (timed out after 5.0 s, 1.2 s)');
});

test('unanswered messages are listed and highlighted in the timeline; the agent\'s own messages are marked outgoing', () => {
  const r = buildReconstructionReport(reconstruction());
  assert.deepEqual(r.unanswered.map((x) => [x.message_id, x.text, x.mark]), [['m1', 'please write the parser', 'unanswered']]);
  assert.deepEqual(r.timeline.map((x) => [x.message_id, x.mark]), [['m1', 'unanswered'], ['m2', 'none'], ['m3', 'none']]);
  const reply = r.timeline[2]!;
  assert.equal(reply.outgoing, true);
  assert.equal(reply.reply_to, 'm2');
  assert.equal(reply.from, 'coder');
  assert.equal(r.timeline[1]!.sources, 'hub, tester');
  assert.equal(r.timeline[0]!.time, '19:00:00.000');
  assert.equal(r.timeline[0]!.when, '2026-11-23 19:00:00.000');
});

test('agents the monitor knows by name are shown by name, with their ids kept', () => {
  const names: Record<string, string> = { coder: 'Coder Bot', planner: 'Planner' };
  const r = buildReconstructionReport(reconstruction(), 0, (id) => names[id]);
  assert.equal(r.title, 'Reconstruction of Coder Bot');
  assert.equal(r.failedAgent, 'Coder Bot (coder)');
  const first = r.timeline[0]!;
  assert.deepEqual([first.from, first.to, first.fromId, first.toId], ['Planner', 'Coder Bot', 'planner', 'coder']);
  // an agent the monitor has not seen keeps its id
  assert.equal(r.timeline[1]!.from, 'tester');
  assert.equal(r.peers[0]!.name, 'Planner');
  assert.equal(r.memories[0]!.label, 'Planner (planner)');
  assert.equal(r.timeline[1]!.sources, 'hub, tester');
  assert.match(r.headline, /^Coder Bot: 2 of 3 peers answered/);
});

test('undelivered messages get their own mark, and a payload without text shows as JSON', () => {
  const lost = entry('m9', 'planner', 'coder', null, { payload: { op: 'build', n: 1 } });
  const r = buildReconstructionReport(reconstruction({ timeline: [lost], unanswered_messages: [], undelivered_messages: [lost] }));
  assert.equal(r.timeline[0]!.mark, 'undelivered');
  assert.equal(r.timeline[0]!.text, '{"op":"build","n":1}');
  assert.equal(r.undelivered.length, 1);
  assert.equal(r.unanswered.length, 0);
});

test('memory states come as pretty JSON per peer, long ones cut and flagged', () => {
  const big = { blob: 'x'.repeat(MEMORY_TEXT_MAX * 2) };
  const r = buildReconstructionReport(reconstruction({ memory_states: { planner: { step: 2 }, hoarder: big } }));
  assert.equal(r.memories[0]!.peer, 'planner');
  assert.equal(r.memories[0]!.json, '{\n  "step": 2\n}');
  assert.equal(r.memories[0]!.truncated, false);
  assert.equal(r.memories[1]!.truncated, true);
  assert.equal(r.memories[1]!.json.length, MEMORY_TEXT_MAX);
});

test('the report is bounded: long texts are cut and only the newest rows are drawn, with the rest counted', () => {
  const many = Array.from({ length: MAX_REPORT_ROWS + 7 }, (_, i) => entry(`m${i}`, 'a', 'coder', i === MAX_REPORT_ROWS + 6 ? 'y'.repeat(ROW_TEXT_MAX * 3) : `n${i}`));
  const r = buildReconstructionReport(reconstruction({ timeline: many, timeline_dropped: 3, unanswered_messages: [] }));
  assert.equal(r.timeline.length, MAX_REPORT_ROWS);
  assert.equal(r.timeline[0]!.message_id, 'm7');
  assert.equal(r.timelineOmitted, 10);
  assert.equal(r.timeline.at(-1)!.text.length, ROW_TEXT_MAX);
  assert.ok(r.timeline.at(-1)!.text.endsWith('…'));
});

test('outcomes and times read plainly, whatever the input', () => {
  assert.equal(buildReconstructionReport(reconstruction({ finished: 'all_answered' })).outcome, 'every peer answered');
  assert.equal(buildReconstructionReport(reconstruction({ finished: 'no_peers', peer_agents_queried: [], peers_answered: [], peers_silent: [] })).peers.length, 0);
  assert.equal(buildReconstructionReport(reconstruction({ thread_id: 't-7' })).title, 'Reconstruction of coder (thread t-7)');
  assert.equal(formatDuration(850), '850 ms');
  assert.equal(formatDuration(125_000), '2 min 5 s');
  assert.equal(formatDuration(-1), '—');
  assert.equal(formatLastSeen(null, 0), 'unknown');
  assert.equal(formatLastSeen('yesterday-ish', 0), 'yesterday-ish');
});

test('a reconstruction notification passes the webview\'s check only with the arrays the report reads', () => {
  const ok = parseHostNotification({ type: HostNotification.Reconstruction, reconstruction: reconstruction() });
  assert.equal(ok?.type, HostNotification.Reconstruction);
  const broken = reconstruction() as unknown as Record<string, unknown>;
  delete broken.timeline;
  assert.equal(parseHostNotification({ type: HostNotification.Reconstruction, reconstruction: broken }), undefined);
  assert.equal(parseHostNotification({ type: HostNotification.Reconstruction }), undefined);
});

test('the report buttons reach the host as checked ReconstructionAction commands; unknown actions are refused', () => {
  const cmd = parseWebviewCommand({ type: WebviewCommand.ReconstructionAction, request_id: 'r1', action: 'handOver', reconstruction_id: 'req_1' });
  assert.deepEqual(cmd, { type: 'reconstructionAction', request_id: 'r1', action: 'handOver', reconstruction_id: 'req_1' });
  for (const action of ['copyJson', 'save', 'summarise']) {
    assert.ok(parseWebviewCommand({ type: WebviewCommand.ReconstructionAction, request_id: 'r', action, reconstruction_id: 'x' }));
  }
  assert.equal(parseWebviewCommand({ type: WebviewCommand.ReconstructionAction, request_id: 'r', action: 'rm -rf', reconstruction_id: 'x' }), undefined);
  assert.equal(parseWebviewCommand({ type: WebviewCommand.ReconstructionAction, request_id: 'r', action: 'save' }), undefined);
});

// --- when the extension offers a reconstruction on its own (src/extension/reconstructOffer.ts, no vscode) ---------

test('an agent that goes from online or paused to offline counts as dropped; one first seen offline does not', () => {
  const d = new DropDetector();
  d.reset([
    { agent_id: 'a', status: 'online' },
    { agent_id: 'b', status: 'paused' },
    { agent_id: 'c', status: 'offline' },
  ]);
  assert.deepEqual(d.dropped([{ agent_id: 'a', status: 'online' }]), []);
  const out = d.dropped([
    { agent_id: 'a', status: 'offline' },
    { agent_id: 'b', status: 'offline' },
    { agent_id: 'c', status: 'offline' },
    { agent_id: 'new', status: 'offline' },
  ]);
  assert.deepEqual(out.map((x) => x.agent_id), ['a', 'b']);
  // still offline in the next change: not dropped again; back online then gone again: dropped again
  assert.deepEqual(d.dropped([{ agent_id: 'a', status: 'offline' }]), []);
  d.dropped([{ agent_id: 'a', status: 'online' }]);
  assert.deepEqual(d.dropped([{ agent_id: 'a', status: 'offline' }]).map((x) => x.agent_id), ['a']);
});

test('the drop detector remembers a bounded number of agents, forgetting the oldest', () => {
  const d = new DropDetector(3);
  d.reset(['a', 'b', 'c', 'd'].map((agent_id) => ({ agent_id, status: 'online' })));
  assert.equal(d.size, 3);
  // 'a' was forgotten: its going offline looks like a first sighting
  assert.deepEqual(d.dropped([{ agent_id: 'a', status: 'offline' }]), []);
  assert.deepEqual(d.dropped([{ agent_id: 'd', status: 'offline' }]).map((x) => x.agent_id), ['d']);
});

// --- what Summarise sends (src/extension/reconstructPrompt.ts, no vscode) -------------------------------------------

test('the summary prompt carries the unanswered messages, the timeline and memory states when they fit', () => {
  const p = buildSummaryPrompt(reconstruction());
  assert.deepEqual([p.timelineSent, p.timelineLeftOut, p.unansweredSent, p.memoryStates], [3, 0, 1, 1]);
  assert.match(p.prompt, /what it still owed/);
  const data = JSON.parse(p.prompt.slice(p.prompt.indexOf('{'))) as { timeline: unknown[]; unanswered: { text_payload: string }[] };
  assert.equal(data.timeline.length, 3);
  assert.equal(data.unanswered[0]!.text_payload, 'please write the parser');
});

test('a history too long for the bound keeps the newest timeline entries and says how many were left out', () => {
  const many = Array.from({ length: 400 }, (_, i) => entry(`m${i}`, 'planner', 'coder', `step ${i} ${'z'.repeat(200)}`));
  const p = buildSummaryPrompt(reconstruction({ timeline: many }), 20_000);
  assert.ok(p.prompt.length <= 20_000 + 300, `prompt of ${p.prompt.length} chars`);
  assert.ok(p.timelineSent > 0 && p.timelineSent < 400);
  assert.equal(p.timelineSent + p.timelineLeftOut, 400);
  assert.ok(p.prompt.includes('step 399 '), 'the newest entry is kept');
  assert.ok(!p.prompt.includes('"step 0 '), 'the oldest entry is left out');
});
