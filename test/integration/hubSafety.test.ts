// Safety of the hub's front: token and Origin checks on upgrade, /healthz and /monitor, port fallback, oversize,
// malformed and binary frames (ERROR, connection kept), the rate limit, and a slow reader cut off alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startHub, connect, agent, closeAll, waitUntil } from './hubHarness';
import { Hub } from '../../src/hub/hub';
import { SwitchboardError } from '../../src/protocol/errors';

function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function refusedStatus(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { status?: number }).status;
  }
}

test('an upgrade without the token, or with a wrong one, is refused with 401; query and Bearer header both work', async () => {
  const hub = await startHub();
  assert.equal(await refusedStatus(connect(hub, { token: '' })), 401);
  assert.equal(await refusedStatus(connect(hub, { token: 'wrong-token' })), 401);
  const q = await connect(hub);
  const h = await connect(hub, { token: '', headers: { Authorization: `Bearer ${hub.token}` } });
  await closeAll(hub, q, h);
});

test('the token is generated per start unless configured', async () => {
  const hub = new Hub({ port: 0 });
  await hub.start();
  const t1 = hub.token;
  await hub.stop();
  await hub.start();
  assert.match(t1, /^[0-9a-f]{32}$/);
  assert.notEqual(hub.token, t1);
  await hub.stop();
  const fixed = await startHub({ token: 'configured-token' });
  assert.equal(fixed.token, 'configured-token');
  assert.match(fixed.agentUrl, new RegExp(`^ws://127\\.0\\.0\\.1:${fixed.port}/ws\\?token=configured-token$`));
  assert.match(fixed.monitorUrl, new RegExp(`^http://127\\.0\\.0\\.1:${fixed.port}/monitor\\?token=configured-token$`));
  await closeAll(fixed);
});

test("a browser Origin other than the hub's own is refused with 403 unless allowed; vscode-webview too", async () => {
  const hub = await startHub({ allowedOrigins: ['http://allowed.example'] });
  assert.equal(await refusedStatus(connect(hub, { headers: { Origin: 'http://evil.example' } })), 403);
  assert.equal(await refusedStatus(connect(hub, { headers: { Origin: 'vscode-webview://abc123' } })), 403);
  const own = await connect(hub, { headers: { Origin: `http://127.0.0.1:${hub.port}` } });
  const local = await connect(hub, { headers: { Origin: `http://localhost:${hub.port}` } });
  const allowed = await connect(hub, { headers: { Origin: 'http://allowed.example' } });
  await closeAll(hub, own, local, allowed);
});

test('/healthz answers without a token; /monitor needs it and is served with a strict CSP', async () => {
  const hub = await startHub();
  const a = await agent(hub);
  const h = await httpGet(hub.port, '/healthz');
  assert.equal(h.status, 200);
  const body = JSON.parse(h.body) as Record<string, unknown>;
  assert.equal(body.status, 'ok');
  assert.equal(body.hub_id, hub.id);
  assert.equal(body.agents_online, 1);
  assert.equal((await httpGet(hub.port, '/monitor')).status, 401);
  const page = await httpGet(hub.port, `/monitor?token=${hub.token}`);
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
  assert.match(page.body, /<html/i);
  assert.equal((await httpGet(hub.port, '/monitor/assets/../../package.json')).status, 404);
  assert.equal((await httpGet(hub.port, '/nothing')).status, 404);
  await closeAll(hub, a);
});

test('/monitor/assets/<file> serves the built webview bundle from webviewDir, and nothing outside it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-assets-'));
  writeFileSync(join(dir, 'monitor.js'), 'console.log("monitor")');
  const outside = `${dir}-outside.js`; // exists, has an allowed extension, but lies outside webviewDir
  writeFileSync(outside, 'secret');
  try {
    const hub = await startHub({}, { webviewDir: dir });
    const js = await httpGet(hub.port, '/monitor/assets/monitor.js');
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.equal(js.body, 'console.log("monitor")');
    assert.equal((await httpGet(hub.port, '/monitor/assets/missing.js')).status, 404);
    assert.equal((await httpGet(hub.port, `/monitor/assets/..%2F${encodeURIComponent(basename(outside))}`)).status, 404);
    await closeAll(hub);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { force: true });
  }
});

test('the hub binds 127.0.0.1 by default and falls back to a free port when its port is taken', async () => {
  const first = await startHub();
  assert.equal(first.host, '127.0.0.1');
  const second = new Hub({ port: first.port });
  await second.start();
  assert.notEqual(second.port, first.port);
  await second.stop();
  const strict = new Hub({ port: first.port, portFallback: false });
  await assert.rejects(strict.start(), (err: unknown) => err instanceof SwitchboardError && /in use/.test(err.message));
  assert.equal(strict.state, 'stopped');
  await closeAll(first);
});

