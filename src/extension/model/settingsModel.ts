// Maps the extension's settings onto HubOptions (the one typed place for options), clamping nonsense to safe values,
// and says which changed settings need a hub restart.

import type { HubOptions } from '../../hub/options';
import type { BusKind } from '../../bus/bus';
// the protocol's list, not bus/createBus's: that module would load every broker client at activation
import { BUS_KIND_NAMES } from '../../protocol/envOptions';
import type { ManagerSettings } from './hubManager';

/** The settings as read from the configuration, before checking. */
export interface RawSettings {
  host?: unknown;
  port?: unknown;
  autoStart?: unknown;
  pingInterval?: unknown;
  inactivityTimeout?: unknown;
  heartbeatInterval?: unknown;
  seedCompat?: unknown;
  logRingSize?: unknown;
  logFolder?: unknown;
  transportKind?: unknown;
  kafkaBrokers?: unknown;
  grpcPort?: unknown;
  topicStore?: unknown;
}

/** What settings hold in SecretStorage rather than in settings files. */
export interface SecretSettings {
  /** Empty: the hub generates one per start. */
  token: string;
  /** Empty: the bus's default (a local broker with the guest user). */
  rabbitmqUrl: string;
}


function num(v: unknown, min: number, max: number): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
  return Math.min(max, Math.max(min, Math.round(v)));
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** Kafka bootstrap servers from the setting: non-empty host:port strings only, at most 32. */
function brokers(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const list = v.filter((b): b is string => typeof b === 'string' && /^[^\s:]+:\d{1,5}$/.test(b.trim())).map((b) => b.trim());
  return list.length ? list.slice(0, 32) : undefined;
}

/** `memory` or a redis:// / rediss:// URL (seed 004's topic store); anything else is left to the default. */
function topicStore(v: unknown): string | undefined {
  const s = str(v);
  return s && (s === 'memory' || /^rediss?:\/\/\S+$/.test(s)) ? s : undefined;
}

/**
 * @param secrets from SecretStorage
 * @param defaultLogFolder where logs go when the setting is empty (the extension's global storage)
 */
export function toManagerSettings(raw: RawSettings, secrets: SecretSettings, defaultLogFolder: string): ManagerSettings {
  const hub: Partial<HubOptions> = {};
  const set = <K extends keyof HubOptions>(k: K, v: HubOptions[K] | undefined): void => {
    if (v !== undefined) hub[k] = v;
  };
  set('host', str(raw.host));
  set('port', num(raw.port, 0, 65535));
  set('pingIntervalMs', num(raw.pingInterval, 100, 3_600_000));
  set('inactivityTimeoutMs', num(raw.inactivityTimeout, 200, 86_400_000));
  set('heartbeatIntervalMs', num(raw.heartbeatInterval, 100, 3_600_000));
  if (typeof raw.seedCompat === 'boolean') set('seedCompat', raw.seedCompat);
  set('logRingSize', num(raw.logRingSize, 100, 1_000_000));
  set('logDir', str(raw.logFolder) ?? defaultLogFolder);
  if (secrets.token) hub.token = secrets.token;
  const kind: BusKind | undefined = BUS_KIND_NAMES.find((k) => k === raw.transportKind);
  set('bus', kind);
  if (kind === 'rabbitmq' && secrets.rabbitmqUrl) hub.rabbitmqUrl = secrets.rabbitmqUrl;
  if (kind === 'kafka') set('kafkaBrokers', brokers(raw.kafkaBrokers));
  set('grpcPort', num(raw.grpcPort, -1, 65535));
  set('topicStore', topicStore(raw.topicStore));
  return { hub, autoStart: raw.autoStart !== false };
}

/** Setting keys (relative to "switchboard.") whose change only takes effect after the hub restarts. */
export const RESTART_KEYS: readonly string[] = [
  'hub.host',
  'hub.port',
  'hub.token',
  'hub.pingInterval',
  'hub.inactivityTimeout',
  'hub.heartbeatInterval',
  'hub.seedCompat',
  'log.ringSize',
  'log.folder',
  'transport.kind',
  'transport.rabbitmqUrl',
  'transport.kafkaBrokers',
  'hub.grpcPort',
  'hub.topicStore',
];

export function changedRestartKeys(affects: (key: string) => boolean): string[] {
  return RESTART_KEYS.filter((k) => affects(k));
}
