// Every environment variable the product reads, in one typed table (name, type, default, one line of meaning), and
// the one function that reads them. Nothing else under src/ touches SWITCHBOARD_* variables (a test in
// test/unit/layers.test.ts keeps it so); CLI flags reuse the same parsers, so a flag and its variable never disagree.
// No Node APIs here: the protocol layer is bundled into the browser page too.

import { SwitchboardError } from './errors';

/** An environment: process.env, or a plain object in tests and child-process setups. */
export type Env = Readonly<Record<string, string | undefined>>;

export type EnvType = 'string' | 'int' | 'bool' | 'list' | 'choice' | 'seconds' | 'seedSwitch';

export interface EnvVar<T> {
  /** The variable's name, e.g. SWITCHBOARD_PORT. */
  readonly name: string;
  readonly type: EnvType;
  /** Who reads it: the hub's options (defaults in src/hub/options.ts), client commands, or seed 002 peers. */
  readonly group: 'hub' | 'client' | 'seed';
  /** The value when unset. Undefined for hub options (their defaults are DEFAULT_HUB_OPTIONS) and where none exists. */
  readonly default: T | undefined;
  /** The default as documentation shows it, where it is not a value this layer can compute (a home folder). */
  readonly defaultText?: string;
  /** Placeholder for help texts ("ms", "bytes", "url"). */
  readonly unit?: string;
  readonly description: string;
  /** Turns a raw value (never empty) into T; `where` names the source in the error ("SWITCHBOARD_PORT", "--port"). */
  parse(raw: string, where: string): T;
}

// --- parsers -----------------------------------------------------------------------------------------------------

function bad(where: string, what: string, raw: string): SwitchboardError {
  return new SwitchboardError('invalid_config', `${where} must be ${what}, got "${raw}".`);
}

export function parseString(raw: string): string {
  return raw.trim();
}

export function parseWholeNumber(raw: string, where: string, unit?: string): number {
  const s = raw.trim();
  if (!/^\d+$/.test(s)) throw bad(where, `a whole number ≥ 0${unit && unit !== 'n' ? ` (${unit})` : ''}`, s);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new SwitchboardError('invalid_config', `${where} is too large: ${s}.`);
  return n;
}

const TRUE_WORDS: ReadonlySet<string> = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['0', 'false', 'no', 'off']);

export function parseBool(raw: string, where: string): boolean {
  const s = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(s)) return true;
  if (FALSE_WORDS.has(s)) return false;
  throw bad(where, 'true or false', raw);
}

/** Comma-separated, items trimmed, empty items dropped. */
export function parseList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Seed 002's reading of a switch: only false/0/no/off turn it off, anything else leaves it on (as seed peers do). */
export function parseSeedSwitch(raw: string): boolean {
  return !FALSE_WORDS.has(raw.trim().toLowerCase());
}

export function parseSeconds(raw: string, where: string): number {
  const s = raw.trim();
  const n = Number(s);
  if (s === '' || !Number.isFinite(n) || n <= 0) throw bad(where, 'a number of seconds > 0', s);
  return n;
}

// --- the table -----------------------------------------------------------------------------------------------------

type Meta = { description: string; unit?: string };

function hubString(name: string, m: Meta): EnvVar<string> {
  return { name, type: 'string', group: 'hub', default: undefined, ...m, parse: parseString };
}
function hubInt(name: string, m: Meta): EnvVar<number> {
  return { name, type: 'int', group: 'hub', default: undefined, ...m, parse: (raw, where) => parseWholeNumber(raw, where, m.unit) };
}
function hubBool(name: string, m: Meta): EnvVar<boolean> {
  return { name, type: 'bool', group: 'hub', default: undefined, ...m, parse: parseBool };
}
function hubList(name: string, m: Meta): EnvVar<string[]> {
  return { name, type: 'list', group: 'hub', default: undefined, ...m, parse: parseList };
}
function choice<const C extends string>(name: string, values: readonly C[], m: Meta, group: EnvVar<C>['group'] = 'hub'): EnvVar<C> {
  return {
    name,
    type: 'choice',
    group,
    default: undefined,
    ...m,
    parse: (raw, where) => {
      const s = raw.trim().toLowerCase();
      if (!(values as readonly string[]).includes(s)) throw bad(where, `one of ${values.join(', ')}`, raw.trim());
      return s as C;
    },
  };
}
function seedString(name: string, def: string, description: string): EnvVar<string> & { readonly default: string } {
  return { name, type: 'string', group: 'seed', default: def, description, parse: parseString };
}

