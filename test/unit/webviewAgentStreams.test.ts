// The monitor's agent-stream model (seed 003): a SNAPSHOT with every DIFF applied equals the final state (patches
// made by fast-json-patch's compare, as the hub makes them), RESYNC replaces, approval lists follow snapshots and
// decision events; the browser page's frame translation and the postMessage checks of the new message kinds; the
// request rows' approval marker.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compare } from 'fast-json-patch';
import { AgentStreamModel, contextFacts } from '../../src/webview/agentStreamModel';
import { approvalMark } from '../../src/webview/approvalMarks';
import { HubFrameTranslator, isRegistered, subscribeStreamsFrame } from '../../src/webview/hubFrames';
import { HostNotification, parseHostNotification, parseWebviewCommand, WebviewCommand } from '../../src/protocol/webviewMessages';
import type { AgentStreamSnapshotT, PendingApprovalT } from '../../src/protocol/agentStreams';
import type { LogEntry } from '../../src/protocol/logEntry';

const AGENT = 'agent_1';

function pending(id: string, tool = 'write_file'): PendingApprovalT {
  return { approval_id: id, agent_id: AGENT, tool, arguments: { path: 'a.txt' }, requested_at: '2026-01-01T00:00:00.000Z', expires_at: null, default: null };
}

function state(context: unknown, approvals: PendingApprovalT[] = []): AgentStreamSnapshotT {
  return { agent_id: AGENT, agent: { agent_id: AGENT, agent_name: 'coder', is_online: true }, context, pending_approvals: approvals };
}

const snapshotFrame = (s: AgentStreamSnapshotT, seq = 0): Record<string, unknown> => ({ message_type: 'SNAPSHOT', ...s, seq });

test('a SNAPSHOT with every DIFF applied equals the final state (random context changes)', () => {
  // "__proto__" keys are left out: fast-json-patch refuses to patch them (prototype pollution), and the model then
  // drops the state until the next SNAPSHOT (tested below) rather than show a wrong one
  // and values pass through JSON as on the wire (-0 arrives as 0)
  const json = fc
    .jsonValue({ maxDepth: 3 })
    .filter((v) => !JSON.stringify(v).includes('"__proto__"'))
    .map((v) => JSON.parse(JSON.stringify(v)) as unknown);
  fc.assert(
    fc.property(json, fc.array(fc.tuple(json, fc.boolean()), { maxLength: 12 }), (first, steps) => {
      const model = new AgentStreamModel();
      let prev = state(first);
      model.apply(snapshotFrame(prev));
      let seq = 1;
      let approvals: PendingApprovalT[] = [];
      for (const [ctx, ask] of steps) {
        if (ask) approvals = [...approvals, pending(`ap_${seq}`)];
        else approvals = approvals.slice(1);
        const next = state(ctx, approvals);
        const patch = compare(prev, next);
        if (patch.length) model.apply({ message_type: 'DIFF', agent_id: AGENT, patch, seq: seq++ });
        prev = next;
      }
      assert.deepEqual(model.state(AGENT), JSON.parse(JSON.stringify(prev)));
      assert.equal(model.pendingCount(AGENT), approvals.length);
    }),
    { numRuns: 200 },
  );
});

test('a DIFF does not change the state it was applied to (views keep their old copy)', () => {
  const model = new AgentStreamModel();
  model.apply(snapshotFrame(state({ model: 'a' })));
  const before = model.state(AGENT);
  model.apply({ message_type: 'DIFF', agent_id: AGENT, patch: [{ op: 'replace', path: '/context/model', value: 'b' }], seq: 1 });
  assert.deepEqual(before?.context, { model: 'a' });
  assert.deepEqual(model.state(AGENT)?.context, { model: 'b' });
});

test('a DIFF before any snapshot, or one that does not fit, never shows a wrong state', () => {
  const model = new AgentStreamModel();
  assert.equal(model.apply({ message_type: 'DIFF', agent_id: AGENT, patch: [{ op: 'add', path: '/context/x', value: 1 }], seq: 1 }), undefined);
  assert.equal(model.state(AGENT), undefined);
  model.apply(snapshotFrame(state({ a: 1 })));
  model.apply({ message_type: 'DIFF', agent_id: AGENT, patch: [{ op: 'replace', path: '/context/missing/deep', value: 2 }], seq: 2 });
  assert.equal(model.state(AGENT), undefined, 'an unfit patch drops the state until the next SNAPSHOT');
  model.apply(snapshotFrame(state({ a: 3 })));
  assert.deepEqual(model.state(AGENT)?.context, { a: 3 });
  model.apply({ message_type: 'DIFF', agent_id: AGENT, patch: [{ op: 'add', path: '/context/__proto__/polluted', value: 1 }], seq: 3 });
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution through a patch');
  assert.equal(model.state(AGENT), undefined);
});

