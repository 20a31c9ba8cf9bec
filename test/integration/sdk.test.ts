// The Node SDK against a real Hub on a real socket: registration, auto-PONG presence, reconnecting under the same id,
// STATUS routed to the right front-end through AsyncLocalStorage, front-end replies, monitor streams, control.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Hub } from '../../src/hub/hub';
import { AgentClient } from '../../src/sdk/agentClient';
import { withSession } from '../../src/sdk/session';
import { FrontendClient } from '../../src/sdk/frontendClient';
import { MonitorClient } from '../../src/sdk/monitorClient';
import type { StatusLine } from '../../src/sdk/observerClient';
import type { LogEntry } from '../../src/protocol/logEntry';
import { SwitchboardError } from '../../src/protocol/errors';
import { connect, startHub, waitUntil } from './hubHarness';

const FAST_RECONNECT = { initialMs: 50, maxMs: 200 };

type Closable = { close(): Promise<void> } | { stop(): Promise<void> };
interface Scope {
  add<T extends Closable>(x: T): T;
}

/** Run a test body; everything it registered with c.add() is closed afterwards, even when it fails half-way. */
async function scenario(body: (c: Scope) => Promise<void>): Promise<void> {
  const items: Closable[] = [];
  try {
    await body({
      add: (x) => {
        items.push(x);
        return x;
      },
    });
  } finally {
    for (const x of items.reverse()) await ('close' in x ? x.close() : x.stop()).catch(() => undefined);
  }
}

/** Stop a hub and start a new one on the same port with the same token, as a restarted hub would be. */
async function restartHub(hub: Hub): Promise<Hub> {
  const { port, token } = hub;
  await hub.stop();
  return startHub({ token, port, portFallback: false });
}

function online(hub: Hub, id: string | undefined): boolean {
  return id !== undefined && hub.agent(id)?.status === 'online';
}

test('an AgentClient registers, gets a hub-chosen agent_ id and shows online under its name', () =>
  scenario(async (c) => {
    const hub = c.add(await startHub());
    const agent = c.add(new AgentClient({ url: hub.agentUrl, name: 'alpha' }));
    const { agent_id } = await agent.connect();
    assert.match(agent_id, /^agent_[0-9a-f]{8}$/);
    assert.equal(agent.id, agent_id);
    await waitUntil(() => online(hub, agent_id), 2000, 'agent online');
    assert.equal(hub.agent(agent_id)?.agent_name, 'alpha');
  }));

test('an agent that chooses its own id (early seed style) keeps it', () =>
  scenario(async (c) => {
    const hub = c.add(await startHub());
    const agent = c.add(new AgentClient({ url: hub.agentUrl, name: 'beta', agentId: 'agent_beta0001' }));
    assert.deepEqual(await agent.connect(), { agent_id: 'agent_beta0001' });
  }));

test('connecting with a wrong token fails with unauthorized and a message that says to use the printed URL', () =>
  scenario(async (c) => {
    const hub = c.add(await startHub());
    const agent = c.add(new AgentClient({ url: `ws://127.0.0.1:${hub.port}/ws?token=wrong`, name: 'x' }));
    await assert.rejects(agent.connect(), (e: unknown) => e instanceof SwitchboardError && e.code === 'unauthorized' && /URL the hub printed/.test(e.message));
    assert.equal(agent.state, 'idle');
  }));

test('automatic PONGs keep an agent online well past the inactivity timeout, while a hung one goes offline', () =>
  scenario(async (c) => {
    // Generous timeout against the ping interval: a loaded CI machine may stall the event loop for a while.
    const hub = c.add(await startHub({ pingIntervalMs: 100, inactivityTimeoutMs: 1000 }));
    const alive = c.add(new AgentClient({ url: hub.agentUrl, name: 'alive', reconnect: false }));
    const hung = c.add(new AgentClient({ url: hub.agentUrl, name: 'hung', reconnect: false }));
    const { agent_id: aliveId } = await alive.connect();
    const { agent_id: hungId } = await hung.connect();
    hung.simulateHang(60_000);
    // The hung agent going offline proves the timeout is running; the other must still be online after it.
    await waitUntil(() => hub.agent(hungId)?.status === 'offline', 5000, 'hung agent offline');
    await delay(2000); // two more inactivity periods
    assert.equal(hub.agent(aliveId)?.status, 'online');
    assert.equal(alive.registrationCount, 1, 'the live agent never had to reconnect');
    assert.equal(hung.state, 'closed', 'the hub closed the hung agent and it was told not to reconnect');
  }));

