// Every HubOptions field as a CLI flag and a SWITCHBOARD_* environment variable, in one table: `switchboard hub` and
// `switchboard demo --with-hub` build their flags from it, and the README's configuration table lists the same
// rows. Typed as a Record over HubOptions' keys, so a new hub option does not compile until it has a flag here.

import type { Command } from 'commander';
import { DEFAULT_HUB_OPTIONS, type HubOptions } from '../hub/options';
import { CliError } from './cliErrors';

type Kind = 'string' | 'int' | 'bool' | 'list';

export interface HubOptionSpec {
  /** Flag name without dashes; booleans get --name and --no-name. */
  flag: string;
  env: string;
  kind: Kind;
  /** Placeholder in --help for values, e.g. "ms". */
  unit?: string;
  description: string;
}

export const HUB_OPTION_SPECS = {
  host: { flag: 'host', env: 'SWITCHBOARD_HOST', kind: 'string', unit: 'address', description: 'interface to bind; keep 127.0.0.1 unless you mean to expose the hub' },
  port: { flag: 'port', env: 'SWITCHBOARD_PORT', kind: 'int', unit: 'n', description: 'port to listen on; 0 picks a free one' },
  portFallback: { flag: 'port-fallback', env: 'SWITCHBOARD_PORT_FALLBACK', kind: 'bool', description: 'when the port is taken, listen on a free one instead of failing' },
  token: { flag: 'token', env: 'SWITCHBOARD_TOKEN', kind: 'string', unit: 'token', description: 'token clients must present; a new one is generated each start when empty' },
  allowedOrigins: { flag: 'allow-origin', env: 'SWITCHBOARD_ALLOWED_ORIGINS', kind: 'list', unit: 'origins', description: 'browser Origins allowed to connect (comma-separated)' },
  pingIntervalMs: { flag: 'ping-interval', env: 'SWITCHBOARD_PING_INTERVAL_MS', kind: 'int', unit: 'ms', description: 'PING to agents this often' },
  inactivityTimeoutMs: { flag: 'inactivity-timeout', env: 'SWITCHBOARD_INACTIVITY_TIMEOUT_MS', kind: 'int', unit: 'ms', description: 'an agent silent this long goes offline and is disconnected' },
  heartbeatIntervalMs: { flag: 'heartbeat-interval', env: 'SWITCHBOARD_HEARTBEAT_INTERVAL_MS', kind: 'int', unit: 'ms', description: 'SERVER_HEARTBEAT to every client this often' },
  fullStatusIntervalMs: { flag: 'full-status-interval', env: 'SWITCHBOARD_FULL_STATUS_INTERVAL_MS', kind: 'int', unit: 'ms', description: 'full AGENT_STATUS_UPDATE to front-ends and brokers this often' },
  statusCoalesceMs: { flag: 'status-coalesce', env: 'SWITCHBOARD_STATUS_COALESCE_MS', kind: 'int', unit: 'ms', description: 'presence changes within this window go out as one AGENT_STATUS_UPDATE' },
  maxPayloadBytes: { flag: 'max-payload', env: 'SWITCHBOARD_MAX_PAYLOAD_BYTES', kind: 'int', unit: 'bytes', description: 'largest frame accepted' },
  maxBufferedBytes: { flag: 'max-buffered', env: 'SWITCHBOARD_MAX_BUFFERED_BYTES', kind: 'int', unit: 'bytes', description: 'bytes queued for one client before it is cut off as a slow consumer' },
  maxHeldPerAgent: { flag: 'max-held', env: 'SWITCHBOARD_MAX_HELD_PER_AGENT', kind: 'int', unit: 'n', description: 'chat held for a paused agent; beyond this the oldest is dropped' },
  rateLimitPerSecond: { flag: 'rate-limit', env: 'SWITCHBOARD_RATE_LIMIT_PER_SECOND', kind: 'int', unit: 'n', description: 'frames per second one client may send (burst 2×)' },
  logRingSize: { flag: 'log-ring', env: 'SWITCHBOARD_LOG_RING_SIZE', kind: 'int', unit: 'n', description: 'event-log entries kept in memory' },
  logDir: { flag: 'log-dir', env: 'SWITCHBOARD_LOG_DIR', kind: 'string', unit: 'dir', description: 'folder for rotating NDJSON event logs; empty keeps the log in memory only' },
  logFileMaxBytes: { flag: 'log-file-max', env: 'SWITCHBOARD_LOG_FILE_MAX_BYTES', kind: 'int', unit: 'bytes', description: 'rotate a log file at this size' },
  logFileCount: { flag: 'log-files', env: 'SWITCHBOARD_LOG_FILE_COUNT', kind: 'int', unit: 'n', description: 'rotated log files kept' },
  hubId: { flag: 'hub-id', env: 'SWITCHBOARD_HUB_ID', kind: 'string', unit: 'id', description: 'this hub’s id among several sharing a broker; generated when empty' },
  maxOfflineAgents: { flag: 'max-offline-agents', env: 'SWITCHBOARD_MAX_OFFLINE_AGENTS', kind: 'int', unit: 'n', description: 'offline agent records kept for the UI; the earliest registered are forgotten first' },
  logKeepalives: { flag: 'log-keepalives', env: 'SWITCHBOARD_LOG_KEEPALIVES', kind: 'bool', description: 'also log PING/PONG/SERVER_HEARTBEAT' },
  monitorBatchMs: { flag: 'monitor-batch', env: 'SWITCHBOARD_MONITOR_BATCH_MS', kind: 'int', unit: 'ms', description: 'MONITOR_EVENTS batches go out this often' },
  monitorMaxPending: { flag: 'monitor-max-pending', env: 'SWITCHBOARD_MONITOR_MAX_PENDING', kind: 'int', unit: 'n', description: 'entries waiting for one monitor; beyond this the oldest are dropped and counted' },
  bus: { flag: 'bus', env: 'SWITCHBOARD_BUS', kind: 'string', unit: 'kind', description: 'what carries traffic: memory (in-process), rabbitmq or kafka' },
  rabbitmqUrl: { flag: 'rabbitmq-url', env: 'SWITCHBOARD_RABBITMQ_URL', kind: 'string', unit: 'url', description: 'RabbitMQ URL for --bus rabbitmq (amqp://user:pass@host:5672); empty means guest on 127.0.0.1' },
  kafkaBrokers: { flag: 'kafka-brokers', env: 'SWITCHBOARD_KAFKA_BROKERS', kind: 'list', unit: 'host:port,…', description: 'Kafka bootstrap brokers for --bus kafka (comma-separated)' },
  busPrefix: { flag: 'bus-prefix', env: 'SWITCHBOARD_BUS_PREFIX', kind: 'string', unit: 'prefix', description: 'prefix for the queues, exchanges and topics the hub makes on a broker' },
  presenceIntervalMs: { flag: 'presence-interval', env: 'SWITCHBOARD_PRESENCE_INTERVAL_MS', kind: 'int', unit: 'ms', description: 'hubs sharing a broker announce their agents this often (and at once on a change)' },
  advertiseIntervalMs: { flag: 'advertise-interval', env: 'SWITCHBOARD_ADVERTISE_INTERVAL_MS', kind: 'int', unit: 'ms', description: 'SERVER_AVAILABLE for routing brokers on RabbitMQ this often (and at start and on each broker registration)' },
} as const satisfies Record<keyof HubOptions, HubOptionSpec>;

