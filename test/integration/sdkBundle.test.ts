// The bundled SDK (src/sdk/sdkBundle.ts → dist/sdk/index.js) works from plain Node programs: the README's ES-module
// agent runs as written against a real hub, and a CommonJS program can require every client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { FrontendClient } from '../../src/sdk/frontendClient';
import type { StatusLine } from '../../src/sdk/observerClient';
import { startHub, waitUntil } from './hubHarness';
import { Proc, ROOT } from './cliHarness';

let dir = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-sdk-'));
  // The same options esbuild.mjs uses for the sdk/index target, into a scratch folder so this test never depends
  // on (or disturbs) a build in dist/.
  await build({
    entryPoints: [join(ROOT, 'src', 'sdk', 'sdkBundle.ts')],
    outfile: join(dir, 'dist', 'sdk', 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
  });
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the README’s Node agent, run as an ES module against the bundle, registers, replies and routes its status', async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const snippet = /```js\n(\/\/ my-agent\.mjs[\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(snippet, 'README has the my-agent.mjs example');
  writeFileSync(join(dir, 'my-agent.mjs'), snippet);
  const hub = await startHub();
  const proc = new Proc(spawn(process.execPath, ['my-agent.mjs'], { cwd: dir, env: { ...process.env, SWITCHBOARD_URL: hub.agentUrl }, stdio: ['ignore', 'pipe', 'pipe'] }));
  const fe = new FrontendClient({ url: hub.agentUrl, name: 'reader' });
  try {
    const [, agentId] = await proc.waitForLine(/^registered as (agent_[0-9a-f]{8})$/);
    await fe.connect();
    const lines: StatusLine[] = [];
    fe.onStatus((l) => lines.push(l));
    const reply = await fe.waitForReply(await fe.send(agentId!, 'cats'), 10_000);
    assert.equal(reply.text_payload, '3 results for cats');
    await waitUntil(() => lines.length > 0, 3000, 'status line');
    assert.equal(lines[0]!.text, 'searching for cats…');
    assert.equal(lines[0]!.session_id, fe.id);
  } finally {
    await proc.kill();
    await fe.close();
    await hub.stop();
  }
});

test('a CommonJS program can require every client from the bundle', () => {
  writeFileSync(
    join(dir, 'probe.cjs'),
    "const sdk = require('./dist/sdk/index.js');\n" +
      "console.log(JSON.stringify(['AgentClient','FrontendClient','MonitorClient','BrokerClient','startDemoFleet','withSession','currentSession','SwitchboardError'].map((k) => [k, typeof sdk[k]])));\n",
  );
  const r = spawnSync(process.execPath, ['probe.cjs'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const kinds = Object.fromEntries(JSON.parse(r.stdout) as [string, string][]);
  assert.deepEqual(new Set(Object.values(kinds)), new Set(['function']), JSON.stringify(kinds));
});
