// The filter language shared by the monitor, message breakpoints and the Debug Agents adapter: parsing (with errors
// a person can act on) and matching messages in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesMessage, parseMessageFilter, type MessageFilter } from '../../src/protocol/filter';

function parse(src: string): MessageFilter {
  const r = parseMessageFilter(src);
  if (!r.ok) throw new Error(r.error);
  return r.filter;
}

const msg = {
  message_type: 'TEXT',
  message_id: 'msg_1',
  sender_id: 'agent_a1',
  receiver_id: 'agent_p9',
  text_payload: 'Please issue a full Refund for order 7',
  thread: 'T-7',
  order: { amount: 42, currency: 'EUR' },
};
const names: Record<string, string> = { agent_a1: 'triage', agent_p9: 'planner' };
const nameOf = (id: string) => names[id];

test('type, to (by name or id), text: every term must hold', () => {
  assert.equal(matchesMessage(parse('type:TEXT to:planner text:refund'), msg, nameOf), true);
  assert.equal(matchesMessage(parse('type:text to:agent_p9'), msg, nameOf), true);
  assert.equal(matchesMessage(parse('type:REPLY to:planner'), msg, nameOf), false);
  assert.equal(matchesMessage(parse('to:triage'), msg, nameOf), false);
  assert.equal(matchesMessage(parse('from:triage'), msg, nameOf), true);
  assert.equal(matchesMessage(parse('sender:agent_a1 receiver:planner'), msg, nameOf), true);
  // without a name resolver, names do not match, ids do
  assert.equal(matchesMessage(parse('to:planner'), msg), false);
});

test('comma alternatives, quoted phrases, bare words and payload paths', () => {
  assert.equal(matchesMessage(parse('type:REPLY,TEXT'), msg), true);
  assert.equal(matchesMessage(parse('text:"full refund"'), msg), true);
  assert.equal(matchesMessage(parse('text:"refund full"'), msg), false);
  assert.equal(matchesMessage(parse('"order 7" eur'), msg), true);
  assert.equal(matchesMessage(parse('payload.order.currency:eur payload.order.amount:42'), msg), true);
  assert.equal(matchesMessage(parse('payload.order.currency:usd'), msg), false);
  assert.equal(matchesMessage(parse('payload.missing:x'), msg), false);
  assert.equal(matchesMessage(parse('thread:t-7 id:MSG_1'), msg), true);
  assert.equal(matchesMessage(parse(''), msg), true);
});

test('errors name the bad term', () => {
  const unknown = parseMessageFilter('colour:red');
  assert.equal(unknown.ok, false);
  assert.match(!unknown.ok ? unknown.error : '', /Unknown filter key "colour:"/);
  const empty = parseMessageFilter('type:');
  assert.equal(empty.ok, false);
  assert.match(!empty.ok ? empty.error : '', /needs a value/);
  assert.equal(parseMessageFilter('x'.repeat(5000)).ok, false);
});
