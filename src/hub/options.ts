// Every hub option and its default, in one typed place. CLI flags, SWITCHBOARD_* environment variables and VS Code
// settings all map onto HubOptions.

import type { BusKind } from '../bus/bus';
import { DEFAULT_HUB_PORT } from '../protocol/messageTypes';

export interface HubOptions {
  /** Interface to bind. Loopback by default; anything else must be chosen on purpose. */
  host: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** When the port is taken, fall back to a free port instead of failing. */
  portFallback: boolean;
  /** Token every client must present (`?token=` or `Authorization: Bearer`). Generated per start when empty. */
  token: string;
  /** Browser Origins allowed to connect (exact match). Connections without an Origin header (non-browser clients) are allowed. */
  allowedOrigins: string[];
  /** PING to an agent silent (nothing received from it) this long; an agent that talks is not PINGed. */
  pingIntervalMs: number;
  /** An agent silent (no PONG, no frame) this long goes offline and its socket is closed. */
  inactivityTimeoutMs: number;
  /** SERVER_HEARTBEAT to a client that has been sent nothing (a PING counts) this long. */
  heartbeatIntervalMs: number;
  /** A full AGENT_STATUS_UPDATE to front-ends and brokers this often. */
  fullStatusIntervalMs: number;
  /** Changes within this window are coalesced into one AGENT_STATUS_UPDATE. */
  statusCoalesceMs: number;
  /** Largest frame accepted, in bytes. A larger frame up to 4× this gets ERROR frame_too_large and the connection is
   *  kept; beyond 4× the connection is closed with 1009 (ws stops reading it). */
  maxPayloadBytes: number;
  /** Bytes queued for one client (ws buffer + socket) before it counts as not reading. A client may stay above this
   *  for 2 s (a burst it is reading through) but never above 4× it; then it is closed 1008 with a reason and a
   *  `warning` event, and nobody else waits for it. */
  maxBufferedBytes: number;
  /** Chat held for one paused agent; beyond this the oldest is dropped (and counted). */
  maxHeldPerAgent: number;
  /** Frames per second one client may send (token bucket, burst = 2×). */
  rateLimitPerSecond: number;
  /** Entries kept in memory by the event log. */
  logRingSize: number;
  /** Folder for rotating NDJSON log files; empty disables persistence. */
  logDir: string;
  /** Rotate a log file at this size. */
  logFileMaxBytes: number;
  /** Keep this many rotated files. */
  logFileCount: number;
  /** Identifies this hub among several sharing a broker. Generated when empty. */
  hubId: string;
  /** Offline agent records kept for the UI; beyond this the earliest-registered offline ones are forgotten. */
  maxOfflineAgents: number;
  /** Log PING/PONG/SERVER_HEARTBEAT too. Off by default: at 10,000 agents they would flush the ring every few seconds. */
  logKeepalives: boolean;
  /** MONITOR_EVENTS batches go out this often. */
  monitorBatchMs: number;
  /** Entries waiting for one monitor; beyond this the oldest are dropped and counted in `dropped`. */
  monitorMaxPending: number;
  /** Which bus carries traffic: memory (in-process, the default), rabbitmq or kafka. */
  bus: BusKind;
  /** RabbitMQ URL (amqp://user:pass@host:port/vhost); empty means amqp://guest:guest@127.0.0.1:5672. */
  rabbitmqUrl: string;
  /** Kafka bootstrap brokers (host:port); empty means SWITCHBOARD_KAFKA_BROKERS / KAFKA_BOOTSTRAP_SERVERS / localhost:9092. */
  kafkaBrokers: string[];
  /** Prefix for the queue, exchange and topic names the hub makes on a broker (tests, several systems on one broker). */
  busPrefix: string;
  /** Hubs sharing a bus announce their agents this often (and at once on every change). */
  presenceIntervalMs: number;
  /** SERVER_AVAILABLE on server_advertisement_queue this often (also at start and when a broker registers). */
  advertiseIntervalMs: number;
  /**
   * The seed system's clients as they are: token-less connections accepted (loopback binds only; the hub refuses to
   * start otherwise), the seed UI's origin http://localhost:5173 allowed, and the seed's early UI spared frames it
   * would show as chat. Off by default.
   */
  seedCompat: boolean;
  /** Agent streams: DIFFs go to a subscriber at most this often, and only when the agent's state changed. */
  streamDiffIntervalMs: number;
  /** Agent streams: frames waiting for one subscriber; beyond this it gets a RESYNC {snapshot, missed} instead. */
  streamQueueMax: number;
  /** Largest context an agent may report with AGENT_CONTEXT, in bytes of JSON; larger reports get an ERROR. */
  maxAgentContextBytes: number;
  /**
   * Port of the seed's third-generation gRPC services (agents and brokers register there; chat on RabbitMQ). -1: off,
   * unless seedCompat is on, which serves them on 50051 (the seed's port; a free one, said in a warning, when taken).
   * 0 picks a free port. Bound on `host` like the WebSocket server.
   */
  grpcPort: number;
  /** Where topic messages (seed 004) are kept: `memory` or `redis://host:port`. */
  topicStore: string;
  /** Prefix of the Redis keys the topic store makes (tests, several systems on one Redis); empty: switchboard:topics:. */
  topicKeyPrefix: string;
  /** 0–255: the machine id in topic message ids, unique among hubs sharing a bus or store; -1 derives it from the hub id. */
  topicMachineId: number;
}

export const DEFAULT_HUB_OPTIONS: Readonly<HubOptions> = Object.freeze({
  host: '127.0.0.1',
  port: DEFAULT_HUB_PORT,
  portFallback: true,
  token: '',
  allowedOrigins: [],
  pingIntervalMs: 10_000,
  inactivityTimeoutMs: 15_000,
  heartbeatIntervalMs: 10_000,
  fullStatusIntervalMs: 60_000,
  statusCoalesceMs: 50,
  maxPayloadBytes: 1024 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxHeldPerAgent: 1000,
  rateLimitPerSecond: 2000,
  logRingSize: 10_000,
  logDir: '',
  logFileMaxBytes: 10 * 1024 * 1024,
  logFileCount: 5,
  hubId: '',
  maxOfflineAgents: 10_000,
  logKeepalives: false,
  monitorBatchMs: 50,
  monitorMaxPending: 20_000,
  bus: 'memory',
  rabbitmqUrl: '',
  kafkaBrokers: [],
  busPrefix: '',
  presenceIntervalMs: 2_000,
  advertiseIntervalMs: 30_000,
  seedCompat: false,
  streamDiffIntervalMs: 250,
  streamQueueMax: 256,
  maxAgentContextBytes: 256 * 1024,
  grpcPort: -1,
  topicStore: 'memory',
  topicKeyPrefix: '',
  topicMachineId: -1,
});

/** The seed's web UI (a Vite dev server) runs on this origin. */
export const SEED_UI_ORIGIN = 'http://localhost:5173';

/** True for an address only this machine reaches (what --seed-compat requires of the bind). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

export function resolveHubOptions(partial: Partial<HubOptions> = {}): HubOptions {
  const out: HubOptions = { ...DEFAULT_HUB_OPTIONS, allowedOrigins: [...DEFAULT_HUB_OPTIONS.allowedOrigins], kafkaBrokers: [...DEFAULT_HUB_OPTIONS.kafkaBrokers] };
  for (const [k, v] of Object.entries(partial)) {
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}
