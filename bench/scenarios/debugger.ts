// Issue 20: what message breakpoints cost when they match nothing — routed throughput (agent → hub → agent) on a hub
// with 10 breakpoints set against the same hub with none, measured side by side in alternating rounds. Each hub's
// CPU time per delivered message is taken over the same rounds: on a loaded machine the rate ratio strays (see the
// A/A row, BENCH_DEBUGGER_AA=1) while the CPU each message costs the hub says what the breakpoints add.

import type WebSocket from 'ws';
import { startProc, fmt, percentile, type BenchProc, type Row } from '../lib';
import { Breakpoints } from '../../src/hub/debugger/breakpoints';
import { agentPairs, windowed, alternate, type Pair } from './ws';

interface Side {
  rate: number;
  cpuUs: number;
  delivered: number;
}

/** One round on one hub: its rate, and its CPU time (user + system) and deliveries over the round. */
async function round(hub: BenchProc, pairs: Pair[], window: number, ms: number, side: Side): Promise<void> {
  const count = (): number => pairs.reduce((a, p) => a + p.delivered(), 0);
  const s0 = await hub.stats();
  const d0 = count();
  side.rate += await windowed(pairs, window, ms);
  const s1 = await hub.stats();
  side.cpuUs += s1.cpuUserUs + s1.cpuSystemUs - s0.cpuUserUs - s0.cpuSystemUs;
  side.delivered += count() - d0;
}

/** `breakpoints`: how many the measured hub has (0: an A/A run, both hubs alike — the noise floor of the ratio). */
export async function debuggerThroughput(ms = 3000, breakpoints = 10): Promise<{ ours: number; baseline: number; oursCpuUs: number; baselineCpuUs: number }> {
  const P = 8;
  const W = 64;
  const ROUND_MS = 500;
  const withBps = await startProc('hubProc', { logRingSize: 10_000, benchBreakpoints: breakpoints });
  const without = await startProc('hubProc', { logRingSize: 10_000 });
  const sockets: WebSocket[] = [];
  const pairs = await agentPairs(withBps, P, sockets);
  const bpairs = await agentPairs(without, P, sockets);
  await windowed(pairs, W, 300);
  await windowed(bpairs, W, 300);
  const ours: Side = { rate: 0, cpuUs: 0, delivered: 0 };
  const baseline: Side = { rate: 0, cpuUs: 0, delivered: 0 };
  const rounds = Math.max(2, Math.round(ms / ROUND_MS));
  await alternate(
    rounds,
    () => round(withBps, pairs, W, ROUND_MS, ours),
    () => round(without, bpairs, W, ROUND_MS, baseline),
  );
  for (const s of sockets) s.terminate();
  await withBps.stop();
  await without.stop();
  return { ours: ours.rate / rounds, baseline: baseline.rate / rounds, oursCpuUs: ours.cpuUs / ours.delivered, baselineCpuUs: baseline.cpuUs / baseline.delivered };
}

/**
 * The check itself: 10 breakpoints that match nothing against chat messages, each message timed in batches of 100
 * (one check is below the timer's resolution), so the figure is the p99 of the per-message cost; the baseline is
 * the same loop with no breakpoints set (what the router pays without a debugger is one length check, less still).
 */
export function breakpointCheckCost(n: number): { p99Us: number; baselineP99Us: number } {
  const names = new Map([['agent_b0', 'planner']]);
  const nameOf = (id: string): string | undefined => names.get(id);
  const run = (bps: Breakpoints): number => {
    const per: number[] = [];
    for (let i = 0; i < n; i += 100) {
      const t0 = performance.now();
      for (let j = 0; j < 100; j++) {
        bps.check({ message_type: 'TEXT', sender_id: 'agent_a0', receiver_id: 'agent_b0', text_payload: `Please summarise finding ${i + j} and list follow-ups.` }, nameOf);
      }
      per.push(((performance.now() - t0) * 1000) / 100);
    }
    per.sort((a, b) => a - b);
    return percentile(per, 99);
  };
  const ten = new Breakpoints();
  ten.set('bench', Array.from({ length: 10 }, (_, i) => ({ filter: i % 2 ? `type:TEXT text:never-${i}` : `to:coder text:never-${i}` })));
  const none = new Breakpoints();
  run(ten); // warm-up
  run(none);
  return { p99Us: run(ten), baselineP99Us: run(none) };
}

export async function debuggerRows(quick: boolean): Promise<Row[]> {
  const r = await debuggerThroughput(quick ? 1500 : 3000);
  const ratio = r.ours / r.baseline;
  const c = breakpointCheckCost(quick ? 100_000 : 400_000);
  const rows: Row[] = [
    { what: 'routed throughput with 10 message breakpoints that match nothing', ours: fmt.rate(r.ours), baseline: `${fmt.rate(r.baseline)} (no breakpoints)`, ratio: fmt.ratio(ratio), goal: '≥ 0.95×', met: ratio >= 0.95, notes: cpuNote(r) },
    { what: 'added latency: 10 non-matching breakpoints checked per message, p99', ours: `${c.p99Us.toFixed(2)} µs`, baseline: `${c.baselineP99Us.toFixed(2)} µs (none set)`, ratio: `+${(c.p99Us - c.baselineP99Us).toFixed(2)} µs`, goal: '—', met: null, notes: 'per message, batches of 100 timed' },
  ];
  if (process.env.BENCH_DEBUGGER_AA) {
    // the same measurement with no breakpoints on either hub: how far the ratio strays when nothing differs
    const aa = await debuggerThroughput(quick ? 1500 : 3000, 0);
    rows.push({ what: 'A/A: the same routed throughput, no breakpoints on either hub', ours: fmt.rate(aa.ours), baseline: `${fmt.rate(aa.baseline)} (no breakpoints)`, ratio: fmt.ratio(aa.ours / aa.baseline), goal: '1×', met: null, notes: `noise floor of the row above (BENCH_DEBUGGER_AA=1); ${cpuNote(aa)}` });
  }
  return rows;
}

function cpuNote(r: { oursCpuUs: number; baselineCpuUs: number }): string {
  return `hub CPU per message ${r.oursCpuUs.toFixed(1)} µs against ${r.baselineCpuUs.toFixed(1)} µs (${fmt.ratio(r.oursCpuUs / r.baselineCpuUs)})`;
}
