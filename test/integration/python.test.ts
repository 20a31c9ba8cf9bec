// Interoperability: the Python example agent (stdlib + Debian's python3-websockets, code nobody here wrote the
// client library of) against a real Hub — registration, PING/PONG presence, TEXT/REPLY, STATUS routed by the
// contextvars session, offline once it disconnects.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FrontendClient } from '../../src/sdk/frontendClient';
import type { StatusLine } from '../../src/sdk/observerClient';
import { startHub, waitUntil } from './hubHarness';
import { findPythonWithWebsockets, Proc, ROOT } from './cliHarness';

const AGENT = join(ROOT, 'examples', 'python', 'agent.py');

/** Python with websockets, or a loud skip — a failure in CI (SWITCHBOARD_REQUIRE_BROKERS=1), like a missing broker. */
function requirePython(t: TestContext): string | undefined {
  const found = findPythonWithWebsockets();
  if (found) return found.python;
  const reason = 'no python3 with the websockets package (Debian: apt-get install python3-websockets; or set SWITCHBOARD_PYTHON)';
  if (process.env.SWITCHBOARD_REQUIRE_BROKERS === '1' || process.env.CI) throw new Error(`interoperability test cannot run: ${reason}`);
  process.stderr.write(`\n*** SKIPPED (python interop): ${reason}\n`);
  t.skip(reason);
  return undefined;
}

test('the Python example agent registers, stays online on PONGs, replies to TEXT, routes STATUS by session, and goes offline when it stops', async (t) => {
  const python = requirePython(t);
  if (!python) return;
  const hub = await startHub({ pingIntervalMs: 150, inactivityTimeoutMs: 1000, logKeepalives: true });
  const proc = new Proc(spawn(python, [AGENT, '--url', hub.agentUrl, '--name', 'py-interop'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  const a = new FrontendClient({ url: hub.agentUrl, name: 'A' });
  const b = new FrontendClient({ url: hub.agentUrl, name: 'B' });
  try {
    const [, agentId] = await proc.waitForLine(/^registered as (agent_[0-9a-f]{8})$/, 20_000);
    assert.equal(hub.agent(agentId!)?.agent_name, 'py-interop');

    // Presence: pinged repeatedly and answering, it is still online after more than one inactivity timeout.
    const pongs = (): number => hub.log.query({ agent_id: agentId, message_type: 'PONG' }).filter((e) => e.direction === 'in').length;
    await waitUntil(() => pongs() >= 10, 10_000, '10 PONGs from the Python agent');
    assert.equal(hub.agent(agentId!)?.status, 'online');

    // Chat and status: two sessions at once, each sees only its own status lines.
    const { frontend_id: aId } = await a.connect();
    const { frontend_id: bId } = await b.connect();
    const linesA: StatusLine[] = [];
    const linesB: StatusLine[] = [];
    a.onStatus((l) => linesA.push(l));
    b.onStatus((l) => linesB.push(l));
    const [idA, idB] = await Promise.all([a.send(agentId!, 'hello from A'), b.send(agentId!, 'bee says hi there')]);
    const [replyA, replyB] = await Promise.all([a.waitForReply(idA, 10_000), b.waitForReply(idB, 10_000)]);
    assert.equal(replyA.text_payload, 'python agent heard 3 word(s): hello from A');
    assert.equal(replyA.sender_id, agentId);
    assert.equal(replyA.in_reply_to_message_id, idA);
    assert.equal(replyB.text_payload, 'python agent heard 4 word(s): bee says hi there');
    await waitUntil(() => linesA.length >= 3 && linesB.length >= 3, 5000, 'three status lines per session');
    assert.deepEqual(linesA.map((l) => l.text), ['thinking about "hello from A"…', 'counting words…', 'writing the answer…']);
    assert.deepEqual(linesB.map((l) => l.text), ['thinking about "bee says hi there"…', 'counting words…', 'writing the answer…']);
    assert.ok(linesA.every((l) => l.session_id === aId && l.agent_id === agentId));
    assert.ok(linesB.every((l) => l.session_id === bId));

    // Offline once it disconnects.
    proc.child.kill('SIGTERM');
    assert.deepEqual(await proc.waitExit(10_000), { code: 0, signal: null }, proc.transcript());
    await waitUntil(() => hub.agent(agentId!)?.status === 'offline', 5000, 'offline after the agent stopped');
  } finally {
    await proc.kill();
    await a.close();
    await b.close();
    await hub.stop();
  }
});

test('the Python example agent comes back under the same id when the hub restarts', async (t) => {
  const python = requirePython(t);
  if (!python) return;
  const first = await startHub({ token: 'tok-py-restart' });
  const { port, token } = first;
  const proc = new Proc(spawn(python, [AGENT, '--url', first.agentUrl, '--name', 'py-phoenix'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  let second: Awaited<ReturnType<typeof startHub>> | undefined;
  try {
    const [, agentId] = await proc.waitForLine(/^registered as (agent_[0-9a-f]{8})$/, 20_000);
    await first.stop();
    second = await startHub({ token, port, portFallback: false });
    await waitUntil(() => second!.agent(agentId!)?.status === 'online', 15_000, 'registered again on the new hub');
    assert.equal(second.agent(agentId!)?.agent_name, 'py-phoenix');
    // The hub marks the agent online before the agent has read its response and printed it: wait for the line.
    await waitUntil(() => proc.count(/^registered as /) >= 2, 10_000, 'the agent to print its second registration');
    assert.equal(proc.count(/^registered as /), 2, proc.transcript());
  } finally {
    await proc.kill();
    await first.stop();
    await second?.stop();
  }
});
