// The `switchboard` command line as a person runs it: real processes, real sockets, a real Hub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentClient } from '../../src/sdk/agentClient';
import { DEFAULT_HUB_OPTIONS } from '../../src/hub/options';
import { HUB_OPTION_SPECS, hubOptionsFrom, hubOptionRows } from '../../src/cli/hubOptionSpecs';
import { CliError } from '../../src/cli/cliErrors';
import { startHub, waitUntil } from './hubHarness';
import { cli, cliRun, ROOT } from './cliHarness';

const READY = /agents connect to: (ws:\/\/127\.0\.0\.1:(\d+)\/ws\?token=([0-9a-zA-Z_-]+))/;

test('`switchboard hub` prints the agent URL when ready, accepts agents on it, and exits 0 promptly on SIGTERM', async () => {
  const p = cli(['hub', '--port', '0', '--ping-interval', '200']);
  try {
    const [, url] = await p.waitForLine(READY);
    await p.waitForLine(/^Monitor: http:\/\/127\.0\.0\.1:\d+\/monitor\?token=/);
    const agent = new AgentClient({ url: url!, name: 'cli-probe', reconnect: false });
    const { agent_id } = await agent.connect();
    assert.match(agent_id, /^agent_/);
    p.child.kill('SIGTERM');
    const exit = await p.waitExit(15_000);
    assert.deepEqual(exit, { code: 0, signal: null }, p.transcript());
    assert.ok(p.stderr.some((l) => /hub stopped/.test(l)));
    await waitUntil(() => agent.state === 'closed', 5000, 'agent saw the hub go');
    await agent.close();
  } finally {
    await p.kill();
  }
});

test('hub settings come from SWITCHBOARD_* variables, and a flag beats its variable', async () => {
  const fromEnv = cli(['hub', '--port', '0'], { SWITCHBOARD_TOKEN: 'envtoken1' });
  const fromFlag = cli(['hub', '--port', '0', '--token', 'flagtoken2'], { SWITCHBOARD_TOKEN: 'envtoken1' });
  try {
    assert.equal((await fromEnv.waitForLine(READY))[3], 'envtoken1');
    assert.equal((await fromFlag.waitForLine(READY))[3], 'flagtoken2');
  } finally {
    fromEnv.child.kill('SIGINT');
    fromFlag.child.kill('SIGINT');
    assert.deepEqual(await fromEnv.waitExit(), { code: 0, signal: null }, fromEnv.transcript());
    assert.deepEqual(await fromFlag.waitExit(), { code: 0, signal: null }, fromFlag.transcript());
  }
});

test('when the port is taken the hub falls back to a free one and says so', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as AddressInfo).port;
  const p = cli(['hub', '--port', String(taken)]);
  try {
    const [, , port] = await p.waitForLine(READY);
    assert.notEqual(Number(port), taken);
    await p.waitForLine(new RegExp(`port ${taken} was taken`), 5000, 'stderr');
  } finally {
    p.child.kill('SIGTERM');
    await p.waitExit();
    await new Promise<void>((r) => blocker.close(() => r()));
  }
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('a second hub on a port a hub holds names that hub, and says client commands need this one\'s URL', async () => {
  const port = await freePort();
  const first = cli(['hub', '--port', String(port)]);
  try {
    await first.waitForLine(READY);
    const firstId = /Switchboard hub (\S+) ready/.exec(first.stdout.join('\n'))![1]!;
    const second = cli(['hub', '--port', String(port)]);
    try {
      const [, url] = await second.waitForLine(READY);
      await second.waitForLine(new RegExp(`port ${port} was taken by hub ${firstId} \\(pid \\d+`), 5000, 'stderr');
      const how = await second.waitForLine(/Client commands reach hub/, 5000, 'stderr');
      assert.ok(how.input.includes(`SWITCHBOARD_URL='${url}'`), how.input);
      assert.ok(!second.stderr.some((l) => /find this hub on its own/.test(l)), second.transcript());
    } finally {
      second.child.kill('SIGTERM');
      await second.waitExit();
    }
    const refused = await cliRun(['hub', '--port', String(port), '--no-port-fallback']);
    assert.equal(refused.exit?.code, 1);
    const err = refused.stderr.join('\n');
    assert.match(err, new RegExp(`port ${port} is in use by hub ${firstId}`));
    assert.match(err, /--no-port-fallback \(or SWITCHBOARD_PORT_FALLBACK=false\)/);
    assert.doesNotMatch(err, /portFallback/);
  } finally {
    first.child.kill('SIGTERM');
    await first.waitExit();
  }
});

