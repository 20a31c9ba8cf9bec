import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeFrame, validateMessage } from '../../src/protocol/codec';
import { buildJsonSchema } from '../../src/protocol/jsonSchema';
import { newClientId } from '../../src/protocol/ids';
import { ENV_VARS, envValue, readEnv } from '../../src/protocol/envOptions';
import { SwitchboardError } from '../../src/protocol/errors';
import { CONTROL_ACTIONS, CONTROL_MESSAGE_TYPES, isControlAction } from '../../src/protocol/messageTypes';

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

test('readEnv types each variable, leaves unset and blank ones out, and reads only the keys asked for', () => {
  const env = {
    SWITCHBOARD_PORT: '9001',
    SWITCHBOARD_LOG_KEEPALIVES: 'yes',
    SWITCHBOARD_KAFKA_BROKERS: ' a:1, ,b:2 ',
    SWITCHBOARD_BUS: 'RabbitMQ',
    SWITCHBOARD_TOKEN: '   ',
    SWITCHBOARD_URL: 'ws://127.0.0.1:1/ws?token=t',
    PEER_CONTEXT_TIMEOUT_SECONDS: '2.5',
    SWITCHBOARD_RATE_LIMIT_PER_SECOND: 'lots',
  };
  assert.deepEqual(readEnv(env, ['port', 'logKeepalives', 'kafkaBrokers', 'bus', 'token', 'url', 'peerContextTimeoutSeconds', 'host']), {
    port: 9001,
    logKeepalives: true,
    kafkaBrokers: ['a:1', 'b:2'],
    bus: 'rabbitmq',
    url: 'ws://127.0.0.1:1/ws?token=t',
    peerContextTimeoutSeconds: 2.5,
  });
  assert.deepEqual(readEnv({}), {});
});

test('readEnv names every variable whose value does not parse, in one invalid_config error', () => {
  const env = { SWITCHBOARD_PORT: '80a', SWITCHBOARD_BUS: 'nats', SWITCHBOARD_PORT_FALLBACK: 'maybe', PEER_CONTEXT_TIMEOUT_SECONDS: '-1', SWITCHBOARD_HOST: 'ok' };
  assert.throws(
    () => readEnv(env),
    (e: unknown) =>
      e instanceof SwitchboardError &&
      e.code === 'invalid_config' &&
      ['SWITCHBOARD_PORT ', 'SWITCHBOARD_BUS ', 'SWITCHBOARD_PORT_FALLBACK ', 'PEER_CONTEXT_TIMEOUT_SECONDS '].every((n) => e.message.includes(n)) &&
      e.message.includes('"nats"'),
  );
  assert.deepEqual(readEnv(env, ['host']), { host: 'ok' }, 'a bad variable not asked for does not stop the read');
});

test('envValue falls back to the table default; seed 002 switches turn off only on false/0/no/off', () => {
  assert.equal(envValue('kafkaContextRequestTopic', {}), 'agent.context.request');
  assert.equal(envValue('peerContextTimeoutSeconds', {}), 5);
  assert.equal(envValue('port', {}), undefined, 'hub option defaults live in DEFAULT_HUB_OPTIONS');
  assert.equal(envValue('peerContextEnabled', {}), true);
  assert.equal(envValue('peerContextEnabled', { PEER_CONTEXT_ENABLED: 'Off' }), false);
  assert.equal(envValue('peerContextEnabled', { PEER_CONTEXT_ENABLED: 'whatever' }), true);
});

test('every variable in the options table is unique and documented in the README', () => {
  const names = Object.values(ENV_VARS).map((v) => v.name);
  assert.equal(new Set(names).size, names.length);
  const readme = readFileSync('README.md', 'utf8');
  assert.deepEqual(names.filter((n) => !readme.includes(`\`${n}\``)), [], 'README does not mention these variables');
});

test('each control action has one frame for an agent and one for all, and nothing else is an action', () => {
  assert.deepEqual(Object.keys(CONTROL_MESSAGE_TYPES).sort(), [...CONTROL_ACTIONS].sort());
  assert.equal(CONTROL_MESSAGE_TYPES.pause.one, 'PAUSE_AGENT');
  assert.equal(CONTROL_MESSAGE_TYPES.reregister.all, 'REREGISTER_ALL_AGENTS');
  assert.equal(isControlAction('resume'), true);
  assert.equal(isControlAction('reset'), false);
  assert.equal(isControlAction(undefined), false);
});
