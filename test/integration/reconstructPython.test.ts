// The Python example peer (examples/python/context_peer.py, websockets from Debian) answers a reconstruction through
// the hub relay on its own, and a Python replacement registered with restore_from receives RESTORE_CONTEXT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { world, kill } from './reconstructScenario';
import { waitUntil } from './hubHarness';

function python(args: string[]): { p: ChildProcess; out: () => string } {
  const p = spawn('/usr/bin/python3', ['examples/python/context_peer.py', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { p, out: () => out };
}

test('a Python peer answers REQUEST_CONTEXT from its own chat log and is counted; a Python replacement is restored', async () => {
  const w = await world({ carrier: 'hub' });
  const procs: ChildProcess[] = [];
  try {
    const py = python(['--url', w.hub.agentUrl, '--name', 'py-peer']);
    procs.push(py.p);
    await waitUntil(() => /registered as (agent_\w+)/.test(py.out()), 15_000, 'the python peer to register');
    const pyId = /registered as (agent_\w+)/.exec(py.out())![1]!;
    const worker = await w.sdk('worker');
    const asked = new Promise<void>((resolve) => worker.onMessage((m) => {
      if (m.message_type === 'REPLY') resolve();
    }));
    const textId = await worker.send(pyId, 'please file the report');
    await asked;
    const failed = await kill(w, worker);
    const r = await w.rec.reconstruct(failed, { timeoutMs: 20_000 });
    assert.equal(r.finished, 'all_answered', py.out());
    assert.deepEqual(r.peers_answered, [pyId]);
    assert.ok(r.timeline.find((e) => e.message_id === textId)?.sources.includes(pyId), 'the python peer reported the message');
    assert.deepEqual(r.memory_states[pyId], { agent: 'py-peer', asked_about: failed });

    const repl = python(['--url', w.hub.agentUrl, '--name', 'worker-2', '--restore-from', failed]);
    procs.push(repl.p);
    await waitUntil(() => /restored: \d+ unanswered for agent_/.test(repl.out()), 20_000, 'the python replacement to be restored');
    assert.match(repl.out(), new RegExp(`restored: 0 unanswered for ${failed}`));
  } finally {
    for (const p of procs) p.kill();
    await w.close();
  }
});
