// The HubManager and both HubConnection adapters against a real Hub on real sockets, in plain Node: one window owns
// the hub, a second attaches as a monitor and sees the same agents, nobody starts a rival, and the second takes over
// the port when the first lets go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hub } from '../../src/hub/hub';
import { silentLogger } from '../../src/protocol/logger';
import { AgentClient } from '../../src/sdk/agentClient';
import { FrontendClient } from '../../src/sdk/frontendClient';
import { withSession } from '../../src/sdk/session';
import { HubManager, type ManagerSettings } from '../../src/extension/model/hubManager';
import { HubFile } from '../../src/extension/model/hubFile';
import { probeHub } from '../../src/extension/model/healthProbe';
import { MonitorConnection } from '../../src/extension/model/monitorConnection';
import { ManagerMonitorSource } from '../../src/extension/model/managerMonitorSource';
import { DemoController } from '../../src/extension/model/demoController';
import { freePort, manager as windowManager, waitFor } from './managerHarness';
import type { HubConnection } from '../../src/extension/model/hubConnection';
import type { HubLike } from '../../src/extension/model/hubLike';
import type { LogEntry } from '../../src/protocol/logEntry';

function manager(dir: string, settings: ManagerSettings): HubManager {
  return windowManager(dir, settings, { pingIntervalMs: 500, inactivityTimeoutMs: 2000, heartbeatIntervalMs: 1000 });
}

function ownHub(m: HubManager): HubLike | undefined {
  return m.hub;
}

function names(conn: HubConnection | undefined): string[] {
  return (conn?.agents() ?? []).filter((a) => a.status !== 'offline').map((a) => a.agent_name).sort();
}

test('a second window attaches to the hub on the configured port, shows the same agents, and takes over when the owner stops', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-hubfile-'));
  const port = await freePort();
  const settings: ManagerSettings = { hub: { host: '127.0.0.1', port, token: 'shared-token-for-both-windows', logDir: '' }, autoStart: true };
  const a = manager(dir, settings);
  const b = manager(dir, settings);
  let agent: AgentClient | undefined;
  try {
    assert.equal(await a.startOrAttach(true), 'local');
    assert.ok(a.hub, 'window A owns a hub');
    const file = new HubFile(dir, port);
    const rec = await file.read();
    assert.equal(rec?.hubId, a.hub.id);
    assert.equal(rec?.pid, process.pid);
    assert.equal(rec?.port, port);
    if (process.platform !== 'win32') assert.equal((await stat(file.path)).mode & 0o777, 0o600, 'hub file readable only by its owner');

    agent = new AgentClient({ url: a.connection!.info().agentUrl, name: 'alpha', logger: silentLogger, reconnect: { initialMs: 50, maxMs: 200 } });
    const received: string[] = [];
    agent.onMessage((m) => {
      received.push(String(m.text_payload));
    });
    const { agent_id } = await agent.connect();
    await waitFor('A to list alpha', () => names(a.connection).includes('alpha'));

    assert.equal(await b.startOrAttach(true), 'attached');
    assert.equal(b.hub, undefined, 'window B starts no hub of its own');
    assert.equal(b.connection?.mode, 'attached');
    assert.deepEqual(names(b.connection), ['alpha'], 'B shows the same agents at once');
    const health = await probeHub('127.0.0.1', port);
    assert.deepEqual(health.kind === 'hub' && health.hubId, a.hub.id, 'still exactly the hub of window A on the port');

    // B drives the agent through A's hub, and sees its status lines and events
    const id = await b.connection!.send({ receiver_id: agent_id, text_payload: 'hello from window B' });
    assert.match(id, /^msg_/);
    await waitFor('the agent to receive B\'s message', () => received.includes('hello from window B'));
    agent.status('thinking about it…');
    agent.event('tool_call', { tool: 'search' });
    await waitFor('B to see the status line', () => b.connection!.activity(agent_id).some((x) => x.text === 'thinking about it…'));
    await waitFor('B to see the event', () => b.connection!.activity(agent_id).some((x) => x.event_type === 'tool_call'));
    await waitFor('A to see the status line', () => a.connection!.activity(agent_id).some((x) => x.text === 'thinking about it…'));
    const csv = await b.connection!.exportLog('csv');
    assert.match(csv.split('\r\n')[0] ?? '', /^seq,time,direction,message_type/);

    await b.connection!.control('pause', agent_id);
    await waitFor('A to show alpha paused', () => a.connection!.agent(agent_id)?.status === 'paused');
    await waitFor('B to show alpha paused', () => b.connection!.agent(agent_id)?.status === 'paused');
    await b.connection!.control('resume', agent_id);

    // the owner goes away: B takes over the same port, the agent reconnects with the same token
    const oldHub = a.hub.id;
    await a.stop();
    // B may already have taken the port and written its own record while A's stop was still closing its log and bus
    // (A's removal leaves a record that is not its own alone): what must hold is that A's record is gone
    assert.notEqual((await file.read())?.hubId, oldHub, 'the owner removed its hub file');
    await waitFor('B to take over', () => b.connection?.mode === 'local' && b.connection.state === 'running', 10_000);
    // read through a function: the earlier `b.hub === undefined` assertion narrowed the property for the compiler
    const taken = ownHub(b);
    assert.ok(taken && taken.id !== oldHub);
    assert.equal(taken.port, port, 'the takeover uses the configured port, not another one');
    assert.equal((await file.read())?.hubId, taken.id);
    await waitFor('alpha to come back on the new hub', () => names(b.connection).includes('alpha'), 10_000);
  } finally {
    await agent?.close();
    await b.dispose();
    await a.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a hub on the port whose token this window does not know is not replaced by a rival: start fails and says what to do', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-hubfile-'));
  const foreign = new Hub({ port: 0, token: 'someone-elses', logDir: '' }, { logger: silentLogger });
  await foreign.start();
  const m = manager(dir, { hub: { host: '127.0.0.1', port: foreign.port, logDir: '' }, autoStart: true });
  try {
    await assert.rejects(m.startOrAttach(true), (err: Error) => /Set Hub Token/.test(err.message) && err.message.includes(foreign.id));
    assert.equal(m.hub, undefined);
    assert.equal(m.connection, undefined);
    assert.match(m.problem ?? '', /holds no token/);
  } finally {
    await m.dispose();
    await foreign.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('when something other than a hub holds the port, the hub falls back to a free port and the hub file leads a second window to it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-hubfile-'));
  const squatter: Server = createServer((_req, res) => res.end('not a hub'));
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
  const port = (squatter.address() as { port: number }).port;
  const settings: ManagerSettings = { hub: { host: '127.0.0.1', port, logDir: '' }, autoStart: true };
  const a = manager(dir, settings);
  const b = manager(dir, settings);
  try {
    assert.equal(await a.startOrAttach(true), 'local');
    assert.notEqual(a.hub?.port, port);
    assert.equal(await b.startOrAttach(true), 'attached');
    assert.equal(b.connection?.info().port, a.hub?.port);
  } finally {
    await b.dispose();
    await a.dispose();
    await new Promise<void>((r) => squatter.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  }
});

