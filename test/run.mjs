// Runs the plain-Node suites (unit, integration, and the broker suites) with node's test runner through tsx.
// Usage: node test/run.mjs [unit|integration|brokers|faults ...]   (default: unit integration brokers)

import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const suites = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('-'));
const dirs = (suites.length ? suites : ['unit', 'integration', 'brokers']).map((s) => join('test', s));

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

const files = dirs.flatMap(walk).sort();
if (files.length === 0) {
  console.error(`no test files under ${dirs.join(', ')}`);
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
    // a failed test that leaves a server open must not hold its file (and CI) open forever, nor must a hung one
    '--test-force-exit',
    '--test-timeout=900000',
    ...extra,
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(res.status ?? 1);
