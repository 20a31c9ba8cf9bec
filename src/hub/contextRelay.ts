// The hub's part in seed 002 context reconstruction for WebSocket agents: fan a REQUEST_CONTEXT out to the connected
// agents (never front-ends), route each PROVIDE_CONTEXT back to whoever asked (an in-process reconstructor or a
// socket client such as the CLI), and send RESTORE_CONTEXT to a replacement agent. It knows nothing of how answers
// are merged: that is src/reconstruction, which plugs in through addInbox() and setRestoreProvider(). It attaches to
// the hub through the HubPort alone, as every message family does.

import type { Envelope } from '../protocol/schemas';
import type { ReconstructionT, RequestContextMsg } from '../protocol/contextSchemas';
import type { Logger } from '../protocol/logger';
import { isoNow, newMessageId } from '../protocol/ids';
import { MessageType } from '../protocol/messageTypes';
import type { HubPort } from './port';

export interface InboxAnswer {
  message: Envelope;
  /** The client id of the connection that sent it (the hub's word, not the body's). */
  from: string;
  bytes: number;
}

export interface Inbox {
  onAnswer(answer: InboxAnswer): void;
  /** A PROVIDE_CONTEXT the hub refused (malformed) from a peer this requester was waiting for. */
  onRejected(responderId: string, reason: string, requestId: string): void;
}

/** Produces the reconstruction handed to an agent registering with restore_from (see src/reconstruction). */
export type RestoreProvider = (failedAgentId: string, replacementId: string) => Promise<ReconstructionT | undefined>;

interface Pending {
  requester: string;
  targets: Set<string>;
  expires: number;
}

/** Requests remembered for routing answers; beyond this the oldest is forgotten (its late answers become strays). */
const MAX_PENDING = 1000;
/** How long answers to a relayed request are still routed (late answers are the requester's to count). */
const PENDING_TTL_MS = 10 * 60_000;

export class ContextRelay {
  private readonly inboxes = new Map<string, Inbox>();
  private readonly pending = new Map<string, Pending>();
  private restoreProvider: RestoreProvider | undefined;
  private strays = 0;
  /** Replacements waiting for their RESTORE_CONTEXT: not asked about the agent they replace. */
  private readonly restoring = new Set<string>();
  private readonly logger: Logger;
  private readonly disposers: (() => void)[] = [];

  constructor(private readonly port: HubPort) {
    this.logger = port.logger.child('context');
  }

  /** Answers addressed to requesterId (receiver_id or a request it made) go to this in-process inbox. */
  addInbox(requesterId: string, inbox: Inbox): () => void {
    this.inboxes.set(requesterId, inbox);
    return () => {
      if (this.inboxes.get(requesterId) === inbox) this.inboxes.delete(requesterId);
    };
  }

  setRestoreProvider(provider: RestoreProvider | undefined): void {
    this.restoreProvider = provider;
  }

  /** Answers nobody was waiting for (no request, no inbox, requester gone). */
  get strayAnswers(): number {
    return this.strays;
  }

  /**
   * Fan a request out to every connected agent except the failed one and the requester. Returns the ids it reached;
   * the requester's inbox (or socket) will receive their answers.
   */
  request(req: RequestContextMsg, routeAnswersTo: string = req.requester_id): string[] {
    const requestId = req.request_id ?? newMessageId();
    const frame: Envelope = { ...req, request_id: requestId };
    frame.message_id ??= newMessageId();
    frame.send_timestamp ??= isoNow();
    frame.sender_id ??= req.requester_id;
    const targets = new Set<string>();
    for (const id of this.port.connectedAgents()) {
      if (id === req.failed_agent_id || id === req.requester_id || this.restoring.has(id)) continue;
      if (this.port.sendToClient(id, { ...frame, receiver_id: id })) targets.add(id);
    }
    this.remember(requestId, { requester: routeAnswersTo, targets, expires: Date.now() + PENDING_TTL_MS });
    this.logger.debug(`REQUEST_CONTEXT ${requestId} for ${req.failed_agent_id} → ${targets.size} agents`);
    return [...targets];
  }

  /**
   * The hub's dispatch hands every valid REQUEST_CONTEXT / PROVIDE_CONTEXT frame from a registered client here.
   * Returns true when the frame was one of ours (the hub then does nothing else with it).
   */
  handleInbound(m: Envelope, fromClientId: string, bytes = 0): boolean {
    if (m.message_type === MessageType.REQUEST_CONTEXT) {
      // a socket client (the CLI, a seed reconstructor) asks: the answers come back to it, then an ack with the peers
      const req = { ...(m as RequestContextMsg), requester_id: fromClientId };
      const requestId = req.request_id ?? newMessageId();
      const peers = this.request({ ...req, request_id: requestId });
      this.port.sendToClient(fromClientId, {
        message_type: MessageType.REQUEST_CONTEXT_ACK,
        message_id: newMessageId(),
        sender_id: 'server',
        receiver_id: fromClientId,
        send_timestamp: isoNow(),
        request_id: requestId,
        failed_agent_id: req.failed_agent_id,
        peer_agents_queried: peers,
      });
      return true;
    }
    if (m.message_type !== MessageType.PROVIDE_CONTEXT) return false;
    const requestId = typeof m.request_id === 'string' ? m.request_id : undefined;
    const p = requestId ? this.pending.get(requestId) : undefined;
    const requester = p?.requester ?? (typeof m.receiver_id === 'string' ? m.receiver_id : undefined);
    if (!requester) {
      this.strays++;
      return true;
    }
    const inbox = this.inboxes.get(requester);
    if (inbox) {
      inbox.onAnswer({ message: m, from: fromClientId, bytes });
      return true;
    }
    if (!this.port.sendToClient(requester, { ...m, receiver_id: requester })) this.strays++;
    return true;
  }

