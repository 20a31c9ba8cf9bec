// BrokerClient: a routing broker's connection to a hub (REGISTER_BROKER → broker_…), on the socket base every SDK
// client shares: it answers PINGs, reconnects with the shared backoff and registers again under the same id, and
// hands the frames a routing broker receives (agent status, chat copies, errors, shutdown) to typed handlers.
// The routing itself travels on the bus (seed 001's broker_input_queue → broker_output_queue): see cli/broker.ts.

import { errorMessage } from '../protocol/errors';
import { isoNow } from '../protocol/ids';
import { CHAT_TYPES, MessageType } from '../protocol/messageTypes';
import type { AgentStatusEntryT, Envelope } from '../protocol/schemas';
import { ClientSocket, registrationRefused, type ClientSocketOptions } from './clientSocket';

export interface BrokerClientOptions extends ClientSocketOptions {
  /** broker_name sent with REGISTER_BROKER. Default "broker". */
  name?: string;
}

/** An AGENT_STATUS_UPDATE as a broker reads it: the listed agents, and whether the list is complete. */
export interface AgentStatusFrame {
  agents: AgentStatusEntryT[];
  full: boolean;
  message: Envelope;
}

type Listener<T> = (value: T) => void;

export class BrokerClient extends ClientSocket {
  private readonly name: string;
  private selfId: string | undefined;
  private readonly statusListeners: Listener<AgentStatusFrame>[] = [];
  private readonly chatListeners: Listener<Envelope>[] = [];
  private readonly errorListeners: Listener<Envelope>[] = [];
  private readonly shutdownListeners: Listener<Envelope>[] = [];

  constructor(opts: BrokerClientOptions) {
    super(opts, `broker:${opts.name ?? 'broker'}`);
    this.name = opts.name ?? 'broker';
  }

  /** The id the hub assigned (kept across reconnects: the client asks for it again). */
  get id(): string | undefined {
    return this.selfId;
  }

  /** The hub this client connects to (token redacted by the logger, not here). */
  get hubUrl(): string {
    return this.url;
  }

  /** Register once; rejects when the hub cannot be reached or refuses. Reconnects after later drops. */
  async connect(): Promise<{ broker_id: string }> {
    await this.open();
    return { broker_id: this.selfId as string };
  }

  /**
   * Start connecting and keep trying with backoff until registered or closed: for a broker started before its hub,
   * or told of a hub that is still starting. Watch `onState` (or `connected`) to learn when it is in.
   */
  start(): void {
    this.openRetrying();
  }

  /** Every AGENT_STATUS_UPDATE (a full one follows each registration). Returns a remover. */
  onAgentStatus(listener: Listener<AgentStatusFrame>): () => void {
    return add(this.statusListeners, listener);
  }

  /** Chat (TEXT/REPLY/SYSTEM) the hub sends this broker over the socket. */
  onChat(listener: Listener<Envelope>): () => void {
    return add(this.chatListeners, listener);
  }

  /** ERROR frames from the hub (a refused frame, an unknown receiver). */
  onError(listener: Listener<Envelope>): () => void {
    return add(this.errorListeners, listener);
  }

  /** SHUTDOWN from the hub; the close (and the reconnect attempts) follow. */
  onShutdown(listener: Listener<Envelope>): () => void {
    return add(this.shutdownListeners, listener);
  }

  /** Any frame to the hub, validated by the protocol codec; queued (bounded) while reconnecting. */
  send(frame: Envelope): Promise<void> {
    return this.sendFrame(frame);
  }

  /** Hand a chat message on to its receiver through the hub, as this broker decided. */
  forward(message: Envelope, receiverId: string): Promise<void> {
    return this.sendFrame({ ...message, receiver_id: receiverId, _target_agent_id: receiverId });
  }

  protected registrationFrame(): Envelope {
    const frame: Envelope = { message_type: MessageType.REGISTER_BROKER, broker_name: this.name, timestamp: isoNow() };
    // Reconnecting: the same id, so the hub's logs and the UI keep one broker rather than a new one per drop.
    if (this.selfId) frame.broker_id = this.selfId;
    return frame;
  }

  protected acceptRegistration(first: Envelope): void {
    if (first.message_type === MessageType.REGISTER_BROKER_RESPONSE && first.status === 'success' && typeof first.broker_id === 'string') {
      this.selfId = first.broker_id;
      this.logger.info(`registered as ${first.broker_id}`);
      return;
    }
    throw registrationRefused(first, 'broker');
  }

  protected handleFrame(m: Envelope): void {
    switch (m.message_type) {
      case MessageType.PING:
        // Worthless later: not queued while disconnected.
        this.sendFrameNoWait({ message_type: MessageType.PONG, timestamp: isoNow() }, false);
        return;
      case MessageType.AGENT_STATUS_UPDATE: {
        const agents = Array.isArray(m.agents) ? (m.agents as AgentStatusEntryT[]) : [];
        emit(this.statusListeners, { agents, full: m.is_full_update === true, message: m }, this.logger);
        return;
      }
      case MessageType.ERROR:
        emit(this.errorListeners, m, this.logger);
        return;
      case MessageType.SHUTDOWN:
        emit(this.shutdownListeners, m, this.logger);
        return;
      default:
        if (CHAT_TYPES.has(m.message_type)) emit(this.chatListeners, m, this.logger);
        return; // SERVER_HEARTBEAT and the rest: nothing to do
    }
  }
}

function add<T>(list: Listener<T>[], listener: Listener<T>): () => void {
  list.push(listener);
  return () => {
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  };
}

/** A throwing handler is logged, never allowed to stop the others or the socket. */
function emit<T>(list: readonly Listener<T>[], value: T, logger: { error(line: string): void }): void {
  for (const l of [...list]) {
    try {
      l(value);
    } catch (err) {
      logger.error(`handler threw: ${errorMessage(err)}`);
    }
  }
}
