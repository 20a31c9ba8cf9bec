// Registrations with a routing broker on RabbitMQ against the same registrations on the memory bus (issue 19): seed-
// style agents (they let the hub pick the id, so on RabbitMQ each reads its own agent_queue_<id>, declared by the hub)
// from two client processes, 100 connecting at a time, after a warm-up of the same work on the same hub. With a broker,
// every registration also goes to agent_metadata_queue for it and into the status updates it receives. The rate is
// the clients' (connect → REGISTER_AGENT_RESPONSE); the broker's catching up (it knows every agent) is reported apart.

import { startProc, fmt, type BenchProc, type Row } from '../lib';
import { RABBIT_URL, cleanupRabbit, runPrefix } from './brokerCommon';
import { HUB_COMMON, hubUrl, procCpuUs, rabbitPid } from './seed';

const SWARMS = 2;
const WARMUP_PER_SWARM = 200;
/** The timed agents' names (swarm.ts: idle-<index>, the warm-up's from index 1,000,000 on). */
const TIMED_AGENTS = '^idle-\\d{1,6}$';
/** What the seed's Python clients did against the seed server, for the notes (shared/notes: issue 19). */
const PYTHON_CLIENTS = '653/s against 1,147/s';

interface RegRun {
  perSec: number;
  /** Hub CPU (ms of one core) per 1,000 registrations, the timed run only. */
  hubCpuMsPerK: number;
  /** Time from `go` until the broker knew every agent (RabbitMQ only). */
  brokerCaughtUpMs?: number;
  /** RabbitMQ's CPU (ms) per 1,000 registrations, until the broker knew them all (an upper bound: others share it). */
  rabbitCpuMsPerK?: number;
}

async function cpuMs(p: BenchProc): Promise<number> {
  const s = await p.stats();
  return (s.cpuUserUs + s.cpuSystemUs) / 1000;
}

/** n registrations from SWARMS client processes on a running hub; the broker (if any) must come to know all of them. */
async function registrations(hub: BenchProc, n: number, broker?: BenchProc): Promise<RegRun> {
  const k = SWARMS;
  const procs = await Promise.all(
    Array.from({ length: k }, (_, i) =>
      startProc('swarm', { url: hubUrl(hub), count: Math.floor(n / k) + (i < n % k ? 1 : 0), register: true, concurrency: Math.ceil(100 / k), onCommand: true, warmup: WARMUP_PER_SWARM }),
    ),
  );
  try {
    await Promise.all(procs.map((p) => p.call('warm')));
    const beam = broker ? rabbitPid() : undefined;
    const r0 = procCpuUs(beam);
    const c0 = await cpuMs(hub);
    const t0 = performance.now();
    const infos = await Promise.all(procs.map((p) => p.call<{ registered: number }>('go')));
    const elapsed = performance.now() - t0;
    const c1 = await cpuMs(hub);
    const registered = infos.reduce((a, x) => a + x.registered, 0);
    if (registered !== n) throw new Error(`only ${registered} of ${n} agents registered`);
    let brokerCaughtUpMs: number | undefined;
    if (broker) {
      const end = Date.now() + 60_000;
      const known = (): Promise<number> => broker.call<number>('knownOnline', TIMED_AGENTS);
      while ((await known()) < n) {
        if (Date.now() > end) throw new Error(`the routing broker learnt ${await known()} of ${n} agents in 60 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
      brokerCaughtUpMs = performance.now() - t0;
    }
    const rabbitCpuMsPerK = beam !== undefined ? (procCpuUs(beam) - r0) / n : undefined;
    return {
      perSec: (n / elapsed) * 1000,
      hubCpuMsPerK: ((c1 - c0) / n) * 1000,
      ...(brokerCaughtUpMs !== undefined ? { brokerCaughtUpMs } : {}),
      ...(rabbitCpuMsPerK !== undefined ? { rabbitCpuMsPerK } : {}),
    };
  } finally {
    for (const p of procs) await p.stop();
  }
}

async function viaMemory(n: number): Promise<RegRun> {
  const hub = await startProc('hubProc', { ...HUB_COMMON, bus: 'memory' });
  try {
    return await registrations(hub, n);
  } finally {
    await hub.stop();
  }
}

async function viaRabbit(n: number): Promise<RegRun> {
  const prefix = runPrefix('seedreg');
  let hub: BenchProc | undefined;
  let broker: BenchProc | undefined;
  try {
    hub = await startProc('hubProc', { ...HUB_COMMON, bus: 'rabbitmq', rabbitmqUrl: RABBIT_URL, busPrefix: prefix });
    broker = await startProc('routingBroker', { rabbitmqUrl: RABBIT_URL, queuePrefix: prefix, hubUrl: hubUrl(hub) });
    return await registrations(hub, n, broker);
  } finally {
    await broker?.stop();
    await hub?.stop();
    await cleanupRabbit(prefix);
  }
}

/** Alternating rounds (memory, RabbitMQ, …); the best of each side. */
export async function seedRegistrationRows(quick: boolean): Promise<Row[]> {
  const n = quick ? 1000 : 2000;
  const rounds = quick ? 1 : 2;
  const mem: RegRun[] = [];
  const rmq: RegRun[] = [];
  for (let r = 0; r < rounds; r++) {
    mem.push(await viaMemory(n));
    rmq.push(await viaRabbit(n));
  }
  const best = (xs: RegRun[]): RegRun => xs.reduce((a, b) => (b.perSec > a.perSec ? b : a));
  const o = best(rmq);
  const b = best(mem);
  const ratio = o.perSec / b.perSec;
  const spread = (xs: RegRun[]): string => xs.map((x) => fmt.rate(x.perSec)).join(', ');
  return [
    {
      what: `registrations with a routing broker on RabbitMQ (${n.toLocaleString('en-US')} seed-style agents, 100 connecting at a time)`,
      ours: fmt.rate(o.perSec),
      baseline: `${fmt.rate(b.perSec)} memory bus`,
      ratio: fmt.ratio(ratio),
      goal: '≥ 0.8×',
      met: ratio >= 0.8,
      notes:
        `rounds: RabbitMQ ${spread(rmq)}; memory ${spread(mem)}. CPU per 1,000 registrations: hub ${o.hubCpuMsPerK.toFixed(0)} ms vs ${b.hubCpuMsPerK.toFixed(0)} ms, ` +
        `RabbitMQ ≤ ${o.rabbitCpuMsPerK?.toFixed(0) ?? 'n/a'} ms (a durable agent_queue_<id> and a REGISTER_AGENT each); ` +
        `the broker knew all ${n.toLocaleString('en-US')} ${fmt.ms(o.brokerCaughtUpMs ?? NaN)} after the first connect. Seed's Python clients: ${PYTHON_CLIENTS}.`,
    },
  ];
}
