// The monitor's part of the message debugger (issue 20): held rows are marked from DEBUG_* frames and unmarked when
// released; the buttons produce the DEBUG_ACTION / DEBUG_SET_BREAKPOINTS frames the hub expects; "Break on messages
// like this" gives a filter the shared language parses and that matches the row's message; and both hosts carry
// the frames across their boundary (the page's translator, the panel's postMessage checks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogEntry } from '../../src/protocol/logEntry';
import { matchesMessage, parseMessageFilter } from '../../src/protocol/filter';
import { HostNotification, parseHostNotification, parseWebviewCommand, WebviewCommand } from '../../src/protocol/webviewMessages';
import { DEBUGGER_MESSAGE_SCHEMAS } from '../../src/protocol/debugger';
import { actionFrame, breakpointFilterFor, DebugHolds, heldMark, parseEditFields, releaseAllFrame } from '../../src/webview/debugHolds';
import { debugAttachFrame, HubFrameTranslator } from '../../src/webview/hubFrames';
import { Value } from '@sinclair/typebox/value';

const entry = (over: Partial<LogEntry> = {}): LogEntry => ({
  seq: 1,
  time: 0,
  direction: 'in',
  message_type: 'TEXT',
  message_id: 'm1',
  sender_id: 'agent_a',
  receiver_id: 'agent_b',
  size: 10,
  body: { text_payload: 'hello' },
  ...over,
});
const held = (heldId: string, messageId: string) => ({
  held_id: heldId,
  reason: 'breakpoint',
  held_at: '2026-01-01T00:00:00Z',
  bytes: 10,
  message: { message_type: 'TEXT', message_id: messageId, sender_id: 'agent_a', receiver_id: 'agent_b', text_payload: 'hello' },
});

test('a held message marks its row until the hub releases it; DEBUG_STATE replaces the picture', () => {
  const holds = new DebugHolds();
  assert.equal(heldMark(entry(), holds), undefined);
  assert.equal(holds.apply({ message_type: 'DEBUG_HELD', held: held('h1', 'm1'), held_count: 1 }), true);
  assert.equal(heldMark(entry(), holds)?.state, 'debug-held');
  assert.match(heldMark(entry(), holds)!.text, /held/);
  // only the message's incoming row carries the mark, not its out-frames
  assert.equal(heldMark(entry({ direction: 'out' }), holds), undefined);
  assert.equal(heldMark(entry({ message_id: 'm2' }), holds), undefined);
  holds.apply({ message_type: 'DEBUG_RELEASED', held_id: 'h1', outcome: 'continued', held_count: 0 });
  assert.equal(heldMark(entry(), holds), undefined);
  holds.apply({ message_type: 'DEBUG_STATE', breakpoints: [], held: [held('h2', 'm2'), held('h3', 'm3'), { junk: true }] });
  assert.equal(holds.count, 2);
  assert.equal(holds.heldFor('m3')?.held_id, 'h3');
  assert.equal(holds.apply({ message_type: 'TEXT' }), false);
});

test('the actions produce DEBUG_ACTION frames the hub schema accepts', () => {
  const schema = DEBUGGER_MESSAGE_SCHEMAS.DEBUG_ACTION;
  for (const a of ['continue', 'step', 'drop'] as const) {
    const f = actionFrame(a, 'h1');
    assert.deepEqual(f, { message_type: 'DEBUG_ACTION', action: a, held_id: 'h1' });
    assert.ok(Value.Check(schema, f), a);
  }
  const edit = actionFrame('edit', 'h1', { text_payload: 'changed' });
  assert.deepEqual(edit, { message_type: 'DEBUG_ACTION', action: 'edit', held_id: 'h1', fields: { text_payload: 'changed' } });
  assert.ok(Value.Check(schema, edit));
  assert.deepEqual(releaseAllFrame(), { message_type: 'DEBUG_ACTION', action: 'release_all' });
  assert.ok(Value.Check(schema, releaseAllFrame()));
});

test('the edit box is validated before anything is sent', () => {
  assert.deepEqual(parseEditFields('{"text_payload":"x","message_id":"no","sender_id":"no"}'), { fields: { text_payload: 'x' } });
  assert.ok('error' in parseEditFields('{not json'));
  assert.ok('error' in parseEditFields('[1]'));
  assert.ok('error' in parseEditFields('{"message_id":"m"}'));
});