test('after the hub drops its socket for inactivity, the agent comes back under the same id once it is responsive', () =>
  scenario(async (c) => {
    const hub = c.add(await startHub({ pingIntervalMs: 100, inactivityTimeoutMs: 400 }));
    const agent = c.add(new AgentClient({ url: hub.agentUrl, name: 'sleepy', reconnect: FAST_RECONNECT }));
    const { agent_id } = await agent.connect();
    agent.simulateHang(1200);
    await waitUntil(() => hub.agent(agent_id)?.status === 'offline', 5000, 'offline while hung');
    await waitUntil(() => agent.registrationCount === 2 && online(hub, agent_id), 8000, 'back online');
    assert.equal(agent.id, agent_id);
    assert.equal(hub.agents().filter((a) => a.agent_name === 'sleepy').length, 1, 'one record, not a second agent');
  }));

test('a crashed agent (socket dropped without a close frame) reconnects with the same id', () =>
  scenario(async (c) => {
    const hub = c.add(await startHub());
    const agent = c.add(new AgentClient({ url: hub.agentUrl, name: 'crashy', reconnect: FAST_RECONNECT }));
    const { agent_id } = await agent.connect();
    agent.simulateCrash(300);
    await waitUntil(() => hub.agent(agent_id)?.status === 'offline', 5000, 'offline after the crash');
    await waitUntil(() => agent.registrationCount === 2 && online(hub, agent_id), 8000, 'back online');
    assert.equal(agent.id, agent_id);
  }));

test('when the hub stops and a new one starts on the same port and token, the agent re-registers under its id', () =>
  scenario(async (c) => {
    const first = c.add(await startHub({ token: 'tok-restart' }));
    const agent = c.add(new AgentClient({ url: first.agentUrl, name: 'survivor', reconnect: FAST_RECONNECT }));
    const { agent_id } = await agent.connect();
    const control: string[] = [];
    agent.onControl((type) => control.push(type));
    const second = c.add(await restartHub(first));
    assert.deepEqual(control, ['SHUTDOWN'], 'the hub said it was stopping before closing');
    await waitUntil(() => online(second, agent_id) && agent.registrationCount === 2, 8000, 'agent registered on the new hub');
    assert.equal(agent.id, agent_id);
  }));

test('a front-end that reconnects to a restarted hub keeps its session id, so an agent still working for it reaches it', () =>
  scenario(async (c) => {
    const first = c.add(await startHub({ token: 'tok-fe' }));
    const fe = c.add(new FrontendClient({ url: first.agentUrl, name: 'steady', reconnect: FAST_RECONNECT }));
    const { frontend_id } = await fe.connect();
    const second = c.add(await restartHub(first));
    await waitUntil(() => fe.connected, 8000, 'front-end reconnected');
    assert.equal(fe.id, frontend_id);
    const agent = c.add(new AgentClient({ url: second.agentUrl, name: 'late worker' }));
    await agent.connect();
    const lines: string[] = [];
    fe.onStatus((l) => lines.push(l.text));
    withSession(frontend_id, () => agent.status('still on it'));
    await waitUntil(() => lines.includes('still on it'), 3000, 'status for the old session id');
  }));

