// The one interface every plugin of the hub receives: the bus integration, the seed 001 topology, hub-to-hub
// forwarding, the seed 002 context relay, and the message families to come (topics, agent streams). A family attaches
// in its own file through these calls; the hub's façade installs it with one line.

import type { EventEmitter } from 'node:events';
import type { Envelope } from '../protocol/schemas';
import type { ErrorCode } from '../protocol/errors';
import type { Logger } from '../protocol/logger';
import type { AgentSnapshot, LogEntry } from '../protocol/logEntry';
import type { ClientRole } from '../protocol/messageTypes';
import type { BusCapabilities, SubscribeOptions, Unsubscribe } from '../bus/bus';
import type { HubEventMap } from './hubEvents';
import type { RouteContext, RouteResult, RouteStrategy } from './router';

/** What a message handler (port.handle / hub.handle) knows about the client that sent the frame. */
export interface ClientContext {
  readonly id: string;
  readonly role: ClientRole | undefined;
  readonly name: string;
  readonly namespace: string;
  send(frame: Envelope): boolean;
  error(code: ErrorCode, text: string): void;
}

export type MessageHandler = (message: Envelope, client: ClientContext) => void;

/** Told of every registration (after its response went out) and every departure of a registered client. */
export interface HubLifecycleListener {
  registered?(role: ClientRole, id: string, registration: Envelope): void;
  released?(role: ClientRole, id: string): void;
  /** RESET_ALL_QUEUES (or hub.resetQueues()): drop what is waiting for agents. */
  queuesReset?(): void;
}

/** How an agent receives chat: over its WebSocket, or from its durable `agent_queue_<id>` (seed 001 agents). */
export type AgentDelivery = 'websocket' | 'queue';

/** Agents of other hubs, merged into agents() and AGENT_STATUS_UPDATE. */
export interface RemoteAgentSource {
  snapshots(ids?: Iterable<string>): AgentSnapshot[];
}

/**
 * The hub's bus as plugins see it. Every frame a subscription delivers has been through the codec (schema, size) with
 * the same errors and counters as a socket's frame; a frame that fails is logged, counted and never reaches the handler.
 */
export interface PortBus {
  readonly capabilities: BusCapabilities;
  publish(channel: string, message: Envelope): Promise<void>;
  subscribe(channel: string, handler: (message: Envelope) => void, opts?: SubscribeOptions): Promise<Unsubscribe>;
  /** A frame (or a part of one, e.g. a forward's inner message) a plugin refused after the codec: logged and counted the same way. */
  reject(channel: string, messageType: string | undefined, code: ErrorCode, detail: string): void;
  declareQueues?(queueNames: string[]): Promise<void>;
  purgeQueue?(queueName: string): Promise<number>;
}

/** A frame that came from elsewhere and is routed here: how it entered, and the local sender connection, if any. */
export interface ArrivedFrom {
  via: NonNullable<RouteContext['via']>;
  /** A client of this hub the message is from (a routing broker's answer to it): not sent its own message back. */
  originClientId?: string;
}

export interface HubPort {
  readonly id: string;
  readonly agentUrl: string;
  readonly events: EventEmitter<HubEventMap>;
  readonly logger: Logger;
  /** The shared bus while the hub runs with one (undefined with the private default bus). */
  readonly bus: PortBus | undefined;

  // --- clients ---
  /** Every agent the hub shows: its own and other hubs'. */
  agents(): AgentSnapshot[];
  /** Ids of agents with a live, registered socket on this hub. */
  connectedAgents(): string[];
  /** The role of a client connected here under this id (its registered id or a sender id it used). */
  localClientRole(clientId: string): ClientRole | undefined;
  /** Routing brokers registered on this hub. */
  localBrokerCount(): number;
  /** Writes a frame to a client connected here (logged); false when it is not. */
  sendToClient(clientId: string, frame: Envelope): boolean;

  // --- message families ---
  /** Takes a message_type the core does not handle; its schema (registerMessageSchema) still validates first. */
  handle(messageType: string, handler: MessageHandler): () => void;
  onLifecycle(listener: HubLifecycleListener): () => void;
  /** Every entry of the event log as it is appended (e.g. a frame the codec refused). */
  onLogEntry(listener: (entry: LogEntry) => void): () => void;