test('malformed JSON, non-objects, unknown types, wrong field types and binary frames each get a named ERROR; the connection is kept', async () => {
  const hub = await startHub();
  const bystander = await agent(hub, 'bystander');
  const c = await connect(hub);
  const cases: [string | Buffer, boolean, string, RegExp][] = [
    ['{not json', false, 'invalid_json', /Invalid JSON/],
    ['[1,2]', false, 'not_an_object', /JSON object/],
    ['{"text_payload":"x"}', false, 'missing_message_type', /message_type/],
    ['{"message_type":"NO_SUCH_THING"}', false, 'unknown_message_type', /NO_SUCH_THING/],
    ['{"message_type":"TEXT","text_payload":5}', false, 'invalid_message', /text_payload/],
    [Buffer.from('{"message_type":"PING"}'), true, 'binary_frame', /Binary/],
  ];
  for (const [data, binary, code, text] of cases) {
    c.sendRaw(data, binary);
    const err = await c.waitNext((m) => m.message_type === 'ERROR', 3000, code);
    assert.equal(err.code, code);
    assert.match(err.text_payload as string, text);
  }
  c.send({ message_type: 'REGISTER_AGENT', agent_name: 'after errors' });
  assert.equal((await c.waitType('REGISTER_AGENT_RESPONSE')).status, 'success');
  c.send({ message_type: 'TEXT', receiver_id: bystander.id, text_payload: 'fine now' });
  assert.equal((await bystander.c.waitType('TEXT')).text_payload, 'fine now');
  assert.equal(bystander.c.ofType('ERROR').length, 0, 'the bystander saw none of it');
  await closeAll(hub, c, bystander);
});

test('a frame above maxPayloadBytes gets ERROR frame_too_large and the connection is kept; beyond 4× it is closed 1009; others unaffected', async () => {
  const hub = await startHub({ maxPayloadBytes: 1024 });
  const other = await agent(hub, 'other');
  const c = await agent(hub, 'big');
  c.c.send({ message_type: 'TEXT', receiver_id: other.id, text_payload: 'x'.repeat(2000) });
  const err = await c.c.waitType('ERROR');
  assert.equal(err.code, 'frame_too_large');
  c.c.send({ message_type: 'TEXT', receiver_id: other.id, text_payload: 'small' });
  assert.equal((await other.c.waitType('TEXT')).text_payload, 'small');
  c.c.send({ message_type: 'TEXT', receiver_id: other.id, text_payload: 'y'.repeat(5000) });
  assert.equal((await c.c.waitClose()).code, 1009);
  hub.sendMessage({ receiver_id: other.id, text_payload: 'still here' });
  await other.c.waitFor((m) => m.text_payload === 'still here');
  await closeAll(hub, other, c);
});

test('a client over the rate limit gets one ERROR rate_limited, its extra frames are dropped, and it stays connected', async () => {
  const hub = await startHub({ rateLimitPerSecond: 10 });
  const a = await agent(hub, 'flood');
  const b = await agent(hub, 'target');
  for (let i = 0; i < 60; i++) a.c.send({ message_type: 'TEXT', receiver_id: b.id, text_payload: `f${i}` });
  const err = await a.c.waitType('ERROR');
  assert.equal(err.code, 'rate_limited');
  await waitUntil(() => b.c.ofType('TEXT').length >= 15, 3000, 'the burst allowance');
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(b.c.ofType('TEXT').length < 60, `dropped frames were not delivered (${b.c.ofType('TEXT').length})`);
  assert.equal(a.c.ofType('ERROR').length, 1, 'rate-limit errors are themselves limited');
  await new Promise((r) => setTimeout(r, 1100));
  a.c.send({ message_type: 'TEXT', receiver_id: b.id, text_payload: 'after' });
  await b.c.waitFor((m) => m.text_payload === 'after');
  assert.equal(a.c.closed, undefined);
  await closeAll(hub, a, b);
});

test('a client that stops reading is cut off with a warning while a fast one keeps receiving everything', async () => {
  const hub = await startHub({ maxBufferedBytes: 256 * 1024, rateLimitPerSecond: 0 });
  const fast = await agent(hub, 'fast');
  const slow = await agent(hub, 'slow');
  const warnings: string[] = [];
  hub.events.on('warning', (w) => warnings.push(w));
  (slow.c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
  const N = 300;
  const text = 'z'.repeat(64 * 1024);
  for (let i = 0; i < N; i++) {
    hub.broadcast(`${i}:${text}`);
    // The fast reader lives in this same process: let it keep pace (at most 4 frames behind) so it really is fast.
    if (i % 4 === 3) await waitUntil(() => fast.c.ofType('TEXT').length >= i - 3, 10_000, `fast reader at ${i}`);
  }
  await waitUntil(() => fast.c.ofType('TEXT').length === N, 20_000, 'fast reader got every message');
  await waitUntil(() => hub.agent(slow.id)?.status === 'offline', 5000, 'slow reader offline');
  assert.ok(warnings.some((w) => w.includes(slow.id) && /stopped reading/.test(w)), warnings.join('\n'));
  assert.equal(hub.agent(fast.id)?.status, 'online');
  (slow.c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  const closed = await slow.c.waitClose(5000);
  assert.ok([1008, 1006].includes(closed.code), `closed with ${closed.code}`);
  assert.ok(slow.c.ofType('TEXT').length < N);
  await closeAll(hub, fast, slow);
});
