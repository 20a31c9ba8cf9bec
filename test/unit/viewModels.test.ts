// The Agents/Sessions/Transports view models and the status bar model, in plain Node: hub state → tree rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PRESENCE_ICON,
  activityItem,
  agentDescription,
  agentItem,
  agentTooltip,
  countAgents,
  sortAgents,
} from '../../src/extension/model/agentViewModel';
import { ActivityStore, describeEventData } from '../../src/extension/model/activityStore';
import { Debouncer } from '../../src/extension/model/debouncer';
import { toAgentView, type AgentView, type ConnectionInfo } from '../../src/extension/model/hubConnection';
import { formatAgo } from '../../src/extension/model/relativeTime';
import { SESSION_LINES_SHOWN, sessionItem, sessionLineItems, sortSessions } from '../../src/extension/model/sessionViewModel';
import { RateTracker, busDetailItems, busItem, hubItem } from '../../src/extension/model/transportViewModel';
import { statusBarModel } from '../../src/extension/model/statusBarModel';
import { changedRestartKeys, toManagerSettings } from '../../src/extension/model/settingsModel';

const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString();

function agent(over: Partial<AgentView> = {}): AgentView {
  return {
    agent_id: 'agent_00000001',
    agent_name: 'researcher',
    status: 'online',
    is_online: true,
    last_seen: ago(4),
    namespace: 'default',
    hub_id: 'hub_abcdef01',
    connected_at: ago(60),
    messages_in: 3,
    messages_out: 2,
    held_messages: 0,
    ...over,
  };
}

test('relative times read as seconds, minutes, hours and days', () => {
  assert.equal(formatAgo(NOW, NOW), 'just now');
  assert.equal(formatAgo(NOW - 4_000, NOW), '4 s ago');
  assert.equal(formatAgo(NOW - 59_999, NOW), '59 s ago');
  assert.equal(formatAgo(NOW - 60_000, NOW), '1 min ago');
  assert.equal(formatAgo(NOW - 2 * 3600_000, NOW), '2 h ago');
  assert.equal(formatAgo(NOW - 3 * 86400_000, NOW), '3 d ago');
  // a clock a little ahead of ours never yields a negative age
  assert.equal(formatAgo(NOW + 5_000, NOW), 'just now');
});

test('an online agent row has a green dot, no ticking "last seen" and an agent.online context value', () => {
  const row = agentItem(agent(), NOW, { connectionLabel: 'local', hasActivity: false });
  assert.equal(row.label, 'researcher');
  assert.equal(row.description, '');
  assert.deepEqual(agentItem(agent(), NOW + 3_000, { connectionLabel: 'local', hasActivity: false }), row, 'an online row does not change with the clock (a redraw would cancel its hover)');
  assert.deepEqual(row.icon, { id: 'circle-filled', color: 'charts.green' });
  assert.equal(row.contextValue, 'agent.online');
  assert.equal(row.id, 'agent:agent_00000001');
  assert.equal(row.collapsible, 'none');
});

test('paused and offline agents say so first and use their own icon and colour', () => {
  const paused = agentItem(agent({ status: 'paused' }), NOW, { connectionLabel: 'x', hasActivity: true });
  assert.equal(paused.description, 'paused · last seen 4 s ago');
  assert.equal(agentItem(agent({ status: 'paused', last_status_text: 'waiting' }), NOW, { connectionLabel: 'x', hasActivity: true }).description, 'waiting · paused · last seen 4 s ago');
  assert.deepEqual(paused.icon, PRESENCE_ICON.paused);
  assert.equal(paused.contextValue, 'agent.paused');
  assert.equal(paused.collapsible, 'collapsed');
  const offline = agentItem(agent({ status: 'offline', is_online: false, last_seen: ago(125) }), NOW, { connectionLabel: 'x', hasActivity: false });
  assert.equal(offline.description, 'offline · last seen 2 min ago');
  assert.deepEqual(offline.icon, { id: 'circle-outline', color: 'disabledForeground' });
  assert.notDeepEqual(PRESENCE_ICON.online, PRESENCE_ICON.paused);
});