test('RESYNC replaces the state and counts what was missed', () => {
  const model = new AgentStreamModel();
  model.apply(snapshotFrame(state({ step: 1 }, [pending('ap_old')])));
  const fresh = state({ step: 40 }, [pending('ap_new')]);
  assert.equal(model.apply({ message_type: 'RESYNC', agent_id: AGENT, snapshot: fresh, missed: 37, seq: 9 }), AGENT);
  assert.deepEqual(model.state(AGENT), fresh);
  assert.deepEqual(model.pending().map((p) => p.approval_id), ['ap_new']);
  assert.equal(model.missed(AGENT), 37);
  model.apply({ message_type: 'RESYNC', agent_id: AGENT, snapshot: fresh, missed: 3, seq: 10 });
  assert.equal(model.missed(AGENT), 40);
});

test('approval lists: a decision event takes the approval off the pending list and records who decided', () => {
  const model = new AgentStreamModel();
  model.apply(snapshotFrame(state(null, [pending('ap_1'), pending('ap_2', 'shell')])));
  assert.equal(model.pendingCount(AGENT), 2);
  assert.ok(model.isPending('ap_2'));
  const ev = (event_type: string, data: Record<string, unknown>): Record<string, unknown> => ({
    message_type: 'STREAM_EVENT',
    agent_id: AGENT,
    event: { event_type, data, time: '2026-01-01T00:00:01.000Z' },
    seq: 3,
  });
  model.apply(ev('approval_decided', { approval_id: 'ap_2', tool: 'shell', approved: false, note: 'not now', decided_by: 'mon_9' }));
  assert.deepEqual(model.pending(AGENT).map((p) => p.approval_id), ['ap_1']);
  assert.equal(model.isPending('ap_2'), false);
  assert.deepEqual(model.resolvedById('ap_2'), {
    approval_id: 'ap_2',
    agent_id: AGENT,
    tool: 'shell',
    approved: false,
    note: 'not now',
    decided_by: 'mon_9',
    how: 'decided',
    time: '2026-01-01T00:00:01.000Z',
  });
  model.apply(ev('approval_timed_out', { approval_id: 'ap_1', tool: 'write_file', approved: true, note: null, decided_by: 'timeout' }));
  assert.equal(model.pendingCount(AGENT), 0);
  assert.deepEqual(model.resolved(AGENT).map((r) => [r.approval_id, r.how, r.approved]), [['ap_2', 'decided', false], ['ap_1', 'timed_out', true]]);
  // other events (the agent's own AGENT_EVENTs, approval_requested) change nothing here: a SNAPSHOT follows them
  assert.equal(model.apply(ev('approval_requested', pending('ap_3'))), undefined);
  assert.equal(model.apply(ev('tool_started', { x: 1 })), undefined);
  model.apply(snapshotFrame(state(null, [pending('ap_3')])));
  assert.deepEqual(model.pending().map((p) => p.approval_id), ['ap_3']);
  model.clear();
  assert.equal(model.pending().length, 0);
  assert.equal(model.resolved(AGENT).length, 0);
});

test('request rows carry a marker: pending, then who decided', () => {
  const model = new AgentStreamModel();
  const entry: LogEntry = { seq: 5, time: 0, direction: 'in', message_type: 'TOOL_APPROVAL_REQUEST', size: 10, body: { approval_id: 'ap_1', tool: 'write_file' } };
  assert.equal(approvalMark(entry, model, (id) => id), undefined);
  model.apply(snapshotFrame(state(null, [pending('ap_1')])));
  assert.equal(approvalMark(entry, model, (id) => id)?.state, 'pending');
  assert.equal(approvalMark({ ...entry, message_type: 'TEXT' }, model, (id) => id), undefined);
  model.apply({ message_type: 'STREAM_EVENT', agent_id: AGENT, event: { event_type: 'approval_decided', data: { approval_id: 'ap_1', tool: 'write_file', approved: true, note: 'ok', decided_by: 'mon_1' }, time: 't' }, seq: 2 });
  const mark = approvalMark(entry, model, (id) => (id === 'mon_1' ? 'monitor page' : id));
  assert.equal(mark?.state, 'approved');
  assert.match(mark!.title, /approved by monitor page — ok/);
});