test('a monitor keeps its id across a hub restart and streams live entries again', () =>
  scenario(async (c) => {
    const first = c.add(await startHub({ token: 'tok-mon' }));
    const agent = c.add(new AgentClient({ url: first.agentUrl, name: 'speaker', reconnect: FAST_RECONNECT }));
    await agent.connect();
    agent.status('before the restart');
    await waitUntil(() => first.log.query({ message_type: 'STATUS' }).length === 1, 2000, 'logged');
    const mon = c.add(new MonitorClient({ url: first.agentUrl, backlog: 50, reconnect: FAST_RECONNECT }));
    const texts: string[] = [];
    mon.onEntries((b) => texts.push(...b.filter((e) => e.message_type === 'STATUS').map((e) => String(e.body.text_payload))));
    const { monitor_id } = await mon.connect();
    await waitUntil(() => texts.length === 1, 2000, 'backlog delivered');
    const second = c.add(await restartHub(first));
    await waitUntil(() => mon.connected && agent.connected, 8000, 'both reconnected');
    assert.equal(mon.id, monitor_id);
    agent.status('after the restart');
    await waitUntil(() => texts.includes('after the restart'), 3000, 'live entries again');
    assert.deepEqual(texts, ['before the restart', 'after the restart']);
    assert.equal(second.state, 'running');
  }));

test('a reconnect refused with id_in_use is retried after a short delay, not the growing backoff, until the id is free', () =>
  scenario(async (c) => {
    const hub = c.add(await startHub());
    // A slow backoff (1–2 s per attempt) so that quick retries can only come from the id_in_use rule.
    const agent = c.add(new AgentClient({ url: hub.agentUrl, name: 'contested', reconnect: { initialMs: 2000, maxMs: 2000 } }));
    const { agent_id } = await agent.connect();
    let attempts = 0;
    agent.onState((state) => {
      if (state === 'connecting') attempts++;
    });
    agent.simulateCrash(0);
    await waitUntil(() => hub.agent(agent_id)?.status === 'offline', 5000, 'offline after the crash');
    // Someone holds the id while the agent is away, as a not-yet-reaped old socket would.
    const squatter = await connect(hub);
    squatter.send({ message_type: 'REGISTER_AGENT', agent_name: 'squatter', agent_id });
    await squatter.waitType('REGISTER_AGENT_RESPONSE');
    await waitUntil(() => attempts >= 1, 5000, 'first reconnect attempt');
    await delay(1500);
    assert.ok(attempts >= 3, `only ${attempts} attempts in 1.5 s: id_in_use was not retried quickly`);
    assert.equal(agent.registrationCount, 1);
    await squatter.close();
    await waitUntil(() => agent.registrationCount === 2, 8000, 'registered again once the id was free');
    assert.equal(agent.id, agent_id);
    await waitUntil(() => hub.agent(agent_id)?.agent_name === 'contested', 2000, 'record named for the agent again');
  }));

test('status() reaches the front-end whose message is being handled, across awaits, with two sessions at once', () =>
  scenario(async (c) => {
    const hub = c.add(await startHub());
    const agent = c.add(new AgentClient({ url: hub.agentUrl, name: 'worker' }));
    const { agent_id } = await agent.connect();
    // A "tool" deep in the agent: it knows nothing of sessions.
    const searchTool = async (topic: string): Promise<string> => {
      await delay(20);
      agent.status(`searching ${topic}…`);
      await new Promise((r) => setTimeout(r, 30));
      agent.status(`reading ${topic}…`);
      return `about ${topic}`;
    };
    agent.onMessage(async (m, ctx) => {
      await delay(m.text_payload === 'apples' ? 40 : 5); // interleave the two sessions
      const answer = await searchTool(String(m.text_payload));
      await ctx.reply(answer);
    });
    const a = c.add(new FrontendClient({ url: hub.agentUrl, name: 'session A' }));
    const b = c.add(new FrontendClient({ url: hub.agentUrl, name: 'session B' }));
    const { frontend_id: aId } = await a.connect();
    const { frontend_id: bId } = await b.connect();
    const linesA: StatusLine[] = [];
    const linesB: StatusLine[] = [];
    a.onStatus((l) => linesA.push(l));
    b.onStatus((l) => linesB.push(l));
    const [idA, idB] = await Promise.all([a.send(agent_id, 'apples'), b.send(agent_id, 'bananas')]);
    const [replyA, replyB] = await Promise.all([a.waitForReply(idA, 5000), b.waitForReply(idB, 5000)]);
    assert.equal(replyA.text_payload, 'about apples');
    assert.equal(replyB.text_payload, 'about bananas');
    await waitUntil(() => linesA.length >= 2 && linesB.length >= 2, 2000, 'status lines');
    assert.deepEqual(linesA.map((l) => l.text), ['searching apples…', 'reading apples…']);
    assert.deepEqual(linesB.map((l) => l.text), ['searching bananas…', 'reading bananas…']);
    assert.ok(linesA.every((l) => l.session_id === aId && l.agent_id === agent_id));
    assert.ok(linesB.every((l) => l.session_id === bId));
  }));

