// Seed compatibility (issue 15, 2): `--seed-compat` lets the seed system's clients connect as they are — no token,
// on a loopback bind only — and allows the seed UI's origin. Real sockets; a python3-websockets client as the seed's
// Python clients connect (no token in the URL).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Hub } from '../../src/hub/hub';
import { startHub, connect, closeAll } from './hubHarness';
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
