// The seed's third generation from Python (issue 15, 4): a gRPC agent written as the seed's is, on Debian's
// python3-grpcio, with stubs generated at test time from the hub's own .proto files by python3-grpc-tools' protoc.
// Registration, heartbeat, status, the command stream (pause, resume, shutdown), `switchboard agents`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { generateSeedStubs, SEED_PYTHON } from './seedGrpcPython';
import { startHub, closeAll, waitUntil } from './hubHarness';
import { cliRun, Proc, ROOT } from './cliHarness';

const AGENT = join(ROOT, 'test', 'integration', 'seedGrpcAgent.py');

test('a Python gRPC agent (python3-grpcio, stubs from our .proto) registers, heartbeats, reports status, is listed by `switchboard agents`, takes pause/resume/shutdown from its command stream and unregisters', async (t) => {
  const stubs = generateSeedStubs(t);
  if (!stubs) return;
  const hub = await startHub({ grpcPort: 0, pingIntervalMs: 10_000 });
  const proc = new Proc(spawn(SEED_PYTHON, [AGENT, String(hub.grpcPort), stubs, 'py-grpc'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  try {
    const [, id, ok] = await proc.waitForLine(/^registered (agent_[0-9a-f-]{36}) (\w+)$/, 20_000);
    assert.equal(ok, 'True');
    await proc.waitForLine(/^heartbeat True 10$/);
    await proc.waitForLine(/^listening$/);
    await waitUntil(() => hub.agent(id!)?.status === 'online' && hub.agent(id!)?.last_status_text === 'idle', 10_000, 'online and idle');
    assert.equal(hub.agent(id!)?.agent_name, 'py-grpc');

    const table = await cliRun(['agents', '--url', hub.agentUrl]);
    assert.equal(table.exit?.code, 0, table.transcript());
    assert.match(table.stdout.join('\n'), new RegExp(`${id}\\s+py-grpc\\s+online\\s+\\S+\\s+idle`));

    // the stream may open just after "listening": a command sent before it waits for it
    hub.controlAgent('pause', id!);
    await proc.waitForLine(/^command pause [0-9a-f-]{36}$/);
    await waitUntil(() => hub.agent(id!)?.status === 'paused' && hub.agent(id!)?.last_status_text === 'paused', 10_000, 'paused, and reported');
    hub.controlAgent('resume', id!);
    await proc.waitForLine(/^command resume /);
    await waitUntil(() => hub.agent(id!)?.status === 'online' && hub.agent(id!)?.last_status_text === 'idle', 10_000, 'resumed');

    hub.controlAgent('deregister', id!);
    await proc.waitForLine(/^command shutdown /);
    await proc.waitForLine(/^unregistered True$/);
    const exit = await proc.waitExit(20_000);
    assert.equal(exit.code, 0, proc.transcript());
    await waitUntil(() => hub.agent(id!)?.status === 'offline', 10_000, 'offline after UnregisterAgent');
  } finally {
    await proc.kill();
    await closeAll(hub);
  }
});