test('the description leads with the latest status line; an offline agent’s "last seen" moves with the clock', () => {
  const a = agent({ last_status_text: 'searching the web…' });
  assert.equal(agentDescription(a, NOW), 'searching the web…');
  const gone = agent({ status: 'offline', is_online: false, last_status_text: 'searching the web…' });
  assert.equal(agentDescription(gone, NOW), 'searching the web… · offline · last seen 4 s ago');
  assert.equal(agentDescription(gone, NOW + 10_000), 'searching the web… · offline · last seen 14 s ago');
  assert.equal(agentDescription(agent({ status: 'offline', is_online: false, last_seen: null }), NOW), 'offline · never seen');
});

test('the tooltip names id, name, connection, namespace and message counts', () => {
  const tip = agentTooltip(agent({ namespace: 'team-a', remote_address: '127.0.0.1:5555' }), NOW, 'WebSocket');
  for (const part of ['id: agent_00000001', 'name: researcher', 'connection: WebSocket from 127.0.0.1:5555', 'namespace: team-a', 'messages: 3 in, 2 out, 0 held', 'hub: hub_abcdef01']) {
    assert.ok(tip.includes(part), `tooltip lacks "${part}":\n${tip}`);
  }
});

test('agents sort by name and id whatever their presence (rows never move under the mouse); paused is not online', () => {
  const list = [
    agent({ agent_id: 'agent_3', agent_name: 'b', status: 'offline' }),
    agent({ agent_id: 'agent_2', agent_name: 'b', status: 'online' }),
    agent({ agent_id: 'agent_1', agent_name: 'a', status: 'paused' }),
    agent({ agent_id: 'agent_0', agent_name: 'b', status: 'online' }),
  ];
  assert.deepEqual(sortAgents(list).map((a) => a.agent_id), ['agent_1', 'agent_0', 'agent_2', 'agent_3']);
  assert.deepEqual(countAgents(list), { online: 2, paused: 1, offline: 1, total: 4 });
});

test('an AGENT_STATUS_UPDATE entry without status gets its presence from is_online and its status text renamed', () => {
  const v = toAgentView({ agent_id: 'agent_x', agent_name: 'x', is_online: false, last_seen: null, status_text: 'idle' });
  assert.equal(v.status, 'offline');
  assert.equal(v.last_status_text, 'idle');
  assert.equal(toAgentView({ agent_id: 'a', agent_name: 'a', is_online: true, last_seen: null, status: 'paused' }).status, 'paused');
});

test('activity rows: status lines show their text and clock time, events their type and data', () => {
  const t = Date.parse('2026-11-23T12:00:05Z');
  const s = activityItem('agent_1', { kind: 'status', time: t, text: 'calling tool X…', session_id: 'web_1' }, 0);
  assert.equal(s.label, 'calling tool X…');
  assert.match(s.description ?? '', /^\d\d:\d\d:\d\d$/);
  assert.equal(s.icon?.id, 'comment');
  assert.ok(s.tooltip?.includes('session: web_1'));
  const e = activityItem('agent_1', { kind: 'event', time: t, text: '{"step":2}', event_type: 'tool_call' }, 1);
  assert.equal(e.label, 'tool_call');
  assert.ok(e.description?.endsWith('· {"step":2}'));
  assert.notEqual(s.id, e.id);
});

test('the activity store keeps the newest items per agent and evicts the stalest agent when full', () => {
  const store = new ActivityStore(3, 2);
  for (let i = 0; i < 5; i++) store.add('a', { kind: 'status', time: i, text: `a${i}` });
  assert.deepEqual(store.get('a').map((x) => x.text), ['a4', 'a3', 'a2']);
  store.add('b', { kind: 'status', time: 10, text: 'b0' });
  store.add('a', { kind: 'status', time: 11, text: 'a5' });
  store.add('c', { kind: 'status', time: 12, text: 'c0' });
  // b was the least recently active: it goes, a stays
  assert.equal(store.get('b').length, 0);
  assert.equal(store.get('a')[0]?.text, 'a5');
  assert.equal(store.agentCount, 2);
  assert.equal(describeEventData({ long: 'x'.repeat(200) }).length, 80);
  assert.equal(describeEventData(undefined), '');
});