test('a hub on --port 0 does not claim that client commands find it on their own', async () => {
  const p = cli(['hub', '--port', '0']);
  try {
    const [, url] = await p.waitForLine(READY);
    const how = await p.waitForLine(/Client commands do not find this hub on their own/, 5000, 'stderr');
    assert.ok(how.input.includes(`SWITCHBOARD_URL='${url}'`), how.input);
  } finally {
    p.child.kill('SIGTERM');
    await p.waitExit();
  }
});

test('a bad flag value fails before anything starts, naming the flag (or variable) and the expected form', async () => {
  const bad = await cliRun(['hub', '--port', 'eighty']);
  assert.notEqual(bad.exit?.code, 0);
  assert.match(bad.stderr.join('\n'), /--port must be a whole number/);
  const badEnv = await cliRun(['hub'], { SWITCHBOARD_PING_INTERVAL_MS: 'soon' });
  assert.notEqual(badEnv.exit?.code, 0);
  assert.match(badEnv.stderr.join('\n'), /SWITCHBOARD_PING_INTERVAL_MS must be a whole number/);
});

test('client commands without a hub URL say how to get one and exit non-zero', async () => {
  const p = await cliRun(['agents']);
  assert.equal(p.exit?.code, 1);
  const err = p.stderr.join('\n');
  assert.match(err, /No hub URL/);
  assert.match(err, /switchboard hub/);
});

test('`switchboard hub` records itself in the hub file (0600) so client commands find it without a URL, and removes the record when it stops', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-hubfile-test-'));
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as AddressInfo).port;
  await new Promise<void>((r) => blocker.close(() => r()));
  const env = { SWITCHBOARD_HUB_FILE_DIR: dir, SWITCHBOARD_PORT: String(port) };
  const hub = cli(['hub'], env);
  try {
    const [, url] = await hub.waitForLine(READY);
    const file = join(dir, `hub-${port}.json`);
    await waitUntil(() => existsSync(file), 5000, 'the hub file');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const rec = JSON.parse(readFileSync(file, 'utf8')) as { port: number; token: string; pid: number };
    assert.equal(rec.port, port);
    assert.equal(rec.pid, hub.child.pid);
    assert.equal(`ws://127.0.0.1:${port}/ws?token=${rec.token}`, url);
    const agent = new AgentClient({ url: url!, name: 'found-by-file', reconnect: false });
    await agent.connect();
    const listed = await cliRun(['agents'], env);
    assert.equal(listed.exit?.code, 0, listed.transcript());
    assert.match(listed.stdout.join('\n'), /found-by-file/);
    await agent.close();
    hub.child.kill('SIGTERM');
    assert.deepEqual(await hub.waitExit(15_000), { code: 0, signal: null }, hub.transcript());
    assert.equal(existsSync(file), false, 'the record is removed when the hub stops');
    const after = await cliRun(['agents'], env);
    assert.equal(after.exit?.code, 1);
    assert.match(after.stderr.join('\n'), /No hub URL/);
  } finally {
    await hub.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('client commands against a hub that is not running say so and how to start one', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as AddressInfo).port;
  await new Promise<void>((r) => blocker.close(() => r())); // now nothing listens there
  const p = await cliRun(['agents', '--url', `ws://127.0.0.1:${port}/ws?token=x`]);
  assert.equal(p.exit?.code, 1);
  assert.match(p.stderr.join('\n'), /No hub is listening at ws:\/\/127\.0\.0\.1:\d+\/ws\?token=…/);
});

