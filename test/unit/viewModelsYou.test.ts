// The Sessions view's "You": the person's own messages with the agent's status lines and its reply, bounded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  conversationItems,
  conversationLineItems,
  YOU_CONVERSATIONS_MAX,
  YOU_LINES_MAX,
  youItem,
  YouSession,
} from '../../src/extension/model/youSession';

test('a sent message, its status lines and the reply are one conversation, in the order they happened', () => {
  let t = Date.UTC(2026, 0, 1, 12, 0, 0);
  const you = new YouSession(() => (t += 1000));
  let changes = 0;
  you.onDidChange(() => changes++);
  const c = you.start('agent_ab12cd34', 'coder', 'fix the parser');
  you.sent(c, 'msg_1');
  you.status(c, 'reading the parser');
  you.status(c, 'running the tests');
  you.settle(c, { kind: 'reply', text: 'Done: 12 tests pass' });
  assert.equal(changes, 5);
  assert.deepEqual(youItem(you.conversations), {
    ...youItem(you.conversations),
    label: 'You',
    description: '1 conversation',
    collapsible: 'expanded',
  });
  const [row] = conversationItems(you.conversations);
  assert.equal(row!.label, 'fix the parser');
  assert.equal(row!.description, '→ coder · replied');
  assert.match(row!.tooltip!, /agent_ab12cd34/);
  const lines = conversationLineItems(c);
  assert.deepEqual(
    lines.map((l) => [l.contextValue, l.label]),
    [
      ['session.you.sent', 'fix the parser'],
      ['session.statusLine', 'reading the parser'],
      ['session.statusLine', 'running the tests'],
      ['session.you.reply', 'Done: 12 tests pass'],
    ],
  );
  assert.equal(new Set(lines.map((l) => l.id)).size, lines.length, 'row ids are unique');
  // status lines after the reply belong to other work: not added
  you.status(c, 'idle');
  assert.equal(conversationLineItems(c).length, 4);
});

test('waiting, failed and timed-out conversations say so', () => {
  const you = new YouSession();
  const waiting = you.start('a1', 'planner', 'plan');
  you.sent(waiting, 'm1');
  const failed = you.start('a2', 'coder', 'code');
  you.settle(failed, { kind: 'failed', text: 'coder is offline' });
  const late = you.start('a3', 'reviewer', 'review');
  you.sent(late, 'm3');
  you.settle(late, { kind: 'timeout' });
  assert.equal(youItem(you.conversations).description, '3 conversations · 1 waiting');
  // newest first
  assert.deepEqual(
    conversationItems(you.conversations).map((r) => r.description),
    ['→ reviewer · no reply yet', '→ coder · not delivered', '→ planner · waiting for the reply…'],
  );
  assert.match(String(conversationLineItems(failed).at(-1)!.label), /Not delivered: coder is offline/);
  assert.match(String(conversationLineItems(late).at(-1)!.label), /shows in the monitor/);
});

test('conversations and their lines are bounded, the oldest going first', () => {
  const you = new YouSession();
  for (let i = 0; i < YOU_CONVERSATIONS_MAX + 5; i++) you.start('a', 'coder', `m${i}`);
  assert.equal(you.conversations.length, YOU_CONVERSATIONS_MAX);
  assert.equal(you.conversations[0]!.text, 'm5');
  const c = you.conversations.at(-1)!;
  for (let i = 0; i < YOU_LINES_MAX + 3; i++) you.status(c, `line ${i}`);
  assert.equal(c.lines.length, YOU_LINES_MAX);
  assert.equal(c.lines[0]!.text, 'line 3');
});
