// Seed compatibility (issue 15, 2): `--seed-compat` lets the seed system's clients connect as they are — no token,
// on a loopback bind only — and allows the seed UI's origin. Real sockets; a python3-websockets client as the seed's
// Python clients connect (no token in the URL).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Hub } from '../../src/hub/hub';
import { startHub, connect, agent, frontend, closeAll, waitUntil } from './hubHarness';
import { findPythonWithWebsockets } from './cliHarness';

const PY_REGISTER = `
import asyncio, json, sys, websockets
async def main():
    try:
        async with websockets.connect(sys.argv[1]) as ws:
            await ws.send(json.dumps({"message_type": "REGISTER_AGENT", "agent_name": "seed-py"}))
            print(json.loads(await ws.recv())["message_type"])
    except Exception as e:
        print("REFUSED", type(e).__name__, e)
asyncio.run(main())
`;

function python(t: TestContext): string | undefined {
  const found = findPythonWithWebsockets();
  if (found) return found.python;
  const reason = 'no python3 with the websockets package (Debian: apt-get install python3-websockets)';
  if (process.env.SWITCHBOARD_REQUIRE_BROKERS === '1' || process.env.CI) throw new Error(reason);
  t.skip(reason);
  return undefined;
}

/** Async: the hub runs in this process, so the client must not block its event loop. */
async function pyRegister(py: string, url: string): Promise<string> {
  const r = await promisify(execFile)(py, ['-c', PY_REGISTER, url], { encoding: 'utf8', timeout: 20_000 });
  return r.stdout.trim();
}

test('a python3-websockets client with no token registers under seedCompat and is refused (401) without it', async (t) => {
  const py = python(t);
  if (!py) return;
  const compat = await startHub({ seedCompat: true });
  const plain = await startHub();
  try {
    assert.equal(await pyRegister(py, `ws://localhost:${compat.port}/ws`), 'REGISTER_AGENT_RESPONSE');
    assert.match(await pyRegister(py, `ws://localhost:${plain.port}/ws`), /^REFUSED.*401/);
  } finally {
    await closeAll(compat);
    await closeAll(plain);
  }
});

test('seedCompat allows the seed UI origin http://localhost:5173, still refuses a wrong token, and warns that any local process may connect', async () => {
  const warnings: string[] = [];
  const hub = new Hub({ port: 0, seedCompat: true, pingIntervalMs: 60_000, heartbeatIntervalMs: 60_000 });
  hub.events.on('warning', (w) => warnings.push(w));
  await hub.start();
  assert.ok(warnings.some((w) => /any process on this machine may now connect/.test(w)), warnings.join(' / '));
  const ui = await connect(hub, { token: '', headers: { Origin: 'http://localhost:5173' } });
  await assert.rejects(connect(hub, { token: 'wrong' }), /HTTP 401/);
  await assert.rejects(connect(hub, { token: '', headers: { Origin: 'http://evil.example' } }), /HTTP 403/);
  const plain = await startHub();
  await assert.rejects(connect(plain, { token: '', headers: { Origin: 'http://localhost:5173' } }), /HTTP 401/);
  await closeAll(plain);
  await closeAll(hub, ui);
});

test('seedCompat refuses to start on a bind other machines can reach', async () => {
  for (const host of ['0.0.0.0', '::']) {
    const hub = new Hub({ port: 0, host, seedCompat: true });
    await assert.rejects(hub.start(), /loopback address only/);
    assert.equal(hub.state, 'stopped');
    hub.dispose();
  }
});

// What seed users do to get replies to a plain front-end: one socket registers a front-end, then an agent (the seed's
// server accepts it). A python3-websockets client, no token, under seedCompat: both registrations answered, and the
// reply to its front-end id and the chat to its agent id both arrive on the socket.
const PY_BOTH = `
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1]) as ws:
        async def until(pred):
            while True:
                m = json.loads(await ws.recv())
                if pred(m): return m
        await ws.send(json.dumps({"message_type": "REGISTER_FRONTEND", "frontend_name": "py-ui"}))
        web = (await until(lambda m: m["message_type"] == "REGISTER_FRONTEND_RESPONSE"))["frontend_id"]
        await ws.send(json.dumps({"message_type": "REGISTER_AGENT", "agent_name": "py-agent"}))
        me = (await until(lambda m: m["message_type"] == "REGISTER_AGENT_RESPONSE"))["agent_id"]
        print("AGENT", me, flush=True)
        await ws.send(json.dumps({"message_type": "TEXT", "sender_id": web, "receiver_id": sys.argv[2], "text_payload": "ping from web"}))
        r = await until(lambda m: m.get("message_type") == "REPLY" and m.get("receiver_id") == web)
        print("WEB GOT", r["text_payload"], flush=True)
        t = await until(lambda m: m.get("message_type") == "TEXT" and m.get("receiver_id") == me)
        await ws.send(json.dumps({"message_type": "REPLY", "sender_id": me, "receiver_id": t["sender_id"], "text_payload": "agent answers " + t["text_payload"]}))
        await asyncio.sleep(0.2)
asyncio.run(main())
`;