  /** The hub's dispatch reports a frame that failed validation; a PROVIDE_CONTEXT is reported to who waits for it. */
  handleInvalid(messageType: string | undefined, fromClientId: string, reason: string): void {
    if (messageType !== MessageType.PROVIDE_CONTEXT) return;
    for (const [requestId, p] of this.pending) {
      if (!p.targets.has(fromClientId)) continue;
      const inbox = this.inboxes.get(p.requester);
      if (inbox) inbox.onRejected(fromClientId, reason, requestId);
      else {
        this.port.sendToClient(p.requester, {
          message_type: MessageType.ERROR,
          message_id: newMessageId(),
          sender_id: 'server',
          receiver_id: p.requester,
          text_payload: `PROVIDE_CONTEXT from ${fromClientId} refused: ${reason}`,
          send_timestamp: isoNow(),
          code: 'invalid_message',
          request_id: requestId,
          responder_id: fromClientId,
          reason,
        });
      }
    }
  }

  /** Hub: an agent has just been sent its REGISTER_AGENT_RESPONSE. With restore_from, reconstruct and hand over. */
  afterAgentRegistered(agentId: string, registration: Envelope): void {
    const failed = registration.restore_from;
    // restore_from may name the agent's own id: a crashed agent that comes back under it asks what it owed
    if (typeof failed !== 'string' || !failed) return;
    const provider = this.restoreProvider;
    if (!provider && failed === agentId) return; // a reconnecting agent asking by habit: nothing to say without a reconstructor
    if (!provider) {
      this.port.sendToClient(agentId, {
        message_type: MessageType.ERROR,
        message_id: newMessageId(),
        sender_id: 'server',
        receiver_id: agentId,
        text_payload: `restore_from ${failed} ignored: this hub has no reconstructor attached (start it with reconstruction enabled).`,
        send_timestamp: isoNow(),
        code: 'invalid_message',
      });
      return;
    }
    this.restoring.add(agentId);
    provider(failed, agentId)
      .then(
        (r) => {
          if (r) this.handOver(agentId, r);
        },
        (err: unknown) => this.logger.warn(`reconstruction of ${failed} for ${agentId} failed: ${(err as Error).message}`),
      )
      .finally(() => this.restoring.delete(agentId));
  }

  /** Send RESTORE_CONTEXT {reconstruction} to an agent connected here; false when it is not. */
  handOver(agentId: string, reconstruction: ReconstructionT): boolean {
    return this.port.sendToClient(agentId, {
      message_type: MessageType.RESTORE_CONTEXT,
      message_id: newMessageId(),
      sender_id: 'server',
      receiver_id: agentId,
      send_timestamp: isoNow(),
      failed_agent_id: reconstruction.failed_agent_id,
      reconstruction,
    });
  }

  /** Run fn on close (listeners the relay added to the hub). */
  own(fn: () => void): void {
    this.disposers.push(fn);
  }

  close(): void {
    for (const d of this.disposers.splice(0)) d();
    this.inboxes.clear();
    this.pending.clear();
    this.restoreProvider = undefined;
  }

  private remember(requestId: string, p: Pending): void {
    const now = Date.now();
    for (const [id, old] of this.pending) {
      if (old.expires > now && this.pending.size < MAX_PENDING) break;
      this.pending.delete(id);
    }
    this.pending.set(requestId, p);
  }
}

/**
 * Creates the hub's relay and plugs it in through the port: REQUEST_CONTEXT / PROVIDE_CONTEXT handlers, the
 * registrations (restore_from, right after a REGISTER_AGENT_RESPONSE), and the event log for PROVIDE_CONTEXT frames
 * the codec refused (reported to whoever waits for them).
 */
export function attachContextRelay(port: HubPort): ContextRelay {
  const relay = new ContextRelay(port);
  for (const type of [MessageType.REQUEST_CONTEXT, MessageType.PROVIDE_CONTEXT]) {
    relay.own(port.handle(type, (m, client) => {
      if (client.role === undefined) {
        // an unregistered socket must not make every agent answer it
        client.error('not_registered', `Register first (REGISTER_AGENT, REGISTER_FRONTEND or REGISTER_MONITOR) before sending ${type}.`);
        return;
      }
      if (type === MessageType.PROVIDE_CONTEXT && client.role !== 'agent') return; // only agents are peers
      relay.handleInbound(m, client.id, Buffer.byteLength(JSON.stringify(m)));
    }));
  }
  relay.own(port.onLifecycle({
    registered: (role, id, registration) => {
      if (role === 'agent') relay.afterAgentRegistered(id, registration);
    },
  }));
  relay.own(port.onLogEntry((e) => {
    if (e.direction === 'in' && e.message_type === MessageType.PROVIDE_CONTEXT && typeof e.body.error === 'string' && e.client_id) {
      relay.handleInvalid(e.message_type, e.client_id, typeof e.body.detail === 'string' ? e.body.detail : e.body.error);
    }
  }));
  return relay;
}
