#!/usr/bin/env node
// Runs the mocha suite in a real VS Code extension host: a fresh code-server per run (own process group, isolated
// user data under .tools/run-*), the workbench opened in Debian's Chromium with this repo as a development extension
// and extensionTestsPath set, the extension host's console relayed here, and the suite's exit code returned.
// Builds nothing: run `npm run build` and `node tools/vscode/build-tests.mjs` first (`npm run test:extension` does).
//
// Usage: node tools/vscode/run-extension-tests.mjs [--tests out/test/extension/index.js] [--extension .]
//          [--timeout 240] [--keep] [--verbose]

import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { format, parseArgs } from 'node:util';
import {
  ensureCodeServer, freePort, launchChromium, makeRunDir, pruneOldRunDirs, repoRoot, sampleMemory, startCodeServer, workbenchUrl,
} from './codeServer.mjs';

const { values: opts } = parseArgs({
  options: {
    tests: { type: 'string', default: 'out/test/extension/index.js' },
    extension: { type: 'string', default: '.' },
    timeout: { type: 'string', default: process.env.SWITCHBOARD_EXT_TEST_TIMEOUT ?? '240' },
    keep: { type: 'boolean', default: process.env.SWITCHBOARD_KEEP_RUN === '1' },
    verbose: { type: 'boolean', default: false },
  },
});

/** Workbench start-up chatter and offline gallery look-ups, shown only with --verbose. */
const WORKBENCH_NOISE =
  /^(Resolving connection token|Resolved connection token|Creating a socket|Updating additional builtin extensions cache|\[Service Worker\]|ChatSessionStore)|ENOTFOUND (open-vsx\.org|marketplace|update\.code)/;

const t0 = Date.now();
const testsPath = resolve(repoRoot, opts.tests);
const extensionPath = resolve(repoRoot, opts.extension);
const timeoutMs = Number(opts.timeout) * 1000;
const say = (line) => console.log(`[ext-tests] ${line}`);

if (!existsSync(testsPath)) {
  console.error(`[ext-tests] ${testsPath} is missing: run 'node tools/vscode/build-tests.mjs' (npm run test:extension does)`);
  process.exit(2);
}
const main = JSON.parse(readFileSync(join(extensionPath, 'package.json'), 'utf8')).main;
if (main && !existsSync(join(extensionPath, main))) {
  console.error(`[ext-tests] the extension's main ${main} is missing: run 'npm run build' first`);
  process.exit(2);
}

pruneOldRunDirs();
// first use on a machine installs code-server (a minute or two): before the clock of the overall timeout starts
ensureCodeServer();
const runDir = makeRunDir('ext');
const hubPort = await freePort();
let server;
let context;
const suiteEnv = {
  SWITCHBOARD_TEST_HUB_PORT: String(hubPort),
  SWITCHBOARD_TEST_RUN_DIR: runDir,
  // the hub file normally lives in ~/.agent-switchboard (HOME is already inside runDir; this makes it explicit)
  SWITCHBOARD_HUB_FILE_DIR: join(runDir, 'hub-file'),
};
let exitCode = 1;
let timer;
const memory = sampleMemory();

async function cleanup() {
  clearTimeout(timer);
  await context?.close().catch(() => {});
  await server?.stop().catch(() => {});
}

// A second Ctrl-C or a CI cancel must not leave code-server and its extension hosts behind.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => { void cleanup().finally(() => process.exit(130)); });
}

try {
  const timedOut = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${opts.timeout} s (raise it with --timeout)`)), timeoutMs);
  });
  const run = (async () => {
    server = await startCodeServer({
      runDir,
      // The hub the extension starts gets a port of its own: several people run these tests on one machine at once.
      settings: { 'switchboard.hub.port': hubPort },
      env: suiteEnv,
      log: opts.verbose ? (l) => console.log(`[code-server] ${l}`) : () => {},
    });
    say(`code-server on ${server.base} (pgid ${server.pgid}) after ${Date.now() - t0} ms; hub port ${hubPort}`);
    context = await launchChromium(join(runDir, 'chromium'));
    const page = context.pages()[0] ?? (await context.newPage());
    let resolveExit;
    const exited = new Promise((r) => { resolveExit = r; });
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      // the workbench forwards console calls with their printf-style format string first (mocha's reporter uses them)
      const text = format(...(Array.isArray(args) ? args : [args]));
      if (!opts.verbose && WORKBENCH_NOISE.test(text)) return;
      (type === 'error' ? console.error : console.log)(text);
    });
    await page.exposeFunction('codeAutomationExit', (code) => { resolveExit(Number(code)); });
    if (opts.verbose) {
      page.on('console', (m) => console.log(`[browser:${m.type()}] ${m.text()}`));
    }
    page.on('pageerror', (e) => console.error(`[browser] page error: ${e.message}`));
    const url = workbenchUrl(server, {
      folder: join(runDir, 'workspace'),
      extensionDevelopmentPath: extensionPath,
      extensionTestsPath: testsPath,
      env: suiteEnv,
    });
    await page.goto(url, { timeout: 120_000 }); // a loaded machine loads the workbench slowly (30 s, the default, was hit at load 20)
    return exited;
  })();
  exitCode = await Promise.race([run, timedOut]);
} catch (err) {
  console.error(`[ext-tests] ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  await cleanup();
}

const peak = memory.stop();
for (const line of activationLines(runDir)) say(`output channel: ${line}`);
say(`exit code ${exitCode}; ${((Date.now() - t0) / 1000).toFixed(1)} s; peak memory of code-server + Chromium ${peak} MiB (sum of PSS)`);
if (opts.keep || exitCode !== 0) say(`run folder kept for inspection: ${runDir}`);
else rmSync(runDir, { recursive: true, force: true });
process.exit(exitCode);

/** Lines about activation from the extension's log output channel, which VS Code writes under the user-data logs. */
function activationLines(dir) {
  const found = [];
  const walk = (d) => {
    for (const name of existsSync(d) ? readdirSync(d) : []) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/switchboard/i.test(name) && name.endsWith('.log')) {
        for (const line of readFileSync(p, 'utf8').split('\n')) if (/activated in|startup:/i.test(line)) found.push(line.trim());
      }
    }
  };
  walk(join(dir, 'ud', 'logs'));
  return found.slice(0, 5);
}
