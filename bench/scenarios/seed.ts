// The seed's own workload beside the seed's figures: front-end → agent → front-end round trips through RabbitMQ and
// our routing broker (hub with bus 'rabbitmq' → broker_input_queue → `switchboard broker` → broker_output_queue → hub
// → agent, and the reply the same way back), sequential and with 100 in flight. Baseline in the same run: the same
// round trip through a hub on the embedded memory bus (no RabbitMQ, no broker). Registrations and idle-agent memory
// are the scale scenario's (ws.ts), whose rows already carry the seed's figures.

import { readdirSync, readFileSync } from 'node:fs';
import type WebSocket from 'ws';
import { startProc, openWs, percentile, fmt, type BenchProc, type Row } from '../lib';
import { RABBIT_URL, cleanupRabbit, runPrefix } from './brokerCommon';

/** The seed measured on this kind of machine (shared/notes/seed-protocol.md). */
const SEED = { p50Ms: 203, sequentialPerSec: 4.9, inFlightPerSec: '40–50/s' };
const IN_FLIGHT = 100;
/** Longest a sequential or in-flight phase runs. */
const PHASE_BUDGET_MS = 10_000;

interface RoundTrips {
  p50: number;
  p99: number;
  sequentialPerSec: number;
  inFlightPerSec: number;
  /** CPU (µs, user + system) per round trip in the in-flight phase: the hub's, and the routing broker's (RabbitMQ only). */
  hubCpuUs: number;
  brokerCpuUs?: number;
  /** The load generator's (this process: front-end and agent) and RabbitMQ's (shared with whoever else uses it). */
  clientCpuUs: number;
  rabbitCpuUs?: number;
}

/** The RabbitMQ server's beam.smp (`-s rabbit`), if it runs on this machine and /proc can be read. */
export function rabbitPid(): number | undefined {
  try {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        if (cmd.includes('beam.smp') && cmd.includes('\0-s\0rabbit')) return Number(d);
      } catch {
        // gone meanwhile, or not ours to read
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}

/** A process's CPU (user + system, µs) from /proc (clock ticks of 10 ms); 0 when it cannot be read. */
export function procCpuUs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch {
    return 0;
  }
}

function ownCpuUs(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

async function cpuUs(p: BenchProc): Promise<number> {
  const s = await p.stats();
  return s.cpuUserUs + s.cpuSystemUs;
}

/** Hub options both sides share: no keepalive traffic or rate limit in the way of a short run. */
export const HUB_COMMON = { pingIntervalMs: 60_000, inactivityTimeoutMs: 120_000, heartbeatIntervalMs: 60_000, rateLimitPerSecond: 1_000_000 };

export function hubUrl(p: BenchProc): string {
  return `ws://127.0.0.1:${p.port}/ws?token=${p.token}`;
}

/** A front-end that sends TEXT to one agent and matches REPLYs by in_reply_to_message_id. */
async function frontEnd(url: string, agentId: string): Promise<{ ws: WebSocket; ask: () => Promise<number> }> {
  const ws = await openWs(url);
  const feId = await new Promise<string>((resolve, reject) => {
    ws.once('message', (d) => {
      const m = JSON.parse(String(d)) as { message_type: string; frontend_id?: string };
      if (m.message_type === 'REGISTER_FRONTEND_RESPONSE' && m.frontend_id) resolve(m.frontend_id);
      else reject(new Error(`front-end registration failed: ${String(d)}`));
    });
    ws.send(JSON.stringify({ message_type: 'REGISTER_FRONTEND', frontend_name: 'bench-frontend' }));
  });
  const waiting = new Map<string, { t0: number; resolve: (ms: number) => void; reject: (e: Error) => void }>();
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as { message_type: string; in_reply_to_message_id?: string; ref_message_id?: string; text_payload?: string };
    if (m.message_type === 'REPLY' && m.in_reply_to_message_id) {
      const w = waiting.get(m.in_reply_to_message_id);
      if (!w) return;
      waiting.delete(m.in_reply_to_message_id);
      w.resolve(performance.now() - w.t0);
    } else if (m.message_type === 'ERROR' && m.ref_message_id) {
      const w = waiting.get(m.ref_message_id);
      if (!w) return;
      waiting.delete(m.ref_message_id);
      w.reject(new Error(m.text_payload ?? 'ERROR'));
    }
  });
  let seq = 0;
  const ask = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const id = `fe-${++seq}`;
      waiting.set(id, { t0: performance.now(), resolve, reject });
      ws.send(
        JSON.stringify({
          message_type: 'TEXT',
          message_id: id,
          sender_id: feId,
          receiver_id: agentId,
          text_payload: 'What is the status of the retrieval benchmark?',
          send_timestamp: new Date().toISOString(),
        }),
      );
    });
  return { ws, ask };
}