test('with autoStart off and a free port, nothing starts; the monitor source follows a later start', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-hubfile-'));
  const port = await freePort();
  const m = manager(dir, { hub: { host: '127.0.0.1', port, logDir: '' }, autoStart: false });
  const source = new ManagerMonitorSource(m);
  const hubs: string[] = [];
  const entries: LogEntry[] = [];
  const subHub = source.onHub((h) => hubs.push(h.state));
  const subEntries = source.onEntries((e) => entries.push(...e));
  try {
    assert.equal(await m.startOrAttach(false), undefined);
    assert.equal(m.connection, undefined);
    assert.deepEqual(source.snapshot(10).agents, []);
    await assert.rejects(source.sendMessage({ receiver_id: 'agent_x', text_payload: 'hi' }), /Start Hub/);
    assert.equal(await m.startOrAttach(true), 'local');
    assert.ok(hubs.includes('running'), `onHub saw: ${hubs.join(',')}`);
    const agent = new AgentClient({ url: m.connection!.info().agentUrl, name: 'beta', logger: silentLogger, reconnect: false });
    await agent.connect();
    await waitFor('log entries to reach the monitor source', () => entries.some((e) => e.message_type === 'REGISTER_AGENT'));
    assert.ok(source.snapshot(50).entries.length > 0);
    await agent.close();
    // restart replaces the connection: the subscription moves to the new hub
    await m.restart();
    const before = entries.length;
    const again = new AgentClient({ url: m.connection!.info().agentUrl, name: 'gamma', logger: silentLogger, reconnect: false });
    await again.connect();
    await waitFor('entries from the restarted hub', () => entries.length > before);
    await again.close();
  } finally {
    subHub.dispose();
    subEntries.dispose();
    await m.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a hub file with garbage in it is ignored rather than trusted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-hubfile-'));
  try {
    const f = new HubFile(dir, 1234);
    await f.write({ port: 1234, host: '127.0.0.1', token: 't', pid: 1, hubId: 'hub_1', startedAt: '' });
    assert.equal((await f.read())?.token, 't');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(f.path, '{"port": "80", "token": 5}');
    assert.equal(await f.read(), undefined);
    assert.equal(await f.removeIfOwned('hub_1'), false);
    assert.ok((await readFile(f.path, 'utf8')).length > 0, 'a file we do not own is left alone');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an attached window rebuilds front-end sessions and their status lines from the monitor stream', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-hubfile-'));
  const port = await freePort();
  const settings: ManagerSettings = { hub: { host: '127.0.0.1', port, token: 'sessions-token', logDir: '' }, autoStart: true };
  const a = manager(dir, settings);
  const b = manager(dir, settings);
  let agent: AgentClient | undefined;
  let front: FrontendClient | undefined;
  try {
    assert.equal(await a.startOrAttach(true), 'local');
    assert.equal(await b.startOrAttach(true), 'attached');
    const url = a.connection!.info().agentUrl;
    front = new FrontendClient({ url, name: 'chat ui', logger: silentLogger, reconnect: false });
    await front.connect();
    const sessionId = front.id!;
    agent = new AgentClient({ url, name: 'helper', logger: silentLogger, reconnect: false });
    await agent.connect();
    withSession(sessionId, () => agent!.status('looking it up…'));
    const session = (conn: HubConnection | undefined) => conn?.sessions().find((s) => s.session_id === sessionId);
    await waitFor('A to list the session line', () => session(a.connection)?.status_lines.some((l) => l.text === 'looking it up…') ?? false);
    await waitFor('B to list the session line', () => session(b.connection)?.status_lines.some((l) => l.text === 'looking it up…') ?? false);
    assert.equal(session(b.connection)?.name, 'chat ui');
    assert.equal(session(b.connection)?.connected, true);
    assert.equal(session(b.connection)?.status_lines[0]?.agent_id, agent.id);
    await front.close();
    await waitFor('B to show the session disconnected', () => session(b.connection)?.connected === false);
  } finally {
    await front?.close();
    await agent?.close();
    await b.dispose();
    await a.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});