test('"Break on messages like this" is a filter of the row that the shared language parses and that matches it', () => {
  const e = entry();
  const filter = breakpointFilterFor(e);
  assert.equal(filter, 'type:TEXT from:agent_a to:agent_b');
  const parsed = parseMessageFilter(filter);
  assert.ok(parsed.ok);
  const msg = { message_type: 'TEXT', sender_id: 'agent_a', receiver_id: 'agent_b', text_payload: 'other text' };
  assert.equal(matchesMessage(parsed.filter, msg), true);
  assert.equal(matchesMessage(parsed.filter, { ...msg, receiver_id: 'agent_c' }), false);
  assert.equal(breakpointFilterFor(entry({ sender_id: 'a b' })), 'type:TEXT from:"a b" to:agent_b');
});

test('breakpoints: the whole list goes to the hub, each shown with the hub answer, and removable', () => {
  const holds = new DebugHolds();
  assert.equal(holds.resendFrame(), undefined);
  const f1 = holds.addBreakpoint('type:TEXT to:agent_b');
  assert.deepEqual(f1, { message_type: 'DEBUG_SET_BREAKPOINTS', breakpoints: [{ filter: 'type:TEXT to:agent_b' }] });
  assert.ok(Value.Check(DEBUGGER_MESSAGE_SCHEMAS.DEBUG_SET_BREAKPOINTS, f1));
  const f2 = holds.addBreakpoint('nope:x');
  assert.deepEqual(holds.addBreakpoint('nope:x'), f2, 'the same filter is not added twice');
  assert.equal((f2.breakpoints as unknown[]).length, 2);
  assert.equal(holds.breakpoints()[0]!.verified, false, 'unverified until the hub answers');
  holds.apply({
    message_type: 'DEBUG_BREAKPOINTS',
    breakpoints: [
      { breakpoint_id: 'b1', owner: 'm', filter: 'type:TEXT to:agent_b', verified: true, hits: 2 },
      { breakpoint_id: 'b2', owner: 'm', filter: 'nope:x', verified: false, error: 'Unknown filter key', hits: 0 },
    ],
  });
  assert.deepEqual(holds.breakpoints().map((b) => [b.filter, b.verified, b.hits, b.error]), [
    ['type:TEXT to:agent_b', true, 2, undefined],
    ['nope:x', false, 0, 'Unknown filter key'],
  ]);
  assert.deepEqual(holds.removeBreakpoint('nope:x'), f1);
  assert.deepEqual(holds.resendFrame(), f1);
});

test('the page: DEBUG_* frames become Debugger notifications, Debug commands become hub frames', () => {
  const t = new HubFrameTranslator();
  assert.deepEqual(debugAttachFrame(), { message_type: 'DEBUG_ATTACH' });
  const notConnected = t.toHub({ type: WebviewCommand.Debug, request_id: 'r0', frame: releaseAllFrame() });
  assert.equal(notConnected.frames.length, 0);
  assert.equal(notConnected.reply?.type === HostNotification.CommandResult && notConnected.reply.ok, false);
  t.fromHub({ message_type: 'REGISTER_MONITOR_RESPONSE', status: 'success', monitor_id: 'mon_1', hub_id: 'hub' });
  const heldFrame = { message_type: 'DEBUG_HELD', held: held('h1', 'm1'), held_count: 1 };
  assert.deepEqual(t.fromHub(heldFrame), [{ type: HostNotification.Debugger, frame: heldFrame }]);
  const out = t.toHub({ type: WebviewCommand.Debug, request_id: 'r1', frame: actionFrame('continue', 'h1') });
  assert.equal(out.frames.length, 1);
  assert.equal(out.frames[0]!.message_type, 'DEBUG_ACTION');
  assert.equal(out.frames[0]!.held_id, 'h1');
  assert.equal(typeof out.frames[0]!.message_id, 'string');
  // the hub's answer: done is silent, a refusal is told like an ERROR
  assert.deepEqual(t.fromHub({ message_type: 'DEBUG_ACTION_RESULT', action: 'continue', held_id: 'h1', ok: true, in_reply_to_message_id: out.frames[0]!.message_id }), []);
  const refused = t.fromHub({ message_type: 'DEBUG_ACTION_RESULT', action: 'continue', held_id: 'h1', ok: false, code: 'invalid_message', error: 'No held message "h1"' });
  assert.deepEqual(refused, [{ type: HostNotification.CommandResult, request_id: 'hub-error', ok: false, detail: 'No held message "h1"' }]);
  // a webview cannot smuggle other frame types through the debugger command
  assert.deepEqual(t.toHub({ type: WebviewCommand.Debug, request_id: 'r2', frame: { message_type: 'TEXT' } }).frames, []);
});

