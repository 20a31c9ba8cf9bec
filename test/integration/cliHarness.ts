// Runs real processes for the CLI and interoperability tests — the CLI bundled from source the way esbuild.mjs
// bundles dist/cli.js, the Python example agent — and lets a test wait for a line of output instead of sleeping.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

export const ROOT = join(__dirname, '..', '..');
/** Where CLI processes started by tests keep hub files (one folder per test process). */
export const TEST_HUB_FILE_DIR = mkdtempSync(join(tmpdir(), 'switchboard-hubfile-'));
process.on('exit', () => rmSync(TEST_HUB_FILE_DIR, { recursive: true, force: true }));

let bundled: string | undefined;

/**
 * The CLI bundled from the current source into a scratch folder (once per test process): the same code path as
 * `npm start`, starts in a fraction of the time tsx needs on a loaded machine, and never depends on a stale dist/.
 */
function cliBundle(): string {
  if (bundled) return bundled;
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'cli.js');
  buildSync({
    entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
  });
  bundled = out;
  return out;
}

export class Proc {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private listeners: (() => void)[] = [];

  constructor(readonly child: ChildProcess) {
    const collect = (into: string[], stream: NodeJS.ReadableStream | null): void => {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        into.push(...parts);
        this.notify();
      });
      stream?.on('end', () => {
        if (partial) into.push(partial);
        partial = '';
        this.notify();
      });
    };
    collect(this.stdout, child.stdout);
    collect(this.stderr, child.stderr);
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      });
    });
  }

  private notify(): void {
    for (const l of this.listeners.splice(0)) l();
  }

  private changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.listeners.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** The first stdout (or stderr) line matching re, waiting for it; fails with everything printed so far. */
  async waitForLine(re: RegExp, timeoutMs = 30_000, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = stream === 'stdout' ? this.stdout : this.stderr;
      for (const l of lines) {
        const m = re.exec(l);
        if (m) return m;
      }
      if (this.exit) throw new Error(`process exited (${JSON.stringify(this.exit)}) before printing ${re}\n${this.transcript()}`);
      if (Date.now() > deadline) throw new Error(`no line matching ${re} within ${timeoutMs} ms\n${this.transcript()}`);
      await this.changed(Math.min(200, Math.max(1, deadline - Date.now())));
    }
  }

  /** Lines on stdout matching re (so far). */
  count(re: RegExp): number {
    return this.stdout.filter((l) => re.test(l)).length;
  }

  async waitExit(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`process still running after ${timeoutMs} ms\n${this.transcript()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Make sure the process is gone (test cleanup). */
  async kill(): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  transcript(): string {
    return `--- stdout\n${this.stdout.join('\n')}\n--- stderr\n${this.stderr.join('\n')}`;
  }
}

/** `switchboard <args>` (bundled from source). SWITCHBOARD_* variables are removed from the inherited environment unless given. */
export function cli(args: string[], env: Record<string, string | undefined> = {}): Proc {
  const base = { ...process.env };
  delete base.SWITCHBOARD_URL;
  for (const k of Object.keys(base)) if (k.startsWith('SWITCHBOARD_') && k !== 'SWITCHBOARD_REQUIRE_BROKERS') delete base[k];
  delete base.FORCE_COLOR;
  // never read or write the person's real ~/.agent-switchboard from a test
  base.SWITCHBOARD_HUB_FILE_DIR = TEST_HUB_FILE_DIR;
  const child = spawn(process.execPath, [cliBundle(), ...args], {
    cwd: ROOT,
    env: { ...base, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Proc(child);
}

/** Run to completion. */
export async function cliRun(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000): Promise<Proc> {
  const p = cli(args, env);
  await p.waitExit(timeoutMs);
  return p;
}

/**
 * A Python 3 that can `import websockets` (Debian's python3-websockets lives under /usr/bin/python3, which a pyenv
 * shim earlier on PATH may hide), or undefined.
 */
export function findPythonWithWebsockets(): { python: string; version: string } | undefined {
  const candidates = [process.env.SWITCHBOARD_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import websockets, sys; print(websockets.__version__)'], { encoding: 'utf8', timeout: 20_000 });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return undefined;
}