test('`switchboard send` prints the agent’s reply on stdout and its status lines on stderr', async () => {
  const hub = await startHub();
  const agent = new AgentClient({ url: hub.agentUrl, name: 'echoer' });
  try {
    await agent.connect();
    agent.onMessage(async (m, ctx) => {
      agent.status('echoing…');
      await ctx.reply(`echo: ${m.text_payload}`);
    });
    const p = await cliRun(['send', 'echoer', 'hello', 'world'], { SWITCHBOARD_URL: hub.agentUrl });
    assert.equal(p.exit?.code, 0, p.transcript());
    assert.deepEqual(p.stdout.filter(Boolean), ['echo: hello world']);
    assert.ok(p.stderr.some((l) => l.includes('echoing…')), p.transcript());
    // --json: the reply as the agent sent it, without the hub's routing bookkeeping
    const json = await cliRun(['send', 'echoer', 'hello', '--json'], { SWITCHBOARD_URL: hub.agentUrl });
    assert.equal(json.exit?.code, 0, json.transcript());
    const reply = JSON.parse(json.stdout.join('\n')) as Record<string, unknown>;
    assert.equal(reply.message_type, 'REPLY');
    assert.equal(reply.text_payload, 'echo: hello');
    assert.ok(!('_client_id' in reply) && !('routing_status' in reply), JSON.stringify(reply));
  } finally {
    await agent.close();
    await hub.stop();
  }
});

test('`switchboard send` to an unknown agent lists the known ones; with no reply it times out with exit code 2', async () => {
  const hub = await startHub();
  const silent = new AgentClient({ url: hub.agentUrl, name: 'mute' });
  try {
    const { agent_id } = await silent.connect();
    const unknown = await cliRun(['send', 'nobody', 'hi', '--url', hub.agentUrl]);
    assert.equal(unknown.exit?.code, 1);
    assert.match(unknown.stderr.join('\n'), new RegExp(`knows no agent "nobody"[\\s\\S]*mute \\(${agent_id}, online\\)`));
    const slow = await cliRun(['send', agent_id, 'hi', '--timeout', '300', '--url', hub.agentUrl]);
    assert.equal(slow.exit?.code, 2, slow.transcript());
    assert.match(slow.stderr.join('\n'), /No reply from mute/);
  } finally {
    await silent.close();
    await hub.stop();
  }
});

test('`switchboard agents` lists every agent with its presence and latest status line', async () => {
  const hub = await startHub();
  const up = new AgentClient({ url: hub.agentUrl, name: 'upper' });
  const gone = new AgentClient({ url: hub.agentUrl, name: 'goner', reconnect: false });
  try {
    const { agent_id: upId } = await up.connect();
    const { agent_id: goneId } = await gone.connect();
    up.status('indexing…');
    await gone.close();
    await waitUntil(() => hub.agent(goneId)?.status === 'offline' && hub.agent(upId)?.last_status_text === 'indexing…', 3000, 'presence settled');
    const table = await cliRun(['agents', '--url', hub.agentUrl]);
    assert.equal(table.exit?.code, 0, table.transcript());
    const text = table.stdout.join('\n');
    assert.match(text, new RegExp(`${upId}\\s+upper\\s+online\\s+\\S+\\s+indexing…`));
    assert.match(text, new RegExp(`${goneId}\\s+goner\\s+offline`));
    const json = await cliRun(['agents', '--json', '--url', hub.agentUrl]);
    const list = JSON.parse(json.stdout.join('\n')) as { agent_id: string; status: string }[];
    assert.deepEqual(list.map((a) => [a.agent_id, a.status]).sort(), [[goneId, 'offline'], [upId, 'online']].sort());
  } finally {
    await up.close();
    await hub.stop();
  }
});

