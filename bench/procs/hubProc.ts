// A hub in its own process for benchmarks, reporting its memory and CPU over IPC.
// BENCH_HEAP_PROF=1 samples every allocation site (collected objects included, so short-lived garbage shows) and writes
// bench/results/prof/hub-<pid>.heapprofile when stopped: where the bytes per message come from. The `cpuProfile` command
// profiles one phase of a scenario (e.g. idle presence, not the registrations before it) into
// bench/results/prof/hub-<pid>-<label>.cpuprofile.
import { Hub } from '../../src/hub/hub';
import { serveIpc } from '../lib';
import { closeProfiler, post, writeProfile } from './profiler';
import { PerformanceObserver, constants as perf } from 'node:perf_hooks';

const opts = { ...(JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>), ...(JSON.parse(process.env.BENCH_HUB_OPTS ?? '{}') as Record<string, unknown>) };
const heapProfile = Boolean(process.env.BENCH_HEAP_PROF);

/** CPU profile of the next `ms` milliseconds. */
async function cpuProfile(arg: unknown): Promise<string> {
  const { ms, label } = arg as { ms: number; label: string };
  await post('Profiler.enable');
  await post('Profiler.start');
  await new Promise((r) => setTimeout(r, ms));
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  return writeProfile(`hub-${process.pid}-${label}.cpuprofile`, profile);
}

/** GC pauses since the last call, by kind (scavenges are what a latency tail is made of here). */
const gc = { minor: [] as number[], major: [] as number[] };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
    (kind === perf.NODE_PERFORMANCE_GC_MINOR ? gc.minor : gc.major).push(e.duration);
  }
}).observe({ entryTypes: ['gc'] });
function gcStats(): { minor: number[]; major: number[] } {
  return { minor: gc.minor.splice(0), major: gc.major.splice(0) };
}

async function main(): Promise<void> {
  if (heapProfile) {
    await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  const hub = new Hub({ port: 0, token: 'bench', rateLimitPerSecond: 1_000_000, ...opts });
  await hub.start();
  serveIpc({ hubStats: () => hub.stats(), cpuProfile, gcStats }, async () => {
    await hub.stop('bench done');
    if (heapProfile) {
      const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
      writeProfile(`hub-${process.pid}.heapprofile`, profile);
    }
    closeProfiler();
  });
  // issue 20's bench: breakpoints that match nothing, so every routed message pays the check
  if (typeof opts.benchBreakpoints === 'number') hub.debugger.setBreakpoints('bench', Array.from({ length: opts.benchBreakpoints }, (_, i) => ({ filter: `type:TEXT text:never-${i}` })));
  process.send?.({ type: 'ready', port: hub.port, token: hub.token });
}
void main();