/** How often `switchboard demo`'s agents go silent or crash (the SDK's demo fleet maps each to a schedule). */
export const DEMO_CHAOS_LEVELS = ['off', 'rare', 'often'] as const;
export type DemoChaos = (typeof DEMO_CHAOS_LEVELS)[number];

/** What carries a hub's traffic (the bus layer's BusKind names the same three). */
export const BUS_KIND_NAMES = ['memory', 'rabbitmq', 'kafka'] as const;

/**
 * Every variable. Keys of the hub group are HubOptions' keys (src/cli/hubOptionSpecs.ts checks that at compile
 * time), so flags, variables and VS Code settings map onto one option each.
 */
export const ENV_VARS = {
  // the hub's options: flag `switchboard hub --<flag>` too; defaults in DEFAULT_HUB_OPTIONS
  host: hubString('SWITCHBOARD_HOST', { unit: 'address', description: 'interface to bind; keep 127.0.0.1 unless you mean to expose the hub' }),
  port: hubInt('SWITCHBOARD_PORT', { unit: 'n', description: 'port to listen on; 0 picks a free one' }),
  portFallback: hubBool('SWITCHBOARD_PORT_FALLBACK', { description: 'when the port is taken, listen on a free one instead of failing' }),
  token: hubString('SWITCHBOARD_TOKEN', { unit: 'token', description: 'token clients must present; a new one is generated each start when empty' }),
  allowedOrigins: hubList('SWITCHBOARD_ALLOWED_ORIGINS', { unit: 'origins', description: 'browser Origins allowed to connect (comma-separated)' }),
  pingIntervalMs: hubInt('SWITCHBOARD_PING_INTERVAL_MS', { unit: 'ms', description: 'PING to agents this often' }),
  inactivityTimeoutMs: hubInt('SWITCHBOARD_INACTIVITY_TIMEOUT_MS', { unit: 'ms', description: 'an agent silent this long goes offline and is disconnected' }),
  heartbeatIntervalMs: hubInt('SWITCHBOARD_HEARTBEAT_INTERVAL_MS', { unit: 'ms', description: 'SERVER_HEARTBEAT to every client this often' }),
  fullStatusIntervalMs: hubInt('SWITCHBOARD_FULL_STATUS_INTERVAL_MS', { unit: 'ms', description: 'full AGENT_STATUS_UPDATE to front-ends and brokers this often' }),
  statusCoalesceMs: hubInt('SWITCHBOARD_STATUS_COALESCE_MS', { unit: 'ms', description: 'presence changes within this window go out as one AGENT_STATUS_UPDATE' }),
  maxPayloadBytes: hubInt('SWITCHBOARD_MAX_PAYLOAD_BYTES', { unit: 'bytes', description: 'largest frame accepted' }),
  maxBufferedBytes: hubInt('SWITCHBOARD_MAX_BUFFERED_BYTES', { unit: 'bytes', description: 'bytes queued for one client before it is cut off as a slow consumer' }),
  maxHeldPerAgent: hubInt('SWITCHBOARD_MAX_HELD_PER_AGENT', { unit: 'n', description: 'chat held for a paused agent; beyond this the oldest is dropped' }),
  rateLimitPerSecond: hubInt('SWITCHBOARD_RATE_LIMIT_PER_SECOND', { unit: 'n', description: 'frames per second one client may send (burst 2×)' }),
  logRingSize: hubInt('SWITCHBOARD_LOG_RING_SIZE', { unit: 'n', description: 'event-log entries kept in memory' }),
  logDir: hubString('SWITCHBOARD_LOG_DIR', { unit: 'dir', description: 'folder for rotating NDJSON event logs; empty keeps the log in memory only' }),
  logFileMaxBytes: hubInt('SWITCHBOARD_LOG_FILE_MAX_BYTES', { unit: 'bytes', description: 'rotate a log file at this size' }),
  logFileCount: hubInt('SWITCHBOARD_LOG_FILE_COUNT', { unit: 'n', description: 'rotated log files kept' }),
  hubId: hubString('SWITCHBOARD_HUB_ID', { unit: 'id', description: 'this hub’s id among several sharing a broker; generated when empty' }),
  maxOfflineAgents: hubInt('SWITCHBOARD_MAX_OFFLINE_AGENTS', { unit: 'n', description: 'offline agent records kept for the UI; the earliest registered are forgotten first' }),
  logKeepalives: hubBool('SWITCHBOARD_LOG_KEEPALIVES', { description: 'also log PING/PONG/SERVER_HEARTBEAT' }),
  monitorBatchMs: hubInt('SWITCHBOARD_MONITOR_BATCH_MS', { unit: 'ms', description: 'MONITOR_EVENTS batches go out this often' }),
  monitorMaxPending: hubInt('SWITCHBOARD_MONITOR_MAX_PENDING', { unit: 'n', description: 'entries waiting for one monitor; beyond this the oldest are dropped and counted' }),
  bus: choice('SWITCHBOARD_BUS', BUS_KIND_NAMES, { unit: 'kind', description: 'what carries traffic: memory (in-process), rabbitmq or kafka' }),
  rabbitmqUrl: hubString('SWITCHBOARD_RABBITMQ_URL', {
    unit: 'url',
    description: 'RabbitMQ URL for --bus rabbitmq (amqp://user:pass@host:5672); empty means guest on 127.0.0.1',
  }),
  kafkaBrokers: hubList('SWITCHBOARD_KAFKA_BROKERS', { unit: 'host:port,…', description: 'Kafka bootstrap brokers for --bus kafka (comma-separated)' }),
  busPrefix: hubString('SWITCHBOARD_BUS_PREFIX', { unit: 'prefix', description: 'prefix for the queues, exchanges and topics the hub makes on a broker' }),
  presenceIntervalMs: hubInt('SWITCHBOARD_PRESENCE_INTERVAL_MS', { unit: 'ms', description: 'hubs sharing a broker announce their agents this often (and at once on a change)' }),
  advertiseIntervalMs: hubInt('SWITCHBOARD_ADVERTISE_INTERVAL_MS', {
    unit: 'ms',
    description: 'SERVER_AVAILABLE for routing brokers on RabbitMQ this often (and at start and on each broker registration)',
  }),
  seedCompat: hubBool('SWITCHBOARD_SEED_COMPAT', {
    description: 'serve the seed system’s clients unchanged: no token needed (loopback bind only), the seed UI’s origin http://localhost:5173 allowed',
  }),
  streamDiffIntervalMs: hubInt('SWITCHBOARD_STREAM_DIFF_INTERVAL_MS', { unit: 'ms', description: 'agent streams: a DIFF goes to a subscriber at most this often, and only when something changed' }),
  streamQueueMax: hubInt('SWITCHBOARD_STREAM_QUEUE_MAX', { unit: 'n', description: 'agent streams: frames waiting for one subscriber; beyond this it gets a RESYNC with the count it missed' }),
  maxAgentContextBytes: hubInt('SWITCHBOARD_MAX_AGENT_CONTEXT_BYTES', { unit: 'bytes', description: 'largest context an agent may report with AGENT_CONTEXT; larger reports get an ERROR' }),
  grpcPort: {
    ...hubInt('SWITCHBOARD_GRPC_PORT', {
      unit: 'n',
      description: 'serve the seed’s gRPC generation (agents and brokers registering over gRPC) on this port; 0 picks a free one; -1 off (with --seed-compat: 50051)',
    }),
    parse: (raw: string, where: string) => (raw.trim() === '-1' ? -1 : parseWholeNumber(raw, where, 'n')),
  },
  topicStore: hubString('SWITCHBOARD_TOPIC_STORE', { unit: 'memory|redis://host:port', description: 'where topic messages (seed 004) are kept: memory or a Redis URL' }),
  topicKeyPrefix: hubString('SWITCHBOARD_TOPIC_KEY_PREFIX', { unit: 'prefix', description: 'prefix of the Redis keys of the topic store; empty means switchboard:topics:' }),
  topicMachineId: hubInt('SWITCHBOARD_TOPIC_MACHINE_ID', { unit: '0-255', description: 'machine id in topic message ids, unique among hubs sharing a bus or Redis; -1 derives one from the hub id' }),

  // client commands (send, tail, agents, demo, reconstruct) and the hub file
  url: {
    name: 'SWITCHBOARD_URL',
    type: 'string',
    group: 'client',
    default: undefined,
    defaultText: 'the hub file',
    unit: 'url',
    description: 'the agent URL a hub prints (ws://…/ws?token=…); client commands use it when --url is not given',
    parse: parseString,
  } satisfies EnvVar<string>,
  hubFileDir: {
    name: 'SWITCHBOARD_HUB_FILE_DIR',
    type: 'string',
    group: 'client',
    default: undefined,
    defaultText: '~/.agent-switchboard',
    unit: 'dir',
    description: 'folder of the hub file (hub-<port>.json) by which windows and the CLI find a running hub and its token',
    parse: parseString,
  } satisfies EnvVar<string>,
  demoChaos: {
    ...choice('SWITCHBOARD_DEMO_CHAOS', DEMO_CHAOS_LEVELS, { unit: 'level', description: '`switchboard demo`: how often agents go silent or crash — off, rare or often' }, 'client'),
    default: 'rare',
  } satisfies EnvVar<DemoChaos>,

  // seed 002 (peer context): the names a seed agent reads, with the seed's defaults
  kafkaBootstrapServers: {
    name: 'KAFKA_BOOTSTRAP_SERVERS',
    type: 'list',
    group: 'seed',
    default: ['localhost:9092'],
    unit: 'host:port,…',
    description: 'bootstrap list; SWITCHBOARD_KAFKA_BROKERS (and a hub’s --kafka-brokers) win over it',
    parse: parseList,
  } satisfies EnvVar<string[]>,
  kafkaContextRequestTopic: seedString('KAFKA_CONTEXT_REQUEST_TOPIC', 'agent.context.request', 'where REQUEST_CONTEXT goes'),
  kafkaContextResponseTopicPrefix: seedString('KAFKA_CONTEXT_RESPONSE_TOPIC_PREFIX', 'agent.context.response', 'answers go to <prefix>.<requester_id>'),
  kafkaConsumerGroupPrefix: seedString('KAFKA_CONSUMER_GROUP_PREFIX', 'paas-agent', 'a peer’s group is <prefix>-<peer id>, so every peer sees every request'),
  peerContextEnabled: {
    name: 'PEER_CONTEXT_ENABLED',
    type: 'seedSwitch',
    group: 'seed',
    default: true,
    description: 'false: reconstruction asks no peers, and SDK/Python peers stop answering (only false/0/no/off turn it off)',
    parse: parseSeedSwitch,
  } satisfies EnvVar<boolean>,
  peerContextTimeoutSeconds: {
    name: 'PEER_CONTEXT_TIMEOUT_SECONDS',
    type: 'seconds',
    group: 'seed',
    default: 5,
    unit: 's',
    description: 'how long answers are collected',
    parse: parseSeconds,
  } satisfies EnvVar<number>,
} as const;

