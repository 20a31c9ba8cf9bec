// The in-process carrier: the hub's ContextRelay sends the request to its connected WebSocket agents and hands their
// answers (and refusals of malformed ones) to our inbox. It knows exactly whom it asked, so collection can end early.

import type { RequestContextMsg } from '../protocol/contextSchemas';
import { newClientId } from '../protocol/ids';
import type { ContextRelay } from '../hub/contextRelay';
import type { AnswerSink, ContextTransport } from './contextTransport';

export class HubContextTransport implements ContextTransport {
  readonly kind = 'hub' as const;
  readonly requesterId: string;
  private removeInbox: (() => void) | undefined;

  constructor(
    private readonly relay: ContextRelay,
    requesterId?: string,
  ) {
    this.requesterId = requesterId ?? newClientId('reconstructor_');
  }

  async open(sink: AnswerSink): Promise<void> {
    this.removeInbox ??= this.relay.addInbox(this.requesterId, {
      onAnswer: (a) => {
        // the hub knows who sent it: an agent may only answer for itself
        if (a.message.responder_id === a.from) sink.answer(a.message, a.bytes);
        else sink.rejected(a.from, `responder_id "${String(a.message.responder_id)}" is not the sending agent ${a.from}`, typeof a.message.request_id === 'string' ? a.message.request_id : undefined);
      },
      onRejected: (responderId, reason, requestId) => sink.rejected(responderId, reason, requestId),
    });
  }

  async send(request: RequestContextMsg): Promise<string[]> {
    return this.relay.request({ ...request, requester_id: this.requesterId });
  }

  async close(): Promise<void> {
    this.removeInbox?.();
    this.removeInbox = undefined;
  }
}