  // --- routing ---
  addRouteStrategy(strategy: RouteStrategy): () => void;
  /** Routes a chat message that came from elsewhere (a routing broker, another hub). */
  route(message: Envelope, from: ArrivedFrom): RouteResult;

  // --- other hubs ---
  setRemoteAgents(source: RemoteAgentSource | undefined): void;
  /** An agent changed outside this hub's registry: it goes out in the next coalesced AGENT_STATUS_UPDATE. */
  markAgentChanged(agentId: string): void;

  // --- high-rate derived frames (agent streams) ---
  /** Writes a frame to a client connected here WITHOUT logging it (snapshots, diffs: they would fill the log). */
  sendUnlogged(clientId: string, frame: Envelope): boolean;
  /** Bytes waiting to be written to a client connected here; undefined when it is not connected. */
  bufferedBytes(clientId: string): number | undefined;
  /**
   * Appends a record of the hub's own (direction 'internal') to the event log: what a plugin decided — an approval
   * cancelled or decided by timeout, a message the debugger held or edited. Its client is the one it concerns (the
   * agent), or the hub.
   */
  logInternal(record: Envelope, clientId?: string): void;
  /** Frames of this type from clients are handled but not written to the event log (high-rate state reports). */
  unloggedInbound(messageType: string): () => void;

  // --- fan-out (topics) ---
  /** Writes one frame to every listed client connected here, serialised once and logged once (with `recipients`). */
  sendToClients(clientIds: Iterable<string>, frame: Envelope): number;

  // --- the message debugger (hub/debugger) ---
  /** Routes a message a hold strategy kept, the way it was going (ctx as the hold saw it); never held again. */
  routeReleased(message: Envelope, ctx: RouteContext): RouteResult;
  /**
   * A frame a plugin handles itself (a tool approval request) offered to the gates (the debugger) before the plugin acts
   * on it: true when a gate kept it — it calls resume with the frame (maybe edited) when it lets it go, never if dropped.
   */
  gateFrame(frame: Envelope, clientId: string, resume: (frame: Envelope) => void): boolean;
  addFrameGate(gate: FrameGate): () => void;

  // --- clients that are not WebSockets ---
  /** A socket-like client (a gRPC session) accepted as a WebSocket client is: registration, codec, presence, control. */
  acceptVirtualSocket(socket: VirtualSocket, remoteAddress: string): void;

  // --- prebuilt frames (topics) ---
  /**
   * Writes a frame already serialised (`data`: UTF-8 JSON text, a string or a Buffer) to every listed client connected
   * here, and appends `logAs` to the event log once in its place: the frame itself (then `logJson`, its JSON, is reused)
   * or a summary of a large one (a HISTORY_RESPONSE of 1,000 bodies logs its count and ids range, not the bodies).
   * `onWritten` (one client only): called once the bytes are on that client's socket, when it can tell (see
   * Connection.sendRaw) — a Buffer lent from a pool goes back then.
   */
  sendPrebuilt(clientIds: Iterable<string>, data: string | Buffer, logAs: Envelope, logJson?: string, onWritten?: () => void): number;
}

/**
 * What the hub uses of a WebSocket, for a client that is not one (src/hub/grpc/frameSocket.ts). It emits 'message'
 * (Buffer, isBinary), 'close' (code, reason Buffer) and 'pong', and receives the hub's frames through send().
 */
export interface VirtualSocket {
  readonly OPEN: number;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string | Buffer, opts?: unknown): void;
  ping(): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: string, listener: (...args: any[]) => void): unknown; // any[]: EventEmitter's own listener type
}

/** A plugin started with the hub's bus and stopped before it. */
export interface HubPlugin {
  stop(): Promise<void>;
}

/** Keeps a plugin-handled frame (see HubPort.gateFrame): true when it took it and will call resume (or drop it). */
export type FrameGate = (frame: Envelope, clientId: string, resume: (frame: Envelope) => void) => boolean;
