// Shared bench helpers: child processes that report their own memory and CPU over IPC, raw ws clients, statistics.

import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import WebSocket from 'ws';

export interface ProcStats {
  rss: number;
  heapUsed: number;
  cpuUserUs: number;
  cpuSystemUs: number;
}

export interface BenchProc {
  child: ChildProcess;
  port: number;
  token: string;
  stats(gc?: boolean): Promise<ProcStats>;
  call<T = unknown>(cmd: string, arg?: unknown): Promise<T>;
  stop(): Promise<void>;
}

let callSeq = 0;

const built = new Map<string, string>();

/**
 * bench/procs/<name>.ts bundled the way esbuild.mjs bundles the product (node20, CommonJS, no keepNames), into
 * bench/.build/ once per run: the hub measured is the code that ships in dist/, not tsx's on-the-fly transform,
 * whose keepNames wraps every function and closure it creates in a defineProperty call.
 */
function bundled(name: string): string {
  let file = built.get(name);
  if (!file) {
    file = join(__dirname, '.build', `${name}.js`);
    buildSync({ entryPoints: [join(__dirname, 'procs', `${name}.ts`)], outfile: file, bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'linked', logLevel: 'warning', legalComments: 'none', external: ['esbuild'] });
    built.set(name, file);
  }
  return file;
}

/** Fork bench/procs/<name>.ts (bundled) with --expose-gc; resolves when it reports READY {port, token}. */
export function startProc(name: string, args: Record<string, unknown> = {}): Promise<BenchProc> {
  const child = fork(bundled(name), [JSON.stringify(args)], {
    execArgv: ['--enable-source-maps', '--expose-gc', '--max-old-space-size=4096', ...(process.env.BENCH_CPU_PROF && name === 'hubProc' ? ['--cpu-prof', '--cpu-prof-dir=bench/results/prof'] : []), ...(process.env.BENCH_TRACE_GC && name === 'hubProc' ? ['--trace-gc'] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (v: unknown) => void>();
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`${name} exited with ${code} before READY`));
    child.once('exit', onExit);
    child.on('message', (m: { type: string; id?: number; value?: unknown; port?: number; token?: string }) => {
      if (m.type === 'ready') {
        child.off('exit', onExit);
        const call = <T>(cmd: string, arg?: unknown): Promise<T> =>
          new Promise<T>((res) => {
            const id = ++callSeq;
            pending.set(id, res as (v: unknown) => void);
            child.send({ cmd, arg, id });
          });
        const proc: BenchProc = {
          child,
          port: m.port!,
          token: m.token ?? '',
          call,
          stats: (gc = false) => call<ProcStats>('stats', gc),
          stop: () =>
            new Promise<void>((res) => {
              if (child.exitCode !== null) return res();
              child.once('exit', () => res());
              child.send({ cmd: 'stop', id: 0 });
              setTimeout(() => child.kill('SIGKILL'), 5000).unref();
            }),
        };
        resolve(proc);
      } else if (m.type === 'result' && m.id !== undefined) {
        pending.get(m.id)?.(m.value);
        pending.delete(m.id);
      }
    });
  });
}

/** Used inside a bench child: answer stats/stop and custom commands over IPC. */
export function serveIpc(handlers: Record<string, (arg: unknown) => unknown | Promise<unknown>>, stop: () => Promise<void>): void {
  process.on('message', async (m: { cmd: string; arg?: unknown; id: number }) => {
    if (m.cmd === 'stop') {
      await stop();
      process.exit(0);
    }
    let value: unknown;
    if (m.cmd === 'stats') {
      if (m.arg && typeof global.gc === 'function') {
        global.gc();
        global.gc();
      }
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      value = { rss: mem.rss, heapUsed: mem.heapUsed, cpuUserUs: cpu.user, cpuSystemUs: cpu.system } satisfies ProcStats;
    } else value = await handlers[m.cmd]?.(m.arg);
    process.send?.({ type: 'result', id: m.id, value });
  });
}

export function openWs(url: string, opts: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Open a raw agent connection and register it; resolves with its id once REGISTER_AGENT_RESPONSE arrives. */
export async function rawAgent(url: string, name: string, onFrame?: (data: string) => void): Promise<{ ws: WebSocket; id: string }> {
  const ws = await openWs(url);
  return new Promise((resolve, reject) => {
    ws.once('message', (d) => {
      const m = JSON.parse(String(d)) as { message_type: string; agent_id?: string; text_payload?: string };
      if (m.message_type !== 'REGISTER_AGENT_RESPONSE' || !m.agent_id) return reject(new Error(`registration failed: ${String(d)}`));
      ws.on('message', (data) => {
        const s = String(data);
        if (s.includes('"PING"')) ws.send(JSON.stringify({ message_type: 'PONG', agent_id: m.agent_id }));
        else onFrame?.(s);
      });
      resolve({ ws, id: m.agent_id });
    });
    ws.send(JSON.stringify({ message_type: 'REGISTER_AGENT', agent_name: name }));
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(xs: number[]): number {
  return percentile([...xs].sort((a, b) => a - b), 50);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export interface Row {
  what: string;
  ours: string;
  baseline: string;
  ratio: string;
  goal: string;
  met: boolean | null;
  notes?: string;
}

export const fmt = {
  rate: (x: number): string => `${Math.round(x).toLocaleString('en-US')}/s`,
  ms: (x: number): string => `${x.toFixed(x < 10 ? 2 : 1)} ms`,
  kb: (x: number): string => `${(x / 1024).toFixed(1)} KiB`,
  ratio: (x: number): string => `${x.toFixed(2)}×`,
  pct: (x: number): string => `${(x * 100).toFixed(2)}%`,
};

/**
 * Ours and the baseline run side by side (both servers up, both client sets connected) and are measured in
 * alternating rounds, so background load on the two shared cores (other test runs) hits both alike.
 */
export async function alternate(rounds: number, ours: () => Promise<void>, baseline: () => Promise<void>): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      await ours();
      await baseline();
    } else {
      await baseline();
      await ours();
    }
  }
}

/** One side of a burst measurement: how to send one message, and a counter per receiver that counts deliveries. */
export interface BurstSide {
  send: () => void;
  got: number[];
  what: string;
}

/**
 * Messages/s delivered to every receiver, ours against the baseline in two alternating rounds of k/2 messages each:
 * a round sends its burst, then waits until every receiver's count rose by that many.
 */
export async function burstRates(k: number, ours: BurstSide, baseline: BurstSide, timeoutMs: number): Promise<{ ours: number; baseline: number }> {
  const rounds = 2;
  const per = Math.max(1, Math.round(k / rounds));
  const burst = async (side: BurstSide): Promise<number> => {
    const target = side.got.map((c) => c + per);
    const t0 = performance.now();
    for (let i = 0; i < per; i++) side.send();
    await waitFor(() => side.got.every((c, i) => c >= target[i]!), timeoutMs, side.what);
    return performance.now() - t0;
  };
  let oursMs = 0;
  let baseMs = 0;
  await alternate(
    rounds,
    async () => void (oursMs += await burst(ours)),
    async () => void (baseMs += await burst(baseline)),
  );
  return { ours: ((per * rounds) / oursMs) * 1000, baseline: ((per * rounds) / baseMs) * 1000 };
}
