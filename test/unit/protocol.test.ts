import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeFrame, validateMessage } from '../../src/protocol/codec';
import { buildJsonSchema } from '../../src/protocol/jsonSchema';
import { newClientId } from '../../src/protocol/ids';

test('a valid TEXT frame decodes and keeps fields the protocol does not know', () => {
  const r = decodeFrame(JSON.stringify({ message_type: 'TEXT', sender_id: 'web_1', receiver_id: 'agent_1', text_payload: 'hi', x_custom: { a: 1 } }));
  assert.equal(r.ok, true);
  if (r.ok) assert.deepEqual(r.message.x_custom, { a: 1 });
});

test('an early agent reply with only sender, receiver and text is valid', () => {
  const r = validateMessage({ message_type: 'REPLY', sender_id: 'agent_1', receiver_id: 'web_1', text_payload: 'ok' });
  assert.equal(r.ok, true);
});

test('malformed JSON is refused with invalid_json and a message that says what to send', () => {
  const r = decodeFrame('{"message_type": "TEXT",');
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.error.code, 'invalid_json');
    assert.match(r.error.message, /JSON object per text frame/);
  }
});

test('binary frames, arrays and missing message_type each get their own code', () => {
  const bin = decodeFrame(Buffer.from('{}'), true);
  const arr = decodeFrame('[1,2]');
  const none = decodeFrame('{"text_payload":"x"}');
  assert.deepEqual([bin, arr, none].map((r) => (r.ok ? 'ok' : r.error.code)), ['binary_frame', 'not_an_object', 'missing_message_type']);
});

test('an unknown message_type is named in the error', () => {
  const r = decodeFrame('{"message_type":"FROBNICATE"}');
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.error.code, 'unknown_message_type');
    assert.match(r.error.message, /FROBNICATE/);
  }
});

test('a wrong field type names the message type and the field', () => {
  const r = decodeFrame(JSON.stringify({ message_type: 'TEXT', text_payload: 42 }));
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.error.code, 'invalid_message');
    assert.match(r.error.message, /^TEXT: "text_payload" is invalid/);
  }
});

test('REGISTER_AGENT without agent_name says agent_name is required', () => {
  const r = decodeFrame(JSON.stringify({ message_type: 'REGISTER_AGENT' }));
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.error.message, /"agent_name" is required/);
});

test('client ids are a prefix and 8 hex digits, like the seed', () => {
  assert.match(newClientId('agent_'), /^agent_[0-9a-f]{8}$/);
  assert.match(newClientId('web_'), /^web_[0-9a-f]{8}$/);
});

test('the committed JSON Schema matches the TypeBox source (run `npm run schema` when this fails)', () => {
  const committed = JSON.parse(readFileSync('schema/switchboard-protocol.schema.json', 'utf8'));
  assert.deepEqual(committed, buildJsonSchema());
});