/** An agent (WebSocket delivery, as our SDK registers) answering every TEXT with a REPLY to its sender. */
async function replyingAgent(url: string): Promise<{ ws: WebSocket; id: string }> {
  const ws = await openWs(url);
  const id = await new Promise<string>((resolve, reject) => {
    ws.once('message', (d) => {
      const m = JSON.parse(String(d)) as { message_type: string; agent_id?: string };
      if (m.message_type === 'REGISTER_AGENT_RESPONSE' && m.agent_id) resolve(m.agent_id);
      else reject(new Error(`agent registration failed: ${String(d)}`));
    });
    // Without `delivery`, a hub on RabbitMQ treats an agent that let it pick its id as a seed queue reader.
    ws.send(JSON.stringify({ message_type: 'REGISTER_AGENT', agent_name: 'bench-responder', delivery: 'websocket' }));
  });
  let seq = 0;
  ws.on('message', (d) => {
    const s = String(d);
    if (s.includes('"PING"')) return void ws.send(JSON.stringify({ message_type: 'PONG', agent_id: id }));
    const m = JSON.parse(s) as { message_type: string; message_id?: string; sender_id?: string };
    if (m.message_type !== 'TEXT') return;
    ws.send(
      JSON.stringify({
        message_type: 'REPLY',
        message_id: `r-${++seq}`,
        sender_id: id,
        receiver_id: m.sender_id,
        in_reply_to_message_id: m.message_id,
        text_payload: 'All three runs finished; numbers are in the report.',
        send_timestamp: new Date().toISOString(),
      }),
    );
  });
  return { ws, id };
}

/** Round trips on a running hub: warm-up (until the route works), sequential, then IN_FLIGHT at once. */
async function measure(hub: BenchProc, sequential: number, concurrent: number, broker?: BenchProc): Promise<RoundTrips> {
  const url = hubUrl(hub);
  const agent = await replyingAgent(url);
  const fe = await frontEnd(url, agent.id);
  try {
    // Until the routing broker has learnt the agent, it answers with an ERROR: retry briefly.
    const until = Date.now() + 15_000;
    for (;;) {
      try {
        await fe.ask();
        break;
      } catch (err) {
        if (Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    for (let i = 0; i < 50; i++) await fe.ask();

    // Each phase stops at its count or its time budget, whichever comes first (a slow path must not stall the run).
    const lat: number[] = [];
    const t0 = performance.now();
    while (lat.length < sequential && performance.now() - t0 < PHASE_BUDGET_MS) lat.push(await fe.ask());
    const sequentialPerSec = (lat.length / (performance.now() - t0)) * 1000;
    lat.sort((a, b) => a - b);

    const beam = broker ? rabbitPid() : undefined;
    const cpu0 = [...(await Promise.all([cpuUs(hub), broker ? cpuUs(broker) : 0])), ownCpuUs(), procCpuUs(beam)];
    const t1 = performance.now();
    let started = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (started < concurrent && performance.now() - t1 < PHASE_BUDGET_MS) {
          started++;
          await fe.ask();
          done++;
        }
      }),
    );
    const inFlightPerSec = (done / (performance.now() - t1)) * 1000;
    const cpu1 = [...(await Promise.all([cpuUs(hub), broker ? cpuUs(broker) : 0])), ownCpuUs(), procCpuUs(beam)];
    const perTrip = (i: number): number => (cpu1[i]! - cpu0[i]!) / done;
    return {
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      sequentialPerSec,
      inFlightPerSec,
      hubCpuUs: perTrip(0),
      ...(broker ? { brokerCpuUs: perTrip(1) } : {}),
      clientCpuUs: perTrip(2),
      ...(beam !== undefined ? { rabbitCpuUs: perTrip(3) } : {}),
    };
  } finally {
    fe.ws.terminate();
    agent.ws.terminate();
  }
}

