// Reconstruction from outside the hub's process (the CLI): a monitor connection that reads the hub's event log
// (backlog, then live) and agent list, sends REQUEST_CONTEXT for the hub to relay, learns from REQUEST_CONTEXT_ACK
// whom it reached, and receives the answers (and the hub's refusals of malformed ones).

import type { LogEntry } from '../protocol/logEntry';
import type { Envelope, AgentStatusEntryT } from '../protocol/schemas';
import type { RequestContextMsg } from '../protocol/contextSchemas';
import { MessageType } from '../protocol/messageTypes';
import { SwitchboardError } from '../protocol/errors';
import { MonitorClient, type MonitorClientOptions } from '../sdk/monitorClient';
import type { AnswerSink, ContextTransport } from '../reconstruction/contextTransport';
import type { ReconstructionSource } from '../reconstruction/reconstructor';

/** Log entries kept from the stream; beyond this the oldest are dropped. */
const MAX_ENTRIES = 20_000;
const ACK_TIMEOUT_MS = 5000;

/** A MonitorClient that also speaks the context messages (the SDK's monitor ignores them). */
class ContextMonitorClient extends MonitorClient {
  sink: AnswerSink | undefined;
  private readonly acks = new Map<string, (peers: string[]) => void>();

  request(req: RequestContextMsg): Promise<string[]> {
    const id = req.request_id as string;
    return new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.acks.delete(id);
        reject(new SwitchboardError('timeout', 'The hub did not acknowledge REQUEST_CONTEXT: is it an Agent Switchboard hub with context relay?'));
      }, ACK_TIMEOUT_MS);
      this.acks.set(id, (peers) => {
        clearTimeout(timer);
        resolve(peers);
      });
      this.sendFrame(req as Envelope).catch((err: unknown) => {
        clearTimeout(timer);
        this.acks.delete(id);
        reject(err);
      });
    });
  }

  protected override handleRoleFrame(m: Envelope): boolean {
    switch (m.message_type) {
      case MessageType.PROVIDE_CONTEXT:
        this.sink?.answer(m, Buffer.byteLength(JSON.stringify(m)));
        return true;
      case MessageType.REQUEST_CONTEXT_ACK: {
        const done = typeof m.request_id === 'string' ? this.acks.get(m.request_id) : undefined;
        if (done) {
          this.acks.delete(m.request_id as string);
          done(Array.isArray(m.peer_agents_queried) ? m.peer_agents_queried.filter((p): p is string => typeof p === 'string') : []);
        }
        return true;
      }
      case MessageType.ERROR:
        if (typeof m.responder_id === 'string' && typeof m.request_id === 'string') {
          this.sink?.rejected(m.responder_id, typeof m.reason === 'string' ? m.reason : String(m.text_payload ?? ''), m.request_id);
          return true;
        }
        return super.handleRoleFrame(m);
      default:
        return super.handleRoleFrame(m);
    }
  }
}

export class WebSocketContextTransport implements ContextTransport {
  readonly kind = 'websocket' as const;
  private readonly client: ContextMonitorClient;
  private readonly entries: LogEntry[] = [];
  private connected: Promise<void> | undefined;

  constructor(opts: Omit<MonitorClientOptions, 'backlog'> & { backlog?: number }) {
    this.client = new ContextMonitorClient({ ...opts, backlog: opts.backlog ?? 10_000, reconnect: false });
    this.client.onEntries((batch) => {
      this.entries.push(...batch);
      if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    });
  }

  /** The requester id is our monitor id: the hub routes the answers to this connection. */
  get requesterId(): string {
    return this.client.id ?? 'unregistered';
  }

  /** Connects (once) and waits for the agent list, so agent names can be resolved before anything is asked. */
  connect(): Promise<void> {
    this.connected ??= (async () => {
      await this.client.connect();
      await this.client.waitForAgents();
    })();
    return this.connected;
  }

  agents(): Map<string, AgentStatusEntryT> {
    return this.client.agents();
  }

  async open(sink: AnswerSink): Promise<void> {
    this.client.sink = sink;
    await this.connect();
  }

  send(request: RequestContextMsg): Promise<string[]> {
    return this.client.request(request);
  }

  /** The hub's event log as this monitor has seen it, and its agent list. */
  source(): ReconstructionSource {
    return {
      logEntries: (agentId, sinceMs, limit) =>
        this.entries
          .filter((e) => e.time >= sinceMs && (e.client_id === agentId || e.sender_id === agentId || e.receiver_id === agentId))
          .slice(-limit),
      agent: (agentId) => {
        const a = this.client.agents().get(agentId);
        return a ? { last_seen: a.last_seen, last_status_text: a.status_text ?? null } : undefined;
      },
      onlineAgents: () => [...this.client.agents().values()].filter((a) => a.is_online).map((a) => a.agent_id),
    };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