test('`switchboard tail` streams what happens, readable by default and NDJSON with --json, filtered by --type', async () => {
  const hub = await startHub();
  const readable = cli(['tail', '--backlog', '0', '--url', hub.agentUrl]);
  const json = cli(['tail', '--json', '--type', 'STATUS', '--backlog', '0', '--url', hub.agentUrl]);
  const agent = new AgentClient({ url: hub.agentUrl, name: 'tailed' });
  try {
    // Both tails are registered once the hub lists them as monitors; wait on the hub rather than on output.
    await waitUntil(() => hub.stats().monitors === 2, 30_000, 'two tails connected');
    const { agent_id } = await agent.connect();
    agent.status('crunching numbers');
    agent.event('tool_call', { tool: 'calc' });
    await readable.waitForLine(/● online\s+tailed/);
    await readable.waitForLine(/STATUS\s+tailed\s+crunching numbers/);
    await readable.waitForLine(/AGENT_EVENT\s+tailed\s+tool_call/);
    const [line] = await json.waitForLine(/^.*"message_type":"STATUS".*$/);
    const entry = JSON.parse(line) as { sender_id: string; body: { text_payload: string } };
    assert.equal(entry.sender_id, agent_id);
    assert.equal(entry.body.text_payload, 'crunching numbers');
    assert.equal(json.count(/"message_type":"(?!STATUS)/), 0, 'only STATUS entries with --type STATUS');
    readable.child.kill('SIGINT');
    json.child.kill('SIGINT');
    assert.equal((await readable.waitExit()).code, 0);
    assert.equal((await json.waitExit()).code, 0);
  } finally {
    await readable.kill();
    await json.kill();
    await agent.close();
    await hub.stop();
  }
});

test('`switchboard tail` prints the backlog and the presence snapshot in time order: its first timestamps never run backwards', async () => {
  const hub = await startHub();
  const agent = new AgentClient({ url: hub.agentUrl, name: 'backlogger', reconnect: false });
  try {
    await agent.connect();
    agent.status('working before the tail starts');
    await waitUntil(() => hub.log.query({ message_type: 'STATUS' }).length > 0, 5000, 'the STATUS is in the log');
    const p = cli(['tail', '--backlog', '20', '--url', hub.agentUrl]);
    try {
      await p.waitForLine(/● online\s+backlogger/);
      await p.waitForLine(/STATUS\s+backlogger.*working before the tail starts/);
      const times = p.stdout.map((l) => /^(\d\d:\d\d:\d\d\.\d{3})  /.exec(l)?.[1]).filter((t): t is string => t !== undefined);
      assert.deepEqual(times, [...times].sort(), p.transcript());
      const online = p.stdout.findIndex((l) => /● online\s+backlogger/.test(l));
      const status = p.stdout.findIndex((l) => /working before the tail starts/.test(l));
      assert.ok(status < online, p.transcript());
    } finally {
      p.child.kill('SIGINT');
      await p.waitExit();
    }
  } finally {
    await agent.close();
    await hub.stop();
  }
});

test('`switchboard demo --with-hub` starts a hub, and the demo agents are seen coming online in its stream', async () => {
  const p = cli(['demo', '--with-hub', '--port', '0', '--no-chaos']);
  try {
    const [, url] = await p.waitForLine(READY);
    for (const name of ['planner', 'researcher', 'coder', 'reviewer', 'summariser']) await p.waitForLine(new RegExp(`● online\\s+${name} agent_`), 30_000);
    // The simulated person's first task is answered, with status lines on the way. When it goes to the coder, its
    // write_file waits for a person: the test approves it with the command the stream prints under it (as a newcomer
    // would) — otherwise the answer waits out the 30 s default deny.
    const first = await p.waitForLine(/REPLY\s+\S+ → demo user|→ node dist\/cli\.js approve (ap_\S+)/, 30_000);
    if (first[1]) {
      const approved = await cliRun(['approve', first[1], '--url', url!]);
      assert.equal(approved.exit?.code, 0, approved.stderr.join('\n'));
      assert.match(approved.stdout.join('\n'), new RegExp(`approved ${first[1]}`));
      await p.waitForLine(/REPLY\s+coder → demo user/, 30_000);
    }
    const listed = await cliRun(['agents', '--json', '--url', url!]);
    assert.equal((JSON.parse(listed.stdout.join('\n')) as unknown[]).length, 5);
    p.child.kill('SIGINT');
    assert.equal((await p.waitExit(15_000)).code, 0, p.transcript());
  } finally {
    await p.kill();
  }
});

test('`switchboard demo` keeps chaos rare unless asked: it says the pace and how to change it; --chaos and SWITCHBOARD_DEMO_CHAOS pick a level', async () => {
  const hub = await startHub();
  const runs = [
    { args: [] as string[], env: {}, expect: /^Chaos rare: from 5 min on, an agent goes silent or crashes about every 1\.5 min .*--chaos off\|rare\|often/ },
    { args: ['--chaos', 'often'], env: {}, expect: /^Chaos often: from 30 s on/ },
    { args: [], env: { SWITCHBOARD_DEMO_CHAOS: 'off' }, expect: /^Chaos is off/ },
    { args: ['--no-chaos'], env: { SWITCHBOARD_DEMO_CHAOS: 'often' }, expect: /^Chaos is off/ },
  ];
  try {
    for (const r of runs) {
      const p = cli(['demo', '--no-user', '--count', '5', ...r.args], { SWITCHBOARD_URL: hub.agentUrl, ...r.env });
      try {
        await p.waitForLine(r.expect, 30_000, 'stderr');
        p.child.kill('SIGINT');
        assert.equal((await p.waitExit(15_000)).code, 0, p.transcript());
      } finally {
        await p.kill();
      }
    }
    const bad = await cliRun(['demo', '--chaos', 'sometimes'], { SWITCHBOARD_URL: hub.agentUrl });
    assert.equal(bad.exit?.code, 1);
    assert.match(bad.stderr.join('\n'), /--chaos must be one of off, rare, often, got "sometimes"/);
  } finally {
    await hub.stop();
  }
});

test('`switchboard demo --url` connects the fleet to a running hub, and its agents go offline when it stops', async () => {
  const hub = await startHub();
  const p = cli(['demo', '--no-chaos', '--no-user', '--count', '3'], { SWITCHBOARD_URL: hub.agentUrl });
  try {
    await waitUntil(() => hub.agents().filter((a) => a.status === 'online').length === 3, 20_000, 'three demo agents online');
    assert.deepEqual(hub.agents().map((a) => a.agent_name).sort(), ['coder', 'planner', 'researcher']);
    p.child.kill('SIGTERM');
    assert.equal((await p.waitExit(15_000)).code, 0, p.transcript());
    await waitUntil(() => hub.agents().every((a) => a.status === 'offline'), 5000, 'all offline');
  } finally {
    await p.kill();
    await hub.stop();
  }
});

test('every hub option has a flag and a SWITCHBOARD_* variable, and the README’s configuration table lists them all', () => {
  assert.deepEqual(Object.keys(HUB_OPTION_SPECS).sort(), Object.keys(DEFAULT_HUB_OPTIONS).sort());
  const envs = Object.values(HUB_OPTION_SPECS).map((s) => s.env);
  assert.equal(new Set(envs).size, envs.length, 'variables are unique');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const missing = hubOptionRows().filter((r) => !readme.includes(`\`${r.flag}\``) || !readme.includes(`\`${r.env}\``));
  assert.deepEqual(missing.map((r) => r.flag), [], 'README configuration table is missing these options');
});

test('flags beat variables, unset ones fall through to the hub defaults, and bad values name their source', () => {
  const env = { SWITCHBOARD_PORT: '9000', SWITCHBOARD_HOST: '0.0.0.0', SWITCHBOARD_PORT_FALLBACK: 'false', SWITCHBOARD_ALLOWED_ORIGINS: 'http://a, http://b' };
  assert.deepEqual(hubOptionsFrom({ port: '9100' }, env), { host: '0.0.0.0', port: 9100, portFallback: false, allowedOrigins: ['http://a', 'http://b'] });
  assert.deepEqual(hubOptionsFrom({}, {}), {});
  assert.throws(() => hubOptionsFrom({}, { SWITCHBOARD_LOG_KEEPALIVES: 'maybe' }), (e: unknown) => e instanceof CliError && /SWITCHBOARD_LOG_KEEPALIVES/.test(e.message));
});
