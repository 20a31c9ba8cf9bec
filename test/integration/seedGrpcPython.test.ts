// The seed's third generation from Python (issue 15, 4): a gRPC agent written as the seed's is, on Debian's
// python3-grpcio, with stubs generated at test time from the hub's own .proto files by python3-grpc-tools' protoc.
// Registration, heartbeat, status, the command stream (pause, resume, shutdown), `switchboard agents`.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSeedProtos } from '../../src/hub/grpc/seedProtos';
import { startHub, closeAll, waitUntil } from './hubHarness';
import { cliRun, Proc, ROOT } from './cliHarness';

/** Debian's interpreter: python3-grpcio and python3-grpc-tools install there (a pyenv or venv python lacks them). */
const PYTHON = '/usr/bin/python3';
const AGENT = join(ROOT, 'test', 'integration', 'seedGrpcAgent.py');

/** Stubs generated from our .proto files into a temp dir, or a loud skip (a failure under SWITCHBOARD_REQUIRE_BROKERS=1). */
function generateStubs(t: TestContext): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import grpc, grpc_tools'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const reason = `${PYTHON} cannot import grpc and grpc_tools (Debian: apt-get install python3-grpcio python3-grpc-tools)`;
    if (process.env.SWITCHBOARD_REQUIRE_BROKERS === '1' || process.env.CI) throw new Error(`gRPC interoperability test cannot run: ${reason}`);
    process.stderr.write(`\n*** SKIPPED (python gRPC interop): ${reason}\n`);
    t.skip(reason);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-grpc-stubs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const protos = join(dir, 'protos');
  const files = writeSeedProtos(protos);
  const out = spawnSync(PYTHON, ['-m', 'grpc_tools.protoc', `-I${protos}`, `--python_out=${dir}`, `--grpc_python_out=${dir}`, ...files], { encoding: 'utf8' });
  assert.equal(out.status, 0, `protoc failed on our .proto files: ${out.stderr}`);
  return dir;
}

test('a Python gRPC agent (python3-grpcio, stubs from our .proto) registers, heartbeats, reports status, is listed by `switchboard agents`, takes pause/resume/shutdown from its command stream and unregisters', async (t) => {
  const stubs = generateStubs(t);
  if (!stubs) return;
  const hub = await startHub({ grpcPort: 0, pingIntervalMs: 10_000 });
  const proc = new Proc(spawn(PYTHON, [AGENT, String(hub.grpcPort), stubs, 'py-grpc'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
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
