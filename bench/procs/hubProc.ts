// A hub in its own process for benchmarks, reporting its memory and CPU over IPC.
// BENCH_HEAP_PROF=1 samples every allocation site (collected objects included, so short-lived garbage shows) and writes
// bench/results/prof/hub-<pid>.heapprofile when stopped: where the bytes per message come from.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector';
import { Hub } from '../../src/hub/hub';
import { serveIpc } from '../lib';

const opts = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const session = process.env.BENCH_HEAP_PROF ? new Session() : undefined;

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => session!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
}

async function main(): Promise<void> {
  if (session) {
    session.connect();
    await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  const hub = new Hub({ port: 0, token: 'bench', rateLimitPerSecond: 1_000_000, ...opts });
  await hub.start();
  serveIpc({ hubStats: () => hub.stats() }, async () => {
    await hub.stop('bench done');
    if (session) {
      const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
      const dir = join(__dirname, '..', 'results', 'prof');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `hub-${process.pid}.heapprofile`), JSON.stringify(profile));
      session.disconnect();
    }
  });
  process.send?.({ type: 'ready', port: hub.port, token: hub.token });
}
void main();