/** Through RabbitMQ and our routing broker (each in its own process, as the seed runs them). */
export async function seedViaRabbit(sequential: number, concurrent: number): Promise<RoundTrips> {
  const prefix = runPrefix('seed');
  let hub: BenchProc | undefined;
  let broker: BenchProc | undefined;
  try {
    hub = await startProc('hubProc', { ...HUB_COMMON, bus: 'rabbitmq', rabbitmqUrl: RABBIT_URL, busPrefix: prefix });
    broker = await startProc('routingBroker', { rabbitmqUrl: RABBIT_URL, queuePrefix: prefix, hubUrl: hubUrl(hub) });
    return await measure(hub, sequential, concurrent, broker);
  } finally {
    await broker?.stop();
    await hub?.stop();
    await cleanupRabbit(prefix);
  }
}

/** The same round trip on the embedded memory bus: the hub routes directly. */
export async function seedViaMemory(sequential: number, concurrent: number): Promise<RoundTrips> {
  const hub = await startProc('hubProc', { ...HUB_COMMON, bus: 'memory' });
  try {
    return await measure(hub, sequential, concurrent);
  } finally {
    await hub.stop();
  }
}

export async function seedRows(quick: boolean): Promise<Row[]> {
  const seq = quick ? 200 : 500;
  const conc = quick ? 2000 : 6000;
  const mem = await seedViaMemory(seq, conc);
  const rmq = await seedViaRabbit(seq, conc);
  return [
    {
      what: 'seed workload: front-end → agent → front-end through RabbitMQ + routing broker, sequential p50 / p99',
      ours: `${fmt.ms(rmq.p50)} / ${fmt.ms(rmq.p99)} (${fmt.rate(rmq.sequentialPerSec)})`,
      baseline: `${fmt.ms(mem.p50)} / ${fmt.ms(mem.p99)} (${fmt.rate(mem.sequentialPerSec)}) memory bus; seed p50 ${SEED.p50Ms} ms (${SEED.sequentialPerSec}/s)`,
      ratio: `+${fmt.ms(rmq.p50 - mem.p50)} p50`,
      goal: 'p50 < 5 ms',
      met: rmq.p50 < 5,
    },
    {
      what: `seed workload: round trips with ${IN_FLIGHT} in flight through RabbitMQ + routing broker`,
      ours: fmt.rate(rmq.inFlightPerSec),
      baseline: `${fmt.rate(mem.inFlightPerSec)} memory bus; seed ${SEED.inFlightPerSec}`,
      ratio: fmt.ratio(rmq.inFlightPerSec / mem.inFlightPerSec),
      goal: '≥ 4,000/s',
      met: rmq.inFlightPerSec >= 4000,
      notes: cpuNote(rmq, mem),
    },
  ];
}

/**
 * Where the CPU of a round trip goes, and the rate two cores could reach at most if nothing else ran: the sum of every
 * process's CPU per round trip (RabbitMQ's is an upper bound: others may use the broker at the same time).
 */
function cpuNote(rmq: RoundTrips, mem: RoundTrips): string {
  const us = (x: number | undefined): string => (x === undefined ? 'n/a' : `${x.toFixed(0)} µs`);
  const total = rmq.hubCpuUs + (rmq.brokerCpuUs ?? 0) + rmq.clientCpuUs + (rmq.rabbitCpuUs ?? 0);
  const memTotal = mem.hubCpuUs + mem.clientCpuUs;
  return (
    `CPU per round trip: hub ${us(rmq.hubCpuUs)}, routing broker ${us(rmq.brokerCpuUs)}, RabbitMQ ≤ ${us(rmq.rabbitCpuUs)}, clients ${us(rmq.clientCpuUs)}; ` +
    `${us(total)} in all = at most ${fmt.rate(2e6 / total)} on 2 cores (memory bus: hub ${us(mem.hubCpuUs)}, clients ${us(mem.clientCpuUs)}, at most ${fmt.rate(2e6 / memTotal)})`
  );
}
