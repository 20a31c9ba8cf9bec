// The README's shell blocks marked `<!-- runnable -->` run as pasted: in order, in one bash (a person's terminal),
// from a scratch folder laid out like the checkout (dist/ bundled from the current source, examples/), against a hub
// started by `switchboard hub --port 0` with SWITCHBOARD_URL exported. Only 127.0.0.1 is reached; every process the
// blocks leave behind is killed with their process group.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { cli, findPythonWithWebsockets, Proc, ROOT, TEST_HUB_FILE_DIR } from './cliHarness';

const MARK = '<!-- runnable -->';

/** The bodies of the ```sh blocks directly preceded by the marker line, in README order. */
function runnableBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const re = /^<!-- runnable -->\n```sh\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) blocks.push(m[1]!);
  return blocks;
}

/** A folder with the checkout's shape: dist/cli.js and dist/sdk/index.js as esbuild.mjs builds them, examples/. */
function scratchCheckout(python: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-readme-'));
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error' } as const;
  buildSync({ ...common, entryPoints: { cli: join(ROOT, 'src', 'cli', 'main.ts'), 'sdk/index': join(ROOT, 'src', 'sdk', 'agentClient.ts') }, outdir: join(dir, 'dist') });
  symlinkSync(join(ROOT, 'examples'), join(dir, 'examples'));
  // `python3` in the blocks is "one with websockets": put the one found first on PATH.
  mkdirSync(join(dir, '.bin'));
  symlinkSync(python, join(dir, '.bin', 'python3'));
  return dir;
}

function requirePython(t: TestContext): string | undefined {
  const found = findPythonWithWebsockets();
  // its real path: a pyenv shim put on PATH under another folder would not find its own version
  if (found) return spawnSync(found.python, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
  const reason = 'no python3 with the websockets package (Debian: apt-get install python3-websockets; or set SWITCHBOARD_PYTHON)';
  if (process.env.SWITCHBOARD_REQUIRE_BROKERS === '1' || process.env.CI) throw new Error(`README blocks cannot run: ${reason}`);
  t.skip(reason);
  return undefined;
}

test('the README marks its runnable shell blocks, and the marker is documented', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.ok(runnableBlocks(readme).length >= 4, 'the Python and reconstruction walkthroughs are marked');
  assert.ok(readme.includes(`\`${MARK}\``), 'the README says what the marker means');
});

test('the README blocks marked runnable run as pasted, end by themselves and exit 0 against a fresh hub', async (t) => {
  const python = requirePython(t);
  if (!python) return;
  const blocks = runnableBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const dir = scratchCheckout(python);
  const hub = cli(['hub', '--port', '0']);
  let shell: Proc | undefined;
  try {
    const [, url] = await hub.waitForLine(/agents connect to: (ws:\/\/127\.0\.0\.1:\d+\/ws\?token=\S+)/);
    const env: NodeJS.ProcessEnv = { PATH: `${join(dir, '.bin')}:${process.env.PATH ?? ''}`, HOME: dir, NO_COLOR: '1', SWITCHBOARD_URL: url, SWITCHBOARD_HUB_FILE_DIR: TEST_HUB_FILE_DIR };
    // -e: a failing command fails the test, as a person would notice it; detached: its own process group to kill.
    const script = ['set -e -o pipefail', ...blocks.map((b, i) => `echo '--- block ${i + 1}'\n${b}`)].join('\n');
    shell = new Proc(spawn('bash', ['-c', script], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
    const exit = await shell.waitExit(120_000);
    assert.deepEqual(exit, { code: 0, signal: null }, shell.transcript());
    const out = shell.stdout.join('\n');
    assert.match(out, /^python agent heard 2 word\(s\): hello there$/m, shell.transcript());
    assert.match(out, /Reconstruction of coder \(agent_[0-9a-f]{8}\)/, shell.transcript());
    assert.match(out, /write the release notes for v2/, shell.transcript());
    assert.match(out, /^restored: 1 unanswered for agent_[0-9a-f]{8}$/m, shell.transcript());
  } finally {
    if (shell?.child.pid) {
      try {
        process.kill(-shell.child.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    }
    hub.child.kill('SIGTERM');
    await hub.waitExit();
    rmSync(dir, { recursive: true, force: true });
  }
});