test('withSession routes status from work the agent started on its own; outside any session status reaches no front-end', () =>
  scenario(async (c) => {
    const hub = c.add(await startHub());
    const agent = c.add(new AgentClient({ url: hub.agentUrl, name: 'scheduler' }));
    await agent.connect();
    const a = c.add(new FrontendClient({ url: hub.agentUrl, name: 'A' }));
    const b = c.add(new FrontendClient({ url: hub.agentUrl, name: 'B' }));
    const { frontend_id: aId } = await a.connect();
    await b.connect();
    const linesA: string[] = [];
    const linesB: string[] = [];
    a.onStatus((l) => linesA.push(l.text));
    b.onStatus((l) => linesB.push(l.text));
    agent.status('no session');
    withSession(aId, () => {
      setTimeout(() => void Promise.resolve().then(() => agent.status('nightly report for A')), 10);
    });
    await waitUntil(() => linesA.length >= 1, 2000, 'status for A');
    await delay(100);
    assert.deepEqual(linesA, ['nightly report for A']);
    assert.deepEqual(linesB, []);
  }));

test('a message an agent sends while serving a session carries it, so the next agent’s status reaches the same front-end', () =>
  scenario(async (c) => {
    const hub = c.add(await startHub());
    const planner = c.add(new AgentClient({ url: hub.agentUrl, name: 'planner' }));
    const researcher = c.add(new AgentClient({ url: hub.agentUrl, name: 'researcher' }));
    const { agent_id: plannerId } = await planner.connect();
    const { agent_id: researcherId } = await researcher.connect();
    planner.onMessage(async (m, ctx) => {
      if (m.message_type !== 'TEXT') return;
      await planner.send(researcherId, `look up ${m.text_payload}`);
      await ctx.reply('planned');
    });
    researcher.onMessage((m) => {
      if (m.message_type === 'TEXT') researcher.status(`researching (${m.text_payload})`);
    });
    const fe = c.add(new FrontendClient({ url: hub.agentUrl, name: 'person' }));
    await fe.connect();
    const lines: StatusLine[] = [];
    fe.onStatus((l) => lines.push(l));
    await fe.waitForReply(await fe.send(plannerId, 'trip'), 5000);
    await waitUntil(() => lines.length > 0, 2000, 'researcher status at the front-end');
    assert.equal(lines[0]!.text, 'researching (look up trip)');
    assert.equal(lines[0]!.agent_id, researcherId);
  }));

test('waitForReply rejects with the hub’s explanation when the receiver is unknown', () =>
  scenario(async (c) => {
    const hub = c.add(await startHub());
    const fe = c.add(new FrontendClient({ url: hub.agentUrl, name: 'lost' }));
    await fe.connect();
    const id = await fe.send('agent_doesnotexist', 'hello?');
    await assert.rejects(fe.waitForReply(id, 3000), (e: unknown) => e instanceof SwitchboardError && /agent_doesnotexist/.test(e.message));
  }));

