// Makes a hub's WebSocket agents peers on a shared bus: it listens for REQUEST_CONTEXT on the bus's request channel
// (in the hub's own group, so every hub sees every request), relays each request to the agents connected here, and
// publishes every answer they give on the requester's response channel, as a seed peer would.

import type { RequestContextMsg } from '../protocol/contextSchemas';
import type { Logger } from '../protocol/logger';
import { silentLogger } from '../protocol/logger';
import { errorMessage } from '../protocol/errors';
import type { ContextRelay } from '../hub/contextRelay';
import type { ContextPeerTransport, PeerReply } from './contextTransport';

interface Open {
  reply: PeerReply;
  expires: number;
}

/** Requests whose answers are still forwarded; beyond this the oldest is forgotten. */
const MAX_OPEN = 500;
const OPEN_TTL_MS = 10 * 60_000;

export class ContextGateway {
  private readonly open = new Map<string, Open>();
  private stopServing: (() => Promise<void>) | undefined;
  private removeInbox: (() => void) | undefined;
  private readonly logger: Logger;

  constructor(
    private readonly relay: ContextRelay,
    private readonly peer: ContextPeerTransport,
    /** Our peer id on the bus (its group): one per hub, so every hub sees every request. */
    readonly gatewayId: string,
    logger: Logger = silentLogger,
  ) {
    this.logger = logger.child('context-gateway');
  }

  async start(): Promise<void> {
    this.removeInbox ??= this.relay.addInbox(this.gatewayId, {
      onAnswer: (a) => {
        const requestId = typeof a.message.request_id === 'string' ? a.message.request_id : undefined;
        const o = requestId ? this.open.get(requestId) : undefined;
        if (!o) return;
        if (a.message.responder_id !== a.from) {
          this.logger.warn(`dropped a PROVIDE_CONTEXT from ${a.from} claiming to be ${String(a.message.responder_id)}`);
          return;
        }
        o.reply(a.message).catch((err: unknown) => this.logger.warn(`forwarding an answer failed: ${errorMessage(err)}`));
      },
      onRejected: (responderId, reason) => this.logger.info(`malformed PROVIDE_CONTEXT from ${responderId}: ${reason}`),
    });
    this.stopServing ??= await this.peer.serve(this.gatewayId, (req, reply) => this.relayRequest(req, reply));
  }

  async stop(): Promise<void> {
    this.removeInbox?.();
    this.removeInbox = undefined;
    const s = this.stopServing;
    this.stopServing = undefined;
    await s?.();
    this.open.clear();
  }

  private relayRequest(req: RequestContextMsg, reply: PeerReply): void {
    if (!req.request_id) {
      this.logger.debug('a request without request_id cannot be relayed to WebSocket agents; ignored');
      return;
    }
    const now = Date.now();
    for (const [id, o] of this.open) {
      if (o.expires > now && this.open.size < MAX_OPEN) break;
      this.open.delete(id);
    }
    this.open.set(req.request_id, { reply, expires: now + OPEN_TTL_MS });
    const reached = this.relay.request(req, this.gatewayId);
    this.logger.debug(`relayed ${req.request_id} for ${req.failed_agent_id} to ${reached.length} agents`);
  }
}
