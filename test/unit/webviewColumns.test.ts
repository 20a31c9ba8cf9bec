// The monitor's Type column: every protocol type fits it, the common ones whole, and no two types look the same.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/protocol/messageTypes';
import { shortType, TYPE_COLUMN_CHARS } from '../../src/webview/rowModel';

const ALL = Object.values(MessageType) as string[];

test('every message type fits the Type column once shortened', () => {
  const long = ALL.map((t) => [t, shortType(t)] as const).filter(([, s]) => s.length > TYPE_COLUMN_CHARS);
  assert.deepEqual(long, []);
});

test('types that fit are shown whole, so chat and status rows read as the protocol names them', () => {
  for (const t of ['TEXT', 'REPLY', 'STATUS', 'AGENT_EVENT', 'ERROR', 'HUB_STARTED']) assert.equal(shortType(t), t);
  assert.equal(shortType('REGISTER_FRONTEND_RESPONSE'), 'REG_FRONT_RESP');
});

test('no two message types share a short form', () => {
  const seen = new Map<string, string>();
  for (const t of ALL) {
    const s = shortType(t);
    assert.equal(seen.get(s) ?? t, t, `${t} and ${seen.get(s)} both show as ${s}`);
    seen.set(s, t);
  }
});
