// Python stubs of the seed's gRPC services for the interoperability tests: generated at test time from the hub's own
// .proto files by Debian's python3-grpc-tools, run by Debian's /usr/bin/python3 (a pyenv or venv python lacks the
// Debian packages). Missing packages skip loudly, and fail under SWITCHBOARD_REQUIRE_BROKERS=1 or CI.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSeedProtos } from '../../src/hub/grpc/seedProtos';

export const SEED_PYTHON = '/usr/bin/python3';

/** The stub directory, or undefined after a loud skip. `modules`: further Python modules the test needs (e.g. pika). */
export function generateSeedStubs(t: TestContext, modules: string[] = []): string | undefined {
  const wanted = ['grpc', 'grpc_tools', ...modules];
  const probe = spawnSync(SEED_PYTHON, ['-c', `import ${wanted.join(', ')}`], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const debs = ['python3-grpcio', 'python3-grpc-tools', ...modules.map((m) => `python3-${m}`)].join(' ');
    const reason = `${SEED_PYTHON} cannot import ${wanted.join(', ')} (Debian: apt-get install ${debs})`;
    if (process.env.SWITCHBOARD_REQUIRE_BROKERS === '1' || process.env.CI) throw new Error(`gRPC interoperability test cannot run: ${reason}`);
    process.stderr.write(`\n*** SKIPPED (python gRPC interop): ${reason}\n`);
    t.skip(reason);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-grpc-stubs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const protos = join(dir, 'protos');
  const files = writeSeedProtos(protos);
  const out = spawnSync(SEED_PYTHON, ['-m', 'grpc_tools.protoc', `-I${protos}`, `--python_out=${dir}`, `--grpc_python_out=${dir}`, ...files], { encoding: 'utf8' });
  assert.equal(out.status, 0, `protoc failed on our .proto files: ${out.stderr}`);
  return dir;
}