export type EnvKey = keyof typeof ENV_VARS;
/** The parsed type of one variable. */
export type EnvValue<K extends EnvKey> = ReturnType<(typeof ENV_VARS)[K]['parse']>;
/** What readEnv returns: a value for each asked-for variable that is set (non-empty), undefined for the rest. */
export type EnvValues<K extends EnvKey = EnvKey> = { [P in K]?: EnvValue<P> };

export const ENV_KEYS: readonly EnvKey[] = Object.keys(ENV_VARS) as EnvKey[];

function defaultEnv(): Env {
  return (globalThis as { process?: { env?: Env } }).process?.env ?? {};
}

/**
 * Reads and parses the variables named by `keys` (all of them when omitted). An unset or blank variable is left
 * out, so the caller applies its precedence (flag, then variable, then default). Throws one SwitchboardError
 * ('invalid_config') naming every variable whose value does not parse; variables not asked for are not looked at, so
 * a bad SWITCHBOARD_BUS does not stop `switchboard send`.
 */
export function readEnv<K extends EnvKey = EnvKey>(env: Env = defaultEnv(), keys?: readonly K[]): EnvValues<K> {
  const out: Partial<Record<EnvKey, unknown>> = {};
  const problems: string[] = [];
  for (const key of keys ?? (ENV_KEYS as readonly K[])) {
    const spec = ENV_VARS[key] as EnvVar<unknown>;
    const raw = env[spec.name];
    if (raw === undefined || raw.trim() === '') continue;
    try {
      out[key] = spec.parse(raw, spec.name);
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (problems.length > 0) throw new SwitchboardError('invalid_config', problems.join(' '));
  return out as EnvValues<K>;
}

/** One variable's value, else its default (undefined where the default lives elsewhere, e.g. hub options). */
export function envValue<K extends EnvKey>(key: K, env: Env = defaultEnv()): EnvValue<K> | undefined {
  const v = readEnv(env, [key])[key];
  return v !== undefined ? v : (ENV_VARS[key].default as EnvValue<K> | undefined);
}
