// Lifecycle and the log as the hub uses it: state events, graceful stop (SHUTDOWN then 1001, no open handles in a
// child process), every frame in and out in the ring and in NDJSON files flushed on stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHub, agent, frontend, closeAll } from './hubHarness';
import { Hub } from '../../src/hub/hub';
import type { HubState } from '../../src/hub/hubEvents';
import { LOG_FILE_BASENAME } from '../../src/hub/eventLog';

test('start and stop move through starting → running → stopping → stopped; stop is idempotent', async () => {
  const hub = new Hub({ port: 0 });
  const states: HubState[] = [];
  hub.events.on('state', (s) => states.push(s));
  assert.equal(hub.state, 'stopped');
  await hub.start();
  await assert.rejects(hub.start(), /running/);
  await Promise.all([hub.stop(), hub.stop()]);
  await hub.stop();
  assert.deepEqual(states, ['starting', 'running', 'stopping', 'stopped']);
  assert.throws(() => hub.sendMessage({ receiver_id: 'x', text_payload: 'y' }), /start it first/);
});

test('stop() called while the hub is starting waits for the start and leaves it stopped with its port released', async () => {
  const hub = new Hub({ port: 0 });
  const started = hub.start();
  assert.equal(hub.state, 'starting');
  const stopped = hub.stop();
  await started;
  await stopped;
  assert.equal(hub.state, 'stopped');
  await hub.start(); // and it can start again
  assert.equal(hub.state, 'running');
  await hub.stop();
});

test('stop sends SHUTDOWN to every client, then closes each with 1001 "Server shutdown"', async () => {
  const hub = await startHub();
  const a = await agent(hub);
  const f = await frontend(hub);
  await hub.stop();
  for (const c of [a.c, f.c]) {
    const closed = await c.waitClose();
    assert.deepEqual(closed, { code: 1001, reason: 'Server shutdown' });
    assert.equal(c.frames.at(-1)?.message_type, 'SHUTDOWN');
  }
  hub.dispose();
});

/** Runs the fixture; resolves with its output and whether it exited within `exitWithinMs` of printing its result. */
function runExitFixture(dir: string, exitWithinMs: number): Promise<{ stdout: string; stderr: string; code: number | null; exitedInTime: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'integration', 'hubExitFixture.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let exitTimer: NodeJS.Timeout | undefined;
    let exitedInTime = true;
    // Starting tsx on a loaded 2-core machine can take tens of seconds: only the time after the result counts.
    const startTimer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!exitTimer && stdout.includes('\n')) {
        exitTimer = setTimeout(() => {
          exitedInTime = false;
          child.kill('SIGKILL');
        }, exitWithinMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(startTimer);
      if (exitTimer) clearTimeout(exitTimer);
      resolve({ stdout, stderr, code, exitedInTime });
    });
  });
}

test('after stop the process exits on its own: no timer, socket or file handle left open', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-exit-'));
  try {
    const res = await runExitFixture(dir, 15_000);
    assert.ok(res.exitedInTime, `the child did not exit by itself after stop: ${res.stdout} ${res.stderr}`);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { seen: string[]; state: string; resources: string[] };
    assert.equal(out.state, 'stopped');
    // stdout/stderr pipes to this process are the only resources allowed to remain
    assert.deepEqual(out.resources.filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap'), []);
    for (const role of ['REGISTER_AGENT', 'REGISTER_FRONTEND', 'REGISTER_MONITOR', 'REGISTER_BROKER']) {
      const shutdownAt = out.seen.indexOf(`${role}:SHUTDOWN`);
      const closeAt = out.seen.indexOf(`${role}:close:1001:Server shutdown`);
      assert.ok(shutdownAt >= 0 && closeAt > shutdownAt, `${role}: SHUTDOWN then close 1001 (${out.seen.join(', ')})`);
    }
    const lines = readFileSync(join(dir, `${LOG_FILE_BASENAME}.ndjson`), 'utf8').trim().split('\n');
    assert.equal((JSON.parse(lines.at(-1)!) as { message_type: string }).message_type, 'HUB_STOPPED', 'the log was flushed on stop');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every chat frame in and out is in the log with its ids, and queryable by agent and thread', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-log-'));
  try {
    const hub = await startHub({ logDir: dir });
    const a = await agent(hub, 'a');
    const f = await frontend(hub);
    f.c.send({ message_type: 'TEXT', sender_id: f.id, receiver_id: a.id, text_payload: 'q', message_id: 'm-q', thread: 'th-9' });
    const q = await a.c.waitType('TEXT');
    a.c.send({ message_type: 'REPLY', sender_id: a.id, receiver_id: f.id, text_payload: 'r', in_reply_to_message_id: q.message_id, thread: 'th-9' });
    await f.c.waitType('REPLY');
    const thread = hub.log.query({ thread: 'th-9' });
    assert.deepEqual(
      thread.map((e) => `${e.direction} ${e.message_type} ${e.client_id}`),
      [`in TEXT ${f.id}`, `out TEXT ${a.id}`, `in REPLY ${a.id}`, `out REPLY ${f.id}`],
    );
    assert.ok(thread.every((e) => e.size > 0));
    const types = new Set(hub.log.query({ agent_id: a.id }).map((e) => e.message_type));
    for (const t of ['REGISTER_AGENT', 'REGISTER_AGENT_RESPONSE', 'TEXT', 'REPLY']) assert.ok(types.has(t), t);
    await closeAll(hub, a, f);
    const onDisk = readFileSync(join(dir, `${LOG_FILE_BASENAME}.ndjson`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message_type: string; thread?: string });
    assert.equal(onDisk.filter((e) => e.thread === 'th-9').length, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keepalives are left out of the log by default and kept with logKeepalives', async () => {
  const quiet = await startHub({ pingIntervalMs: 20 });
  const a = await agent(quiet);
  await a.c.waitType('PING');
  assert.equal(quiet.log.query({ message_type: 'PING' }).length, 0);
  await closeAll(quiet, a);
  const loud = await startHub({ pingIntervalMs: 20, logKeepalives: true });
  const b = await agent(loud);
  await b.c.waitType('PING');
  assert.ok(loud.log.query({ message_type: 'PING' }).length >= 1);
  await closeAll(loud, b);
});
