// One gRPC agent or broker as a client of the hub: a FrameSocket registered with REGISTER_AGENT / REGISTER_BROKER,
// so it sits in the same registry, tree, monitor and AGENT_STATUS_UPDATE as WebSocket clients. The agent's command
// stream (ReceiveCommands) carries the hub's control frames as Commands; while that stream is open the agent answers
// the hub's PINGs, and without it each RPC (a heartbeat, a status) counts as a PONG, so an agent with neither goes
// offline after the hub's inactivity timeout, as a silent WebSocket agent does. Its chat goes out on RabbitMQ.

import { randomUUID } from 'node:crypto';
import type { Envelope } from '../../protocol/schemas';
import { MessageType } from '../../protocol/messageTypes';
import type { HubPort } from '../port';
import { FrameSocket } from './frameSocket';

/** A Command as the seed's proto has it (agent_registration.Command). */
export interface SeedCommand {
  command_id: string;
  type: string;
  content: string;
  parameters: Record<string, string>;
  is_cancellation: boolean;
}

/** The command stream of one ReceiveCommands call. */
export interface CommandSink {
  write(command: SeedCommand): void;
  end(): void;
}

/** The hub's control frames as the seed's command types (the seed maps DEREGISTER_AGENT to "shutdown"). */
const COMMAND_TYPES: Readonly<Record<string, string>> = {
  [MessageType.PAUSE_AGENT]: 'pause',
  [MessageType.RESUME_AGENT]: 'resume',
  [MessageType.DEREGISTER_AGENT]: 'shutdown',
  [MessageType.REREGISTER_AGENT]: 'reregister',
};

const CHAT_TYPES: ReadonlySet<string> = new Set([MessageType.TEXT, MessageType.REPLY, MessageType.SYSTEM]);

/** Commands kept for an agent whose stream is not open yet; beyond this the oldest are dropped. */
const MAX_PENDING_COMMANDS = 100;

export interface SessionDeps {
  port: HubPort;
  remoteAddress: string;
  /** Chat the hub routed to this agent: it goes to the agent's RabbitMQ queue. */
  onChat(agentId: string, message: Envelope): void;
  /** The session's socket closed (the hub took it offline, or it was unregistered). */
  onClosed(session: GrpcClientSession): void;
}

export type RegisterResult = { ok: true; id: string } | { ok: false; text: string };

export class GrpcClientSession {
  readonly socket: FrameSocket;
  id = '';
  name = '';
  /** What the agent reported (SendAgentStatus metrics, heartbeat status), all strings as on the wire. */
  readonly metrics: Record<string, string> = {};
  private stream: CommandSink | undefined;
  private readonly pending: SeedCommand[] = [];
  /** Set while a registration frame is being handled: the hub answers synchronously. */
  private registering: RegisterResult | undefined;

  constructor(
    readonly role: 'agent' | 'broker',
    private readonly d: SessionDeps,
  ) {
    this.socket = new FrameSocket({
      onFrame: (f) => this.fromHub(f),
      answersPing: () => this.stream !== undefined,
      onClosed: () => {
        this.stream?.end();
        this.stream = undefined;
        this.d.onClosed(this);
      },
    });
    d.port.acceptVirtualSocket(this.socket, d.remoteAddress);
  }

  get open(): boolean {
    return this.socket.isOpen;
  }

  /** Registers (or registers again, same id) through the hub's own REGISTER_* handling. */
  register(frame: Envelope): RegisterResult {
    this.registering = { ok: false, text: 'The hub did not answer the registration.' };
    this.socket.deliver(frame);
    const result = this.registering as RegisterResult; // set by fromHub() while deliver() ran
    this.registering = undefined;
    if (result.ok) this.id = result.id;
    return result;
  }

  /** Any RPC from the agent: it is there (a PONG to the hub's presence). */
  heard(): void {
    if (this.role === 'agent') this.socket.deliver({ message_type: MessageType.PONG });
  }

  /** ReceiveCommands: a new stream replaces the old one; commands kept while there was none go out now. */
  attachStream(sink: CommandSink): void {
    if (this.stream && this.stream !== sink) this.stream.end();
    this.stream = sink;
    for (const c of this.pending.splice(0)) sink.write(c);
    this.heard();
  }

  /** The stream ended (the agent went away or cancelled): the agent goes offline at once unless another replaced it. */
  detachStream(sink: CommandSink): void {
    if (this.stream !== sink) return;
    this.stream = undefined;
    this.close(1000, 'Command stream closed');
  }

  /** A status report: merged into what the hub shows (the agent's last_status_text). */
  report(metrics: Record<string, string>): void {
    Object.assign(this.metrics, metrics);
    this.heard();
    const state = this.metrics.internal_state;
    const error = this.metrics.last_error;
    const text = [state, error && error !== 'None' ? `error: ${error}` : ''].filter(Boolean).join(', ');
    if (text) this.socket.deliver({ message_type: MessageType.STATUS, text_payload: text });
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  private fromHub(frame: Envelope): void {
    const type = frame.message_type;
    if (this.registering) {
      if (type === MessageType.REGISTER_AGENT_RESPONSE || type === MessageType.REGISTER_BROKER_RESPONSE) {
        const id = frame[this.role === 'agent' ? 'agent_id' : 'broker_id'];
        if (frame.status === 'success' && typeof id === 'string') this.registering = { ok: true, id };
        else this.registering = { ok: false, text: typeof frame.message === 'string' ? frame.message : 'Registration refused.' };
        return;
      }
      if (type === MessageType.ERROR) {
        this.registering = { ok: false, text: typeof frame.text_payload === 'string' ? frame.text_payload : 'Registration refused.' };
        return;
      }
    }
    if (this.role !== 'agent') return; // a broker's status goes out on its SubscribeToAgentStatus stream instead
    if (type === MessageType.PING) {
      if (this.stream) setImmediate(() => this.socket.deliver({ message_type: MessageType.PONG }));
      return;
    }
    if (CHAT_TYPES.has(type)) {
      this.d.onChat(this.id, frame);
      return;
    }
    const commandType = COMMAND_TYPES[type];
    if (commandType) this.command(commandType);
  }

  private command(type: string): void {
    const c: SeedCommand = { command_id: randomUUID(), type, content: '', parameters: {}, is_cancellation: false };
    if (this.stream) {
      this.stream.write(c);
      return;
    }
    if (this.pending.length >= MAX_PENDING_COMMANDS) this.pending.shift();
    this.pending.push(c);
  }
}