test('sessions: connected first; children are the newest status lines with agent names, bounded', () => {
  const lines = Array.from({ length: SESSION_LINES_SHOWN + 10 }, (_, i) => ({ time: ago(100 - i), agent_id: 'agent_1', text: `line ${i}` }));
  const s = { session_id: 'web_1', name: 'chat', connected: true, connected_at: ago(200), status_lines: lines };
  const row = sessionItem(s);
  assert.equal(row.description, `connected · ${lines.length} status lines`);
  assert.equal(row.collapsible, 'collapsed');
  const kids = sessionLineItems(s, (id) => (id === 'agent_1' ? 'researcher' : undefined));
  assert.equal(kids.length, SESSION_LINES_SHOWN);
  assert.equal(kids[0]?.label, `line ${lines.length - 1}`);
  assert.ok(kids[0]?.description?.startsWith('researcher · '));
  const sorted = sortSessions([{ ...s, session_id: 'web_0', name: 'a', connected: false }, s]);
  assert.equal(sorted[0]?.session_id, 'web_1');
  assert.equal(sessionItem({ ...s, status_lines: [] }).collapsible, 'none');
});

const INFO: ConnectionInfo = { mode: 'local', state: 'running', hubId: 'hub_1', host: '127.0.0.1', port: 8765, agentUrl: 'ws://x', monitorUrl: 'http://x' };

test('transports: the bus row shows state with a colour; details show url, reconnects and rates', () => {
  const t = { kind: 'memory' as const, state: 'up' as const, url: 'memory://', reconnectAttempt: 0, published: 100, received: 90 };
  const row = busItem(t);
  assert.equal(row.label, 'memory bus');
  assert.equal(row.description, 'up');
  assert.deepEqual(row.icon, { id: 'pass', color: 'charts.green' });
  assert.equal(busItem({ ...t, state: 'down', lastError: 'ECONNREFUSED' }).icon?.color, 'charts.red');
  const rates = new RateTracker();
  assert.deepEqual(rates.sample(t, 0), { publishedPerSec: 0, receivedPerSec: 0 });
  const r = rates.sample({ published: 600, received: 340 }, 2000);
  assert.deepEqual(r, { publishedPerSec: 250, receivedPerSec: 125 });
  // counters of a new hub start again at zero: no negative rates
  assert.deepEqual(rates.sample({ published: 5, received: 5 }, 3000), { publishedPerSec: 0, receivedPerSec: 0 });
  const details = busDetailItems({ ...t, published: 600 }, r);
  assert.deepEqual(details.map((d) => d.label), ['url', 'state', 'reconnects', 'published', 'received']);
  assert.equal(details[3]?.description, '600 · 250/s');
  assert.equal(busDetailItems({ ...t, kind: 'remote' }, r).length, 3);
  assert.match(hubItem(INFO).description ?? '', /running · 127\.0\.0\.1:8765 · in this window/);
  assert.match(hubItem({ ...INFO, mode: 'attached', ownerPid: 42 }).description ?? '', /attached to pid 42/);
  assert.equal(hubItem(undefined).contextValue, 'hub.stopped');
});

test('status bar: "$(radio-tower) 3 agents" while running, a start action while stopped, a warning when disconnected', () => {
  const counts = { online: 3, paused: 1, offline: 2, total: 6 };
  const m = statusBarModel(INFO, counts);
  assert.equal(m.text, '$(radio-tower) 3 agents');
  assert.equal(m.action, 'monitor');
  assert.match(m.tooltip, /3 online, 1 paused, 2 offline/);
  assert.equal(statusBarModel(INFO, { ...counts, online: 1 }).text, '$(radio-tower) 1 agent');
  assert.equal(statusBarModel({ ...INFO, mode: 'attached' }, counts).text, '$(radio-tower) 3 agents (attached)');
  assert.equal(statusBarModel(undefined, counts).action, 'start');
  const lost = statusBarModel({ ...INFO, state: 'disconnected' }, counts);
  assert.equal(lost.background, 'statusBarItem.warningBackground');
  assert.match(statusBarModel(INFO, counts, 'starting').text, /starting/);
});