test('an attached window keeps a bounded buffer of entries, exports it as NDJSON, and clears only its own copy', async () => {
  const hub = new Hub({ port: 0, token: 'buffer-token', logDir: '' }, { logger: silentLogger });
  await hub.start();
  const conn = new MonitorConnection({ host: '127.0.0.1', port: hub.port, token: 'buffer-token', hubId: hub.id, logger: silentLogger, maxEntries: 10 });
  const agent = new AgentClient({ url: hub.agentUrl, name: 'chatty', logger: silentLogger, reconnect: false });
  try {
    await conn.connect();
    await agent.connect();
    for (let i = 0; i < 30; i++) agent.status(`step ${i}`);
    await waitFor('the last status line', () => conn.recentEntries(10).some((e) => e.body.text_payload === 'step 29'));
    assert.equal(conn.recentEntries(1000).length, 10, 'the buffer holds at most maxEntries');
    assert.equal(conn.recentEntries(3).length, 3);
    const ndjson = await conn.exportLog('ndjson');
    const lines = ndjson.trim().split('\n').map((l) => JSON.parse(l) as LogEntry);
    assert.equal(lines.length, 10);
    assert.ok(lines.every((e) => typeof e.seq === 'number'));
    await conn.clearLog();
    assert.equal(conn.recentEntries(100).length, 0);
    assert.ok(hub.log.size > 10, 'the owning hub keeps its log');
    await assert.rejects(
      (async () => {
        await hub.stop();
        await waitFor('the monitor to notice', () => conn.state === 'disconnected');
        await conn.send({ receiver_id: 'agent_x', text_payload: 'x' });
      })(),
      /Restart Hub/,
    );
  } finally {
    await agent.close();
    await conn.close();
    await hub.stop();
  }
});

test('demo agents: one fleet per window, a second start on the same hub keeps it, stop takes them offline', async () => {
  const hub = new Hub({ port: 0, logDir: '' }, { logger: silentLogger });
  await hub.start();
  const demo = new DemoController(silentLogger);
  const seen: boolean[] = [];
  demo.onDidChange((running) => seen.push(running));
  try {
    const ids = await demo.start(hub.agentUrl, 2);
    assert.equal(ids.length, 2);
    assert.equal(demo.running, true);
    await waitFor('both demo agents online', () => hub.agents().filter((a) => a.status === 'online').length === 2);
    assert.deepEqual(await demo.start(hub.agentUrl, 2), ids, 'the same fleet, not a second one');
    await demo.stop();
    assert.equal(demo.running, false);
    assert.deepEqual(seen, [true, false]);
    await waitFor('the demo agents offline', () => hub.agents().every((a) => a.status === 'offline'));
  } finally {
    await demo.stop();
    await hub.stop();
  }
});
