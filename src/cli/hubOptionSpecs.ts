// Every HubOptions field as a CLI flag and a SWITCHBOARD_* environment variable, in one table: `switchboard hub` and
// `switchboard demo --with-hub` build their flags from it, and the README's configuration table lists the same
// rows. Typed as a Record over HubOptions' keys, so a new hub option does not compile until it has a flag here and a
// variable in src/protocol/envOptions.ts.

import type { Command } from 'commander';
import { DEFAULT_HUB_OPTIONS, type HubOptions } from '../hub/options';
import { ENV_VARS, readEnv, type EnvType } from '../protocol/envOptions';
import { envOrCliError } from './cliErrors';

export interface HubOptionSpec {
  /** Flag name without dashes; booleans get --name and --no-name. */
  flag: string;
  env: string;
  kind: EnvType;
  /** Placeholder in --help for values, e.g. "ms". */
  unit?: string;
  description: string;
}

/** The flag of each hub option; its variable, type, unit and description come from the protocol's ENV_VARS. */
const FLAGS = {
  host: 'host',
  port: 'port',
  portFallback: 'port-fallback',
  token: 'token',
  allowedOrigins: 'allow-origin',
  pingIntervalMs: 'ping-interval',
  inactivityTimeoutMs: 'inactivity-timeout',
  heartbeatIntervalMs: 'heartbeat-interval',
  fullStatusIntervalMs: 'full-status-interval',
  statusCoalesceMs: 'status-coalesce',
  maxPayloadBytes: 'max-payload',
  maxBufferedBytes: 'max-buffered',
  maxHeldPerAgent: 'max-held',
  rateLimitPerSecond: 'rate-limit',
  logRingSize: 'log-ring',
  logDir: 'log-dir',
  logFileMaxBytes: 'log-file-max',
  logFileCount: 'log-files',
  hubId: 'hub-id',
  maxOfflineAgents: 'max-offline-agents',
  logKeepalives: 'log-keepalives',
  monitorBatchMs: 'monitor-batch',
  monitorMaxPending: 'monitor-max-pending',
  bus: 'bus',
  rabbitmqUrl: 'rabbitmq-url',
  kafkaBrokers: 'kafka-brokers',
  busPrefix: 'bus-prefix',
  presenceIntervalMs: 'presence-interval',
  advertiseIntervalMs: 'advertise-interval',
  seedCompat: 'seed-compat',
  streamDiffIntervalMs: 'stream-diff-interval',
  streamQueueMax: 'stream-queue-max',
  maxAgentContextBytes: 'max-agent-context',
  grpcPort: 'grpc-port',
  topicStore: 'topic-store',
  topicKeyPrefix: 'topic-key-prefix',
  topicMachineId: 'topic-machine-id',
} as const satisfies Record<keyof HubOptions, string>;

type Key = keyof typeof FLAGS;
const KEYS = Object.keys(FLAGS) as Key[];

// Every hub option has a variable in ENV_VARS whose parsed type fits the option: a mismatch does not compile.
const HUB_ENV: { [K in Key]: { parse(raw: string, where: string): HubOptions[K] } } = ENV_VARS;

export const HUB_OPTION_SPECS: Readonly<Record<Key, HubOptionSpec>> = Object.freeze(
  Object.fromEntries(
    KEYS.map((key) => {
      const v = ENV_VARS[key];
      const spec: HubOptionSpec = { flag: FLAGS[key], env: v.name, kind: v.type, description: v.description };
      if ('unit' in v && v.unit !== undefined) spec.unit = v.unit;
      return [key, spec];
    }),
  ) as Record<Key, HubOptionSpec>,
);


/** commander's attribute name for a flag: --inactivity-timeout → inactivityTimeout. */
function attr(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function defaultText(key: Key): string {
  const v: unknown = DEFAULT_HUB_OPTIONS[key];
  if (Array.isArray(v)) return v.length ? v.join(',') : 'none';
  if (v === '') return key === 'token' ? 'generated' : key === 'hubId' ? 'generated' : 'none';
  if (key === 'grpcPort') return 'off (50051 with --seed-compat)';
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
  envOrCliError(() => {
    const fromEnv = readEnv(env, KEYS);
    for (const key of KEYS) {
      const spec: HubOptionSpec = HUB_OPTION_SPECS[key];
      const fromFlag = flags[attr(spec.flag)];
      if (fromFlag !== undefined) out[key] = typeof fromFlag === 'boolean' ? fromFlag : HUB_ENV[key].parse(String(fromFlag), `--${spec.flag}`);
      else if (fromEnv[key] !== undefined) out[key] = fromEnv[key];
    }
  });
  return out as Partial<HubOptions>;
}

/** Rows for the README's configuration table (kept in step by a test). */
export function hubOptionRows(): { key: string; flag: string; env: string; default: string; description: string }[] {
  return KEYS.map((key) => {
    const spec: HubOptionSpec = HUB_OPTION_SPECS[key];
    return { key, flag: `--${spec.flag}`, env: spec.env, default: defaultText(key), description: spec.description };
  });
}