test('a python3-websockets client with no token registers a front-end and an agent on one socket under seedCompat; both get their chat', async (t) => {
  const py = python(t);
  if (!py) return;
  const hub = await startHub({ seedCompat: true });
  const other = await agent(hub, 'other');
  const ui = await frontend(hub, 'other-ui');
  const child = execFile(py, ['-c', PY_BOTH, `ws://localhost:${hub.port}/ws`, other.id], { encoding: 'utf8', timeout: 20_000 });
  let out = '';
  child.stdout!.on('data', (d: string) => (out += d));
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  const q = await other.c.waitFor((m) => m.text_payload === 'ping from web');
  other.c.send({ message_type: 'REPLY', sender_id: other.id, receiver_id: q.sender_id, text_payload: 'pong to web' });
  await waitUntil(() => /AGENT (\S+)/.test(out), 10_000, 'the agent registration');
  const pyAgent = /AGENT (\S+)/.exec(out)![1]!;
  ui.c.send({ message_type: 'TEXT', sender_id: ui.id, receiver_id: pyAgent, text_payload: 'hello agent' });
  const answer = await ui.c.waitFor((m) => m.text_payload === 'agent answers hello agent');
  assert.equal(answer.sender_id, pyAgent);
  assert.equal(await done, 0, out);
  assert.match(out, /WEB GOT pong to web/);
  await closeAll(hub, other, ui);
});

/**
 * A client that behaves as the seed's early web UI does (read from its code; the UI itself is not run here): it
 * connects with no token, registers with REGISTER_FRONTEND {timestamp} and no name, chats from its own `user_…` id,
 * and appends every frame that is not an AGENT_STATUS_UPDATE to its chat list.
 */
async function earlySeedUi(hub: Hub): Promise<{ c: Awaited<ReturnType<typeof connect>>; chatList: () => unknown[] }> {
  const c = await connect(hub, { token: '' });
  c.send({ message_type: 'REGISTER_FRONTEND', timestamp: new Date().toISOString() });
  await c.waitType('AGENT_STATUS_UPDATE');
  return { c, chatList: () => c.frames.filter((m) => m.message_type !== 'AGENT_STATUS_UPDATE').map((m) => m.message_type) };
}

test('under seedCompat the early seed UI (no name) gets no REGISTER_FRONTEND_RESPONSE or SERVER_HEARTBEAT bubbles, only its chat', async () => {
  const hub = await startHub({ seedCompat: true, heartbeatIntervalMs: 20 });
  const a = await agent(hub, 'a');
  const witness = await frontend(hub, 'named-ui');
  const ui = await earlySeedUi(hub);
  // several heartbeat rounds go by after the UI registered (the named front-end counts them) …
  const before = witness.c.ofType('SERVER_HEARTBEAT').length;
  await witness.c.waitNext(() => witness.c.ofType('SERVER_HEARTBEAT').length >= before + 3, 5000, 'three heartbeat rounds');
  ui.c.send({ message_type: 'TEXT', sender_id: 'user_k3j9x0a1b', receiver_id: a.id, text_payload: 'question' });
  await a.c.waitFor((m) => m.text_payload === 'question');
  a.c.send({ message_type: 'REPLY', sender_id: a.id, receiver_id: 'user_k3j9x0a1b', text_payload: 'answer' });
  // … and the reply, routed after them, arrives after anything they would have brought: the list is the reply only
  await ui.c.waitFor((m) => m.text_payload === 'answer');
  assert.deepEqual(ui.chatList(), ['REPLY']);
  // a front-end with a name is a later client: it still gets its response and heartbeats
  assert.equal(witness.c.frames[0]?.message_type, 'REGISTER_FRONTEND_RESPONSE');
  await closeAll(hub, a, witness, ui.c);
});

test('without seedCompat the same client gets the response and heartbeats (what the early UI would show as bubbles)', async () => {
  const hub = await startHub({ heartbeatIntervalMs: 20 });
  const c = await connect(hub);
  c.send({ message_type: 'REGISTER_FRONTEND', timestamp: new Date().toISOString() });
  await c.waitType('SERVER_HEARTBEAT');
  assert.equal(c.frames[0]?.message_type, 'REGISTER_FRONTEND_RESPONSE');
  await closeAll(hub, c);
});