type Key = keyof typeof HUB_OPTION_SPECS;
const KEYS = Object.keys(HUB_OPTION_SPECS) as Key[];

/** commander's attribute name for a flag: --inactivity-timeout → inactivityTimeout. */
function attr(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function defaultText(key: Key): string {
  const v: unknown = DEFAULT_HUB_OPTIONS[key];
  if (Array.isArray(v)) return v.length ? v.join(',') : 'none';
  if (v === '') return key === 'token' ? 'generated' : key === 'hubId' ? 'generated' : 'none';
  return String(v);
}

/** Add a flag per hub option to cmd. Defaults are not given to commander, so "not given" falls through to env. */
export function addHubOptionFlags(cmd: Command): Command {
  for (const key of KEYS) {
    const spec: HubOptionSpec = HUB_OPTION_SPECS[key];
    const help = `${spec.description} [env ${spec.env}; default ${defaultText(key)}]`;
    if (spec.kind === 'bool') {
      cmd.option(`--${spec.flag}`, help);
      cmd.option(`--no-${spec.flag}`, `turn off --${spec.flag}`);
    } else {
      cmd.option(`--${spec.flag} <${spec.unit ?? 'value'}>`, help);
    }
  }
  return cmd;
}

/**
 * HubOptions from parsed flags, then SWITCHBOARD_* variables, then the defaults (left to the hub). Throws a CliError
 * naming the flag or variable when a value does not parse.
 */
export function hubOptionsFrom(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Partial<HubOptions> {
  const out: Partial<Record<Key, unknown>> = {};
  for (const key of KEYS) {
    const spec: HubOptionSpec = HUB_OPTION_SPECS[key];
    const fromFlag = flags[attr(spec.flag)];
    if (fromFlag !== undefined) {
      out[key] = parseValue(spec, fromFlag, `--${spec.flag}`);
      continue;
    }
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') out[key] = parseValue(spec, fromEnv, spec.env);
  }
  return out as Partial<HubOptions>;
}

function parseValue(spec: HubOptionSpec, raw: unknown, where: string): unknown {
  if (spec.kind === 'bool') {
    if (typeof raw === 'boolean') return raw;
    const s = String(raw).trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
    throw new CliError(`${where} must be true or false (got "${String(raw)}").`);
  }
  const s = String(raw).trim();
  if (spec.kind === 'int') {
    if (!/^\d+$/.test(s)) throw new CliError(`${where} must be a whole number ≥ 0${spec.unit ? ` (${spec.unit})` : ''}, got "${s}".`);
    const n = Number(s);
    if (!Number.isSafeInteger(n)) throw new CliError(`${where} is too large: ${s}.`);
    return n;
  }
  if (spec.kind === 'list') return s.split(',').map((x) => x.trim()).filter(Boolean);
  return s;
}

/** Rows for the README's configuration table (kept in step by a test). */
export function hubOptionRows(): { key: string; flag: string; env: string; default: string; description: string }[] {
  return KEYS.map((key) => {
    const spec: HubOptionSpec = HUB_OPTION_SPECS[key];
    return { key, flag: `--${spec.flag}`, env: spec.env, default: defaultText(key), description: spec.description };
  });
}
