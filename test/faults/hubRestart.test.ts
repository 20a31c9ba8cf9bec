// The hub process killed (SIGKILL, no chance to flush) and started again on the same port: SDK agents reconnect
// under their own ids, and the event log on disk is intact up to the last flushed entry.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { AgentClient } from '../../src/sdk/agentClient';
import { FrontendClient } from '../../src/sdk/frontendClient';
import { waitFor, sleep } from './helpers';
import { Proc } from '../integration/cliHarness';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startHub(port: number, logDir: string): Promise<{ proc: Proc; url: string }> {
  const proc = new Proc(
    spawn(process.execPath, [CLI, 'hub', '--port', String(port), '--no-port-fallback', '--token', 'restart-token', '--log-dir', logDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  // whole lines: a URL cut by the end of a chunk never matches with half its token
  const m = await proc.waitForLine(/ws:\/\/127\.0\.0\.1:\d+\/ws\?token=\S+/);
  return { proc, url: m[0] };
}

test('after kill -9 and a restart on the same port, agents are back under their ids and the log on disk parses up to the last flushed entry', async () => {
  const port = await freePort();
  const logDir = mkdtempSync(join(tmpdir(), 'sb-restart-'));
  let hub = await startHub(port, logDir);
  const agents = ['alpha', 'beta', 'gamma'].map((name) => new AgentClient({ url: hub.url, name, reconnect: { initialMs: 100, maxMs: 500 } }));
  const fe = new FrontendClient({ url: hub.url, name: 'restart-ui', reconnect: { initialMs: 100, maxMs: 500 } });
  try {
    for (const a of agents) {
      a.onMessage(async (m, ctx) => ctx.reply(`ack ${String(m.text_payload)}`));
      await a.connect();
    }
    await fe.connect();
    const ids = agents.map((a) => a.id!);
    // traffic so the log has something to lose
    for (let i = 0; i < 50; i++) await fe.send(ids[i % 3]!, `before-${i}`);
    await sleep(600); // past the log's batch interval: these entries are flushed

    await hub.proc.kill(); // SIGKILL
    const files = readdirSync(logDir).filter((f) => f.endsWith('.ndjson'));
    assert.ok(files.length > 0, 'the log folder has NDJSON files');
    let entries = 0;
    let lastSeq = -1;
    for (const f of files.sort().reverse()) {
      const lines = readFileSync(join(logDir, f), 'utf8').split('\n');
      const complete = lines.slice(0, -1); // a kill may cut the last line; every complete line must parse
      for (const line of complete) {
        const e = JSON.parse(line) as { seq: number; message_type: string };
        assert.ok(e.seq > lastSeq, 'sequence numbers increase');
        lastSeq = e.seq;
        entries++;
      }
    }
    assert.ok(entries >= 100, `the flushed entries are on disk (${entries})`);

    hub = await startHub(port, logDir);
    await waitFor(() => agents.every((a) => a.registrationCount >= 2), 20_000, 'every agent to register again');
    assert.deepEqual(agents.map((a) => a.id), ids, 'same ids after the restart');
    // and they work: the front-end (reconnected too) gets replies again
    const mid = await fe.send(ids[0]!, 'after-restart');
    const reply = await fe.waitForReply(mid, 10_000);
    assert.equal(reply.text_payload, 'ack after-restart');
  } finally {
    for (const a of agents) await a.close();
    await fe.close();
    if (!hub.proc.exit) {
      hub.proc.child.kill('SIGTERM');
      await hub.proc.waitExit();
    }
    rmSync(logDir, { recursive: true, force: true });
  }
});