test('settings map onto hub options with bounds, and name the keys that need a restart', () => {
  const none = { token: '', rabbitmqUrl: '' };
  const s = toManagerSettings(
    { host: ' 127.0.0.1 ', port: 70000, autoStart: false, pingInterval: 5, logRingSize: 5e9, logFolder: '' },
    { token: 'tok', rabbitmqUrl: '' },
    '/g/logs',
  );
  assert.equal(s.autoStart, false);
  assert.equal(s.hub.host, '127.0.0.1');
  assert.equal(s.hub.port, 65535);
  assert.equal(s.hub.pingIntervalMs, 100);
  assert.equal(s.hub.logRingSize, 1_000_000);
  assert.equal(s.hub.logDir, '/g/logs');
  assert.equal(s.hub.token, 'tok');
  assert.equal(toManagerSettings({ port: 'x' }, none, '/g').hub.port, undefined);
  assert.equal(toManagerSettings({}, none, '/g').autoStart, true);
  assert.equal(toManagerSettings({}, none, '/g').hub.token, undefined, 'no token: the hub generates one');
  assert.deepEqual(changedRestartKeys((k) => k === 'hub.port' || k === 'demo.count'), ['hub.port']);
});

test('the transport settings choose the bus; the RabbitMQ URL comes from SecretStorage, Kafka brokers are checked', () => {
  const secrets = { token: 't', rabbitmqUrl: 'amqp://u:p@mq:5672' };
  assert.equal(toManagerSettings({ transportKind: 'memory' }, secrets, '/g').hub.bus, 'memory');
  assert.equal(toManagerSettings({ transportKind: 'carrier-pigeon' }, secrets, '/g').hub.bus, undefined);
  const rabbit = toManagerSettings({ transportKind: 'rabbitmq' }, secrets, '/g').hub;
  assert.equal(rabbit.bus, 'rabbitmq');
  assert.equal(rabbit.rabbitmqUrl, 'amqp://u:p@mq:5672');
  const kafka = toManagerSettings({ transportKind: 'kafka', kafkaBrokers: ['k1:9092', ' k2:19092 ', 'nonsense', 7] }, secrets, '/g').hub;
  assert.equal(kafka.bus, 'kafka');
  assert.deepEqual(kafka.kafkaBrokers, ['k1:9092', 'k2:19092']);
  assert.equal(kafka.rabbitmqUrl, undefined);
  assert.equal(toManagerSettings({ transportKind: 'kafka', kafkaBrokers: [] }, secrets, '/g').hub.kafkaBrokers, undefined);
  assert.deepEqual(changedRestartKeys((k) => k.startsWith('transport.')), ['transport.kind', 'transport.rabbitmqUrl', 'transport.kafkaBrokers']);
});

test('a burst of changes becomes one flush carrying every kind seen', async () => {
  const flushes: string[][] = [];
  const d = new Debouncer<string>(30, (kinds) => flushes.push([...kinds].sort()));
  for (let i = 0; i < 1000; i++) d.push(i % 2 ? 'agents' : 'activity');
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(flushes, [['activity', 'agents']]);
  d.push('state');
  d.flushNow();
  assert.deepEqual(flushes[1], ['state']);
  d.push('x');
  d.dispose();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(flushes.length, 2);
});

test('1,000 agents become 1,000 rows with one shared icon object per presence', () => {
  const many = Array.from({ length: 1000 }, (_, i) =>
    agent({ agent_id: `agent_${String(i).padStart(8, '0')}`, agent_name: `a${i}`, status: i % 3 === 0 ? 'offline' : 'online' }),
  );
  const rows = sortAgents(many).map((a) => agentItem(a, NOW, { connectionLabel: 'x', hasActivity: false }));
  assert.equal(rows.length, 1000);
  assert.equal(new Set(rows.map((r) => r.id)).size, 1000);
  assert.equal(new Set(rows.map((r) => r.icon)).size, 2);
});
