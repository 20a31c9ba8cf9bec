// Issue 20: what message breakpoints cost when they match nothing — routed throughput (agent → hub → agent) on a hub
// with 10 breakpoints set against the same hub with none, measured side by side in alternating rounds.

import type WebSocket from 'ws';
import { startProc, fmt, type Row } from '../lib';
import { agentPairs, windowed, alternate } from './ws';

export async function debuggerThroughput(ms = 3000): Promise<{ ours: number; baseline: number }> {
  const P = 8;
  const W = 64;
  const ROUND_MS = 500;
  const withBps = await startProc('hubProc', { logRingSize: 10_000, benchBreakpoints: 10 });
  const without = await startProc('hubProc', { logRingSize: 10_000 });
  const sockets: WebSocket[] = [];
  const pairs = await agentPairs(withBps, P, sockets);
  const bpairs = await agentPairs(without, P, sockets);
  await windowed(pairs, W, 300);
  await windowed(bpairs, W, 300);
  let ours = 0;
  let baseline = 0;
  const rounds = Math.max(2, Math.round(ms / ROUND_MS));
  await alternate(
    rounds,
    async () => void (ours += await windowed(pairs, W, ROUND_MS)),
    async () => void (baseline += await windowed(bpairs, W, ROUND_MS)),
  );
  for (const s of sockets) s.terminate();
  await withBps.stop();
  await without.stop();
  return { ours: ours / rounds, baseline: baseline / rounds };
}

export async function debuggerRows(quick: boolean): Promise<Row[]> {
  const r = await debuggerThroughput(quick ? 1500 : 3000);
  const ratio = r.ours / r.baseline;
  return [{ what: 'routed throughput with 10 message breakpoints that match nothing', ours: fmt.rate(r.ours), baseline: `${fmt.rate(r.baseline)} (no breakpoints)`, ratio: fmt.ratio(ratio), goal: '≥ 0.95×', met: ratio >= 0.95 }];
}