test('the panel: postMessage boundaries accept debugger frames and refuse others', () => {
  const cmd = { type: WebviewCommand.Debug, request_id: 'r', frame: actionFrame('step', 'h1') };
  assert.deepEqual(parseWebviewCommand(cmd), cmd);
  assert.equal(parseWebviewCommand({ type: WebviewCommand.Debug, request_id: 'r', frame: { message_type: 'TEXT' } }), undefined);
  assert.equal(parseWebviewCommand({ type: WebviewCommand.Debug, frame: actionFrame('step', 'h1') }), undefined);
  const n = { type: HostNotification.Debugger, frame: { message_type: 'DEBUG_RELEASED', held_id: 'h1' } };
  assert.deepEqual(parseHostNotification(n), n);
  assert.equal(parseHostNotification({ type: HostNotification.Debugger, frame: { message_type: 'DEBUG_ACTION' } }), undefined);
});

test("other debuggers' breakpoints are listed apart (read-only, named), and a message one of them holds says whose", () => {
  const holds = new DebugHolds();
  const bp = (id: string, owner: string, filter: string, owner_name?: string) => ({ breakpoint_id: id, owner, filter, verified: true, hits: 0, ...(owner_name ? { owner_name } : {}) });
  holds.addBreakpoint('to:agent_b');
  holds.apply({ message_type: 'DEBUG_STATE', breakpoints: [bp('bp_1', 'vscode_s1', 'text:refund', 'Debug Agents in VS Code')], held: [] });
  holds.apply({ message_type: 'DEBUG_BREAKPOINTS', breakpoints: [bp('bp_2', 'mon_1', 'to:agent_b')] });
  holds.apply({ message_type: 'DEBUG_ALL_BREAKPOINTS', breakpoints: [bp('bp_1', 'vscode_s1', 'text:refund', 'Debug Agents in VS Code'), bp('bp_2', 'mon_1', 'to:agent_b'), bp('bp_3', 'web_9', 'type:REPLY')] });
  assert.deepEqual(holds.breakpoints().map((b) => b.filter), ['to:agent_b'], 'its own list is its own');
  assert.deepEqual(holds.othersBreakpoints().map((b) => [b.filter, b.owner]), [['text:refund', 'Debug Agents in VS Code'], ['type:REPLY', 'web_9']]);

  holds.apply({ message_type: 'DEBUG_HELD', held: { ...held('h1', 'm1'), breakpoint_id: 'bp_1', breakpoint_owner: 'vscode_s1', breakpoint_owner_name: 'Debug Agents in VS Code', breakpoint_filter: 'text:refund' }, held_count: 1 });
  assert.equal(holds.heldByOther(holds.heldFor('m1')!), 'Debug Agents in VS Code: text:refund');
  holds.apply({ message_type: 'DEBUG_HELD', held: { ...held('h2', 'm2'), breakpoint_id: 'bp_2', breakpoint_owner: 'mon_1' }, held_count: 2 });
  assert.equal(holds.heldByOther(holds.heldFor('m2')!), undefined, 'held by its own breakpoint: nothing to add');
  // the schema accepts what the hub sends
  assert.ok(Value.Check(DEBUGGER_MESSAGE_SCHEMAS.DEBUG_ALL_BREAKPOINTS, { message_type: 'DEBUG_ALL_BREAKPOINTS', breakpoints: [bp('bp_1', 'vscode_s1', 'text:refund', 'Debug Agents in VS Code')] }));
  holds.reset();
  assert.deepEqual(holds.othersBreakpoints(), []);
});
