// `switchboard reconstruct` against a running hub, as a person runs it: a separate process, over the WebSocket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ReconstructionT } from '../../src/protocol/contextSchemas';
import { world, conversation, kill } from './reconstructScenario';

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('switchboard reconstruct --json asks the peers through the hub, finishes early and reports what the agent owed', async () => {
  const w = await world({ carrier: 'hub' });
  try {
    const { worker, p1, p2, todoId, askId } = await conversation(w);
    const failed = await kill(w, worker);
    const out = await cli(['reconstruct', failed, '--url', w.hub.agentUrl, '--timeout', '20000', '--json']);
    assert.equal(out.code, 0, out.stderr);
    const r = JSON.parse(out.stdout) as ReconstructionT;
    assert.equal(r.transport, 'websocket');
    assert.equal(r.finished, 'all_answered');
    assert.ok(r.duration_ms < 10_000, `${r.duration_ms} ms`);
    assert.deepEqual([...r.peers_answered].sort(), [p1.id, p2.id].sort());
    assert.deepEqual(r.unanswered_messages.map((e) => e.message_id), [todoId]);
    assert.ok(r.timeline.find((e) => e.message_id === askId)?.sources.includes('hub'), 'the hub log (monitor backlog) is merged');
    assert.equal(r.last_status, 'deploying build 42');
    process.stderr.write(`[timing] CLI through the hub: ${r.duration_ms} ms\n`);
  } finally {
    await w.close();
  }
});

test('switchboard reconstruct prints a readable report by name, with the unanswered message', async () => {
  const w = await world({ carrier: 'hub' });
  try {
    const { worker } = await conversation(w);
    await kill(w, worker);
    const out = await cli(['reconstruct', 'worker', '--url', w.hub.agentUrl, '--timeout', '20000']);
    assert.equal(out.code, 0, out.stderr);
    // names beside ids wherever the hub knows them: a restarted "worker" stays apart from the failed one by its id
    assert.match(out.stdout, /Reconstruction of worker \(agent_[0-9a-f]{8}\) — every peer answered/);
    assert.match(out.stdout, /answered: \w[\w-]* \(agent_[0-9a-f]{8}\), \w[\w-]* \(agent_[0-9a-f]{8}\)/);
    assert.match(out.stdout, /Unanswered \(1\)[\s\S]*todo: deploy build 42/);
  } finally {
    await w.close();
  }
});