test('a MonitorClient gets the agent list, then log entries for what happens, including STATUS and AGENT_EVENT', () =>
  scenario(async (c) => {
    const hub = c.add(await startHub());
    const agent = c.add(new AgentClient({ url: hub.agentUrl, name: 'observed' }));
    const { agent_id } = await agent.connect();
    const mon = c.add(new MonitorClient({ url: hub.agentUrl, name: 'test monitor', backlog: 10 }));
    const entries: LogEntry[] = [];
    mon.onEntries((batch) => entries.push(...batch));
    const { monitor_id, hub_id } = await mon.connect();
    assert.match(monitor_id, /^mon_/);
    assert.equal(hub_id, hub.id);
    const agents = await mon.waitForAgents(3000);
    assert.equal(agents.get(agent_id)?.agent_name, 'observed');
    agent.status('thinking hard');
    agent.event('tool_call', { tool: 'search', q: 'x' });
    await waitUntil(
      () => entries.some((e) => e.message_type === 'STATUS' && e.body.text_payload === 'thinking hard') && entries.some((e) => e.message_type === 'AGENT_EVENT'),
      3000,
      'STATUS and AGENT_EVENT entries',
    );
    const ev = entries.find((e) => e.message_type === 'AGENT_EVENT')!;
    assert.equal(ev.body.event_type, 'tool_call');
    assert.deepEqual(ev.body.data, { tool: 'search', q: 'x' });
    assert.ok(entries.some((e) => e.message_type === 'REGISTER_AGENT'), 'the backlog included the registration');
  }));

test('pause, resume, deregister and reregister reach the agent’s onControl and show in presence', () =>
  scenario(async (c) => {
    const hub = c.add(await startHub());
    const agent = c.add(new AgentClient({ url: hub.agentUrl, name: 'controlled' }));
    const { agent_id } = await agent.connect();
    const seen: string[] = [];
    agent.onControl((type) => seen.push(type));
    const mon = c.add(new MonitorClient({ url: hub.agentUrl, backlog: 0 }));
    await mon.connect();
    await mon.control('pause', agent_id);
    await waitUntil(() => agent.isPaused && hub.agent(agent_id)?.status === 'paused', 2000, 'paused');
    await mon.control('resume', agent_id);
    await waitUntil(() => !agent.isPaused && online(hub, agent_id), 2000, 'resumed');
    await mon.control('deregister', agent_id);
    await waitUntil(() => hub.agent(agent_id)?.status === 'offline', 2000, 'deregistered');
    await mon.control('reregister', agent_id);
    await waitUntil(() => online(hub, agent_id) && agent.registrationCount === 2, 2000, 'registered again on the same connection');
    assert.deepEqual(seen, ['PAUSE_AGENT', 'RESUME_AGENT', 'DEREGISTER_AGENT', 'REREGISTER_AGENT']);
    assert.equal(agent.id, agent_id);
  }));

test('status lines sent while reconnecting wait in the outbox and arrive once the agent is back', () =>
  scenario(async (c) => {
    const hub = c.add(await startHub());
    const agent = c.add(new AgentClient({ url: hub.agentUrl, name: 'buffered', reconnect: FAST_RECONNECT }));
    const { agent_id } = await agent.connect();
    const mon = c.add(new MonitorClient({ url: hub.agentUrl, backlog: 0 }));
    const texts: string[] = [];
    mon.onEntries((b) => texts.push(...b.filter((e) => e.message_type === 'STATUS').map((e) => String(e.body.text_payload))));
    await mon.connect();
    agent.simulateCrash(300);
    await waitUntil(() => !agent.connected, 2000, 'disconnected');
    agent.status('written while away');
    await waitUntil(() => online(hub, agent_id) && texts.includes('written while away'), 5000, 'status delivered after reconnect');
  }));

test('an over-long status line is cut to the protocol limit instead of throwing inside the tool; unserialisable event data is refused clearly', () =>
  scenario(async (c) => {
    const hub = c.add(await startHub());
    const agent = c.add(new AgentClient({ url: hub.agentUrl, name: 'verbose' }));
    await agent.connect();
    agent.status('x'.repeat(70_000));
    await waitUntil(() => hub.log.query({ message_type: 'STATUS' }).length === 1, 3000, 'status logged');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.throws(() => agent.event('loop', circular), (e: unknown) => e instanceof SwitchboardError && /not JSON-serialisable/.test(e.message));
  }));
