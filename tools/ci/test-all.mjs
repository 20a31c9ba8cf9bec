// `npm test`: build, type-check, then every suite in stages — plain Node (unit, integration, brokers, faults), the
// browser e2e, and the extension-host suite in code-server. Every stage runs even when an earlier one fails, so one
// run reports everything; the last line sums them up ("N passed, N failed, N skipped") and the exit code is non-zero
// when anything failed.

import { spawn } from 'node:child_process';

const stages = [
  { name: 'build', cmd: 'npm', args: ['run', '-s', 'build'], gate: true },
  { name: 'typecheck', cmd: 'npm', args: ['run', '-s', 'typecheck'] },
  { name: 'unit, integration, brokers, faults', cmd: 'node', args: ['test/run.mjs', 'unit', 'integration', 'brokers', 'faults'] },
  // its own stage so code-server and Chromium do not compete with timing-sensitive broker tests for the cores
  { name: 'e2e (Chromium)', cmd: 'node', args: ['test/run.mjs', 'e2e'] },
  { name: 'extension host (code-server)', cmd: 'npm', args: ['run', '-s', 'test:extension'] },
];

const totals = { passed: 0, failed: 0, skipped: 0 };
const failedStages = [];

function run(stage) {
  return new Promise((resolve) => {
    const started = Date.now();
    console.log(`\n=== ${stage.name}`);
    const child = spawn(stage.cmd, stage.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const scan = (chunk) => {
      const text = tail + chunk.toString();
      const lines = text.split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) count(line);
    };
    const count = (line) => {
      let m;
      if ((m = /^ℹ pass (\d+)$/.exec(line))) totals.passed += Number(m[1]);
      else if ((m = /^ℹ fail (\d+)$/.exec(line))) totals.failed += Number(m[1]);
      else if ((m = /^ℹ skipped (\d+)$/.exec(line))) totals.skipped += Number(m[1]);
      else if ((m = /^\s*(\d+) passing\b/.exec(line))) totals.passed += Number(m[1]);
      else if ((m = /^\s*(\d+) failing\b/.exec(line))) totals.failed += Number(m[1]);
      else if ((m = /^\s*(\d+) pending\b/.exec(line))) totals.skipped += Number(m[1]);
    };
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      scan(d);
    });
    child.stderr.on('data', (d) => process.stderr.write(d));
    child.on('close', (code) => {
      if (tail) count(tail);
      console.log(`=== ${stage.name}: ${code === 0 ? 'ok' : `FAILED (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      resolve(code ?? 1);
    });
  });
}

for (const stage of stages) {
  const code = await run(stage);
  if (code !== 0) {
    failedStages.push(stage.name);
    if (stage.gate) break;
  }
}
if (failedStages.length) console.log(`\nfailed stages: ${failedStages.join(', ')}`);
if (failedStages.length && totals.failed === 0) totals.failed = failedStages.length; // a stage that failed outside a test still counts
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedStages.length ? 1 : 0);
