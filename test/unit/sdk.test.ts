// SDK pieces that need no hub: reconnect delays, URL checks, the implicit session context, log-entry shape checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { backoffDelay } from '../../src/protocol/backoff';
import { checkHubUrl, redactUrl, httpBase } from '../../src/sdk/hubUrl';
import { currentSession, withSession, sessionOf, isFrontendId } from '../../src/sdk/session';
import { isLogEntry } from '../../src/protocol/logEntry';
import { connectError } from '../../src/sdk/clientSocket';
import { SwitchboardError } from '../../src/protocol/errors';

test('backoff doubles from initialMs and never exceeds maxMs', () => {
  const opts = { initialMs: 100, maxMs: 1000 };
  const top = (a: number): number => backoffDelay(a, opts, () => 1);
  assert.deepEqual([0, 1, 2, 3, 4, 10, 100].map(top), [100, 200, 400, 800, 1000, 1000, 1000]);
});

test('backoff jitter stays in the upper half of the delay, so clients spread out but never retry at once', () => {
  const opts = { initialMs: 100, maxMs: 1000 };
  assert.equal(backoffDelay(3, opts, () => 0), 400);
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(3, opts);
    assert.ok(d >= 400 && d <= 800, `delay ${d} outside [400, 800]`);
    seen.add(d);
  }
  assert.ok(seen.size > 10, 'jitter produced almost no spread');
});

test('a hub URL without a token is refused with a message that shows the expected form', () => {
  assert.throws(() => checkHubUrl('ws://127.0.0.1:8765/ws'), (e: unknown) => e instanceof SwitchboardError && e.code === 'unauthorized' && /token=/.test(e.message));
  assert.throws(() => checkHubUrl('http://127.0.0.1:8765/ws?token=x'), /must start with ws:\/\//);
  assert.throws(() => checkHubUrl('not a url'), /is not a URL/);
  assert.equal(checkHubUrl('ws://127.0.0.1:1/ws?token=abc').port, '1');
});

test('printed URLs never show the token', () => {
  assert.equal(redactUrl('ws://127.0.0.1:8765/ws?token=secret123'), 'ws://127.0.0.1:8765/ws?token=…');
  assert.equal(redactUrl('ws://h/ws?a=1&token=s&b=2'), 'ws://h/ws?a=1&token=…&b=2');
  assert.equal(httpBase('wss://example.org:9/ws?token=s'), 'https://example.org:9');
});

test('withSession carries the session through awaits and timers, and concurrent sessions do not mix', async () => {
  const seen: string[] = [];
  const tool = async (label: string): Promise<void> => {
    await delay(5);
    await new Promise<void>((r) => setTimeout(r, 5));
    seen.push(`${label}:${currentSession() ?? 'none'}`);
  };
  await Promise.all([withSession('web_a', () => tool('a')), withSession('web_b', () => tool('b')), tool('c')]);
  assert.deepEqual(seen.sort(), ['a:web_a', 'b:web_b', 'c:none']);
  assert.equal(currentSession(), undefined);
});

test('an inbound message belongs to its explicit session_id, else to a front-end sender, else to none', () => {
  assert.equal(sessionOf({ message_type: 'TEXT', sender_id: 'web_1' }), 'web_1');
  assert.equal(sessionOf({ message_type: 'TEXT', sender_id: 'user_abc123' }), 'user_abc123');
  assert.equal(sessionOf({ message_type: 'TEXT', sender_id: 'agent_1', session_id: 'web_9' }), 'web_9');
  assert.equal(sessionOf({ message_type: 'TEXT', sender_id: 'agent_1' }), undefined);
  assert.equal(isFrontendId('broker_1'), false);
});

test('monitor entries missing seq, time, type, direction or body are recognised as malformed', () => {
  const good = { seq: 1, time: 2, direction: 'in', message_type: 'TEXT', size: 3, body: {} };
  assert.equal(isLogEntry(good), true);
  for (const k of ['seq', 'time', 'direction', 'message_type', 'body']) {
    const bad: Record<string, unknown> = { ...good };
    delete bad[k];
    assert.equal(isLogEntry(bad), false, `accepted an entry without ${k}`);
  }
});

test('connection failures become errors that say what to do, without the token', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  const e1 = connectError(refused, 'ws://127.0.0.1:1/ws?token=secret');
  assert.equal(e1.code, 'not_connected');
  assert.match(e1.message, /switchboard hub/);
  assert.doesNotMatch(e1.message, /secret/);
  const e2 = connectError(new Error('Unexpected server response: 401'), 'ws://127.0.0.1:1/ws?token=secret');
  assert.equal(e2.code, 'unauthorized');
});
