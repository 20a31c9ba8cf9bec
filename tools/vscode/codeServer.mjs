// Shared plumbing for running the extension in a real VS Code here: install code-server on demand (cached), start a
// fresh, isolated server per run in its own process group, build the workbench URL that loads us as a development
// extension, open it in Debian's Chromium through playwright-core, and measure the memory of everything we started.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CODE_SERVER_VERSION = '4.100.3';
const toolsDir = join(repoRoot, '.tools');
const codeServerBin = join(toolsDir, 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium';

/** Chromium is only the workbench's shell here: no sandbox (root in CI), no network side channels, no GPU. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Installs code-server into .tools on first use (cached); returns the path of its binary. */
export function ensureCodeServer() {
  if (existsSync(join(toolsDir, 'code-server', `.installed-${CODE_SERVER_VERSION}`)) && existsSync(codeServerBin)) {
    return codeServerBin;
  }
  const res = spawnSync('bash', [join(repoRoot, 'tools/vscode/install-code-server.sh')], { stdio: 'inherit' });
  if (res.status !== 0 || !existsSync(codeServerBin)) {
    throw new Error('could not install code-server: run `bash tools/ci/apt.sh && bash tools/vscode/install-code-server.sh` and read its output');
  }
  return codeServerBin;
}

/** A fresh folder for one run (.tools/run-*): server user data, extensions, HOME, Chromium profile, workspace. */
export function makeRunDir(label) {
  const dir = join(toolsDir, `run-${label}-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  for (const sub of ['ud/User', 'exts', 'home', 'config', 'data', 'chromium', 'workspace']) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  return dir;
}

/** Removes run folders left behind by runs that were killed before they could clean up (older than an hour). */
export function pruneOldRunDirs(maxAgeMs = 3_600_000) {
  if (!existsSync(toolsDir)) return;
  const now = Date.now();
  for (const name of readdirSync(toolsDir)) {
    const m = /^run-.*-(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)-\d+$/.exec(name);
    if (!m) continue;
    const iso = m[1].replace(/T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z/, 'T$1:$2:$3.$4Z');
    if (now - Date.parse(iso) > maxAgeMs) rmSync(join(toolsDir, name), { recursive: true, force: true });
  }
}

/** Asks the OS for a free TCP port on 127.0.0.1 (for the hub the extension starts in the run). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolvePort(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

const BASE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'window.restoreWindows': 'none',
  // run folders sit inside this repository: no "open the parent repository?" toast over the screenshots
  'git.openRepositoryInParentFolders': 'never',
};

/**
 * Starts code-server on a port the OS picks, in its own process group (so stop() also ends its file watchers and
 * extension hosts), with HOME/XDG dirs inside runDir and `env` added to the environment its extension hosts
 * inherit. Resolves once /healthz answers.
 */
export async function startCodeServer({ runDir, settings = {}, env: extraEnv = {}, log = () => {}, startTimeoutMs = 60_000 }) {
  const bin = ensureCodeServer();
  writeFileSync(join(runDir, 'ud/User/settings.json'), JSON.stringify({ ...BASE_SETTINGS, ...settings }, null, 2));
  const args = [
    '--config', '/dev/null',
    '--bind-addr', '127.0.0.1:0',
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', join(runDir, 'ud'),
    '--extensions-dir', join(runDir, 'exts'),
  ];
  const env = {
    ...process.env,
    HOME: join(runDir, 'home'),
    XDG_CONFIG_HOME: join(runDir, 'config'),
    XDG_DATA_HOME: join(runDir, 'data'),
    XDG_CACHE_HOME: join(runDir, 'data', 'cache'),
    // the extension host inherits the server's environment: the surest way to hand the suite its settings
    ...extraEnv,
  };
  delete env.VSCODE_IPC_HOOK_CLI;
  const child = spawn(bin, args, { cwd: runDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pgid = child.pid;
  let output = '';
  let exited = false;
  const exitPromise = new Promise((r) => child.once('exit', (code, signal) => { exited = true; r({ code, signal }); }));
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not report its port within ${startTimeoutMs} ms:\n${output}`)), startTimeoutMs);
    const onData = (buf) => {
      const text = buf.toString();
      output = (output + text).slice(-20_000);
      for (const line of text.split('\n')) if (line.trim()) log(line);
      const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) { clearTimeout(timer); resolvePort(Number(m[1])); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exitPromise.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`code-server exited early (${code ?? signal}):\n${output}`)); });
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (exited || Date.now() > deadline) throw new Error(`code-server /healthz never answered:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  async function stop() {
    if (exited) return;
    const kill = (sig) => { try { process.kill(-pgid, sig); } catch { /* group already gone */ } };
    kill('SIGTERM');
    const done = await Promise.race([exitPromise.then(() => true), new Promise((r) => setTimeout(() => r(false), 5_000))]);
    kill('SIGKILL'); // the group may hold watchers/extension hosts that outlive the main process
    if (!done) await exitPromise;
  }
  return { port, base, pgid, stop, output: () => output };
}

/**
 * The workbench URL that opens `folder` and loads `extensionDevelopmentPath` as a development extension; with
 * `extensionTestsPath` the workbench runs that mocha entry in the extension host and reports its exit code.
 */
export function workbenchUrl(server, { folder, extensionDevelopmentPath, extensionTestsPath, env }) {
  const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${resolve(p)}`;
  const payload = [['extensionDevelopmentPath', remote(extensionDevelopmentPath)]];
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  if (env && Object.keys(env).length) payload.push(['extensionEnvironment', JSON.stringify(env)]);
  return `${server.base}/?folder=${encodeURIComponent(resolve(folder))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Debian's Chromium through playwright-core, headless, with a profile inside the run folder. */
export async function launchChromium(profileDir, { viewport = { width: 1400, height: 900 } } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run 'bash tools/ci/apt.sh' (installs Debian's chromium)`);
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
}

/**
 * Memory (MiB) of every live descendant of `rootPid` (code-server, its extension hosts, Chromium), as the sum of
 * proportional set sizes so pages shared between Chromium's processes are not counted several times.
 */
export function descendantsRssMb(rootPid = process.pid) {
  const children = new Map();
  const rss = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      const rssPages = Number(fields[21]);
      rss.set(Number(name), rssPages * 4096);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch { /* process ended while we looked */ }
  }
  let total = 0;
  const stack = [...(children.get(rootPid) ?? [])];
  while (stack.length) {
    const pid = stack.pop();
    total += pssBytes(pid) ?? rss.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return Math.round(total / 1048576);
}

function pssBytes(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples descendantsRssMb every `intervalMs`; stop() returns the peak. */
export function sampleMemory(intervalMs = 500) {
  let peak = 0;
  const tick = () => { peak = Math.max(peak, descendantsRssMb()); };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return { stop: () => { clearInterval(timer); tick(); return peak; } };
}
