// The Python examples under an interpreter that cannot import websockets (pyenv, a venv, Homebrew: Debian's
// python3-websockets serves /usr/bin/python3 only) exit with one line saying what to install, not a traceback.
// `python3 -S` skips site-packages, Debian's dist-packages included, so the case is the same on every machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cliHarness';

const PYTHON = process.env.SWITCHBOARD_PYTHON ?? 'python3';
const hasPython = spawnSync(PYTHON, ['-S', '-c', 'pass'], { timeout: 20_000 }).status === 0;

for (const [script, args] of [
  ['agent.py', ['--url', 'ws://127.0.0.1:9/ws', '--name', 'py-agent']],
  ['context_peer.py', ['--url', 'ws://127.0.0.1:9/ws', '--name', 'reviewer']],
] as const) {
  test(`examples/python/${script} without websockets exits 1 with a one-line hint (pip, or Debian's /usr/bin/python3)`, { skip: !hasPython && `no ${PYTHON}` }, () => {
    const r = spawnSync(PYTHON, ['-S', join(ROOT, 'examples', 'python', script), ...args], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /Traceback|ModuleNotFoundError/);
    assert.match(lines[0]!, /needs the websockets package/);
    assert.match(lines[0]!, /-m pip install websockets/);
    assert.match(lines[0]!, /\/usr\/bin\/python3 with python3-websockets/);
  });
}