test('context facts: model, tools, MCP servers and recent messages out of any JSON', () => {
  const f = contextFacts({
    model: { name: 'gpt-4o' },
    tools: ['read_file', { name: 'write_file' }],
    mcp_servers: [{ name: 'fs', status: 'connected' }],
    messages: [{ role: 'user', content: 'hi' }, 'plain', { role: 'assistant', text: 'x'.repeat(500) }, { direction: 'in', text: 'task' }],
  });
  assert.equal(f.model, 'gpt-4o');
  assert.deepEqual(f.tools, ['read_file', 'write_file']);
  assert.deepEqual(f.mcp, [{ name: 'fs', state: 'connected' }]);
  assert.deepEqual(f.recent.map((m) => m.role), ['user', '', 'assistant', 'in']);
  assert.ok(f.recent[2]!.text.length <= 200);
  assert.deepEqual(contextFacts('just text'), { tools: [], mcp: [], recent: [] });
});

test('the browser page: stream frames become AgentStream notifications, decisions become TOOL_APPROVAL_DECISION', () => {
  const t = new HubFrameTranslator();
  const reg = { message_type: 'REGISTER_MONITOR_RESPONSE', status: 'success', monitor_id: 'mon_7', hub_id: 'hub_1' };
  assert.ok(isRegistered(reg));
  assert.equal(isRegistered({ ...reg, status: 'error' }), false);
  assert.deepEqual(subscribeStreamsFrame(), { message_type: 'MONITOR_SUBSCRIBE' });
  // before registration a decision cannot go out
  const early = t.toHub({ type: WebviewCommand.DecideApproval, request_id: 'r0', approval_id: 'ap_1', approved: true });
  assert.deepEqual(early.frames, []);
  assert.equal(early.reply?.type === HostNotification.CommandResult && early.reply.ok, false);
  t.fromHub(reg);
  for (const type of ['SNAPSHOT', 'DIFF', 'STREAM_EVENT', 'RESYNC']) {
    const frame = { message_type: type, agent_id: AGENT, seq: 1 };
    assert.deepEqual(t.fromHub(frame), [{ type: HostNotification.AgentStream, frame }]);
  }
  const { frames, reply } = t.toHub({ type: WebviewCommand.DecideApproval, request_id: 'r1', approval_id: 'ap_1', approved: false, note: 'no' });
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.message_type, 'TOOL_APPROVAL_DECISION');
  assert.equal(frames[0]!.approval_id, 'ap_1');
  assert.equal(frames[0]!.approved, false);
  assert.equal(frames[0]!.note, 'no');
  assert.equal(frames[0]!.sender_id, 'mon_7');
  assert.ok(reply?.type === HostNotification.CommandResult && reply.ok && reply.request_id === 'r1');
});

test('postMessage checks: DecideApproval and AgentStream are validated, bad ones refused', () => {
  assert.deepEqual(parseWebviewCommand({ type: 'decideApproval', request_id: 'r', approval_id: 'ap_1', approved: true, note: 'fine' }), {
    type: 'decideApproval',
    request_id: 'r',
    approval_id: 'ap_1',
    approved: true,
    note: 'fine',
  });
  assert.equal(parseWebviewCommand({ type: 'decideApproval', request_id: 'r', approval_id: 'ap_1', approved: 'yes' }), undefined);
  assert.equal(parseWebviewCommand({ type: 'decideApproval', request_id: 'r', approval_id: '', approved: true }), undefined);
  assert.equal(parseWebviewCommand({ type: 'decideApproval', request_id: 'r', approval_id: 'ap_1', approved: true, note: 5 }), undefined);
  const note = (parseWebviewCommand({ type: 'decideApproval', request_id: 'r', approval_id: 'a', approved: true, note: 'n'.repeat(10_000) }) as { note: string }).note;
  assert.equal(note.length, 4096);
  assert.ok(parseHostNotification({ type: 'agentStream', frame: { message_type: 'DIFF', agent_id: AGENT, patch: [], seq: 1 } }));
  assert.equal(parseHostNotification({ type: 'agentStream', frame: { message_type: 'TEXT' } }), undefined);
  assert.equal(parseHostNotification({ type: 'agentStream', frame: 'SNAPSHOT' }), undefined);
});
