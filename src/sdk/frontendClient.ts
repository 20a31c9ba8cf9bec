// FrontendClient: a front-end session (REGISTER_FRONTEND → web_…) — what a UI, the CLI's `send` and tests use to talk
// to agents, receive their replies and the STATUS lines agents emit for this session.

import { isoNow } from '../protocol/ids';
import { MessageType } from '../protocol/messageTypes';
import type { Envelope } from '../protocol/schemas';
import { registrationRefused, type ClientSocketOptions } from './clientSocket';
import { ObserverClient } from './observerClient';

export interface FrontendClientOptions extends ClientSocketOptions {
  /** Shown in the hub's Sessions view. */
  name?: string;
}

export class FrontendClient extends ObserverClient {
  private readonly name: string;

  constructor(opts: FrontendClientOptions) {
    super(opts, `frontend:${opts.name ?? 'frontend'}`);
    this.name = opts.name ?? 'frontend';
  }

  /** Register; resolves with the session id (web_…) the hub assigned. */
  async connect(): Promise<{ frontend_id: string }> {
    await this.open();
    return { frontend_id: this.selfId as string };
  }

  protected registrationFrame(): Envelope {
    const frame: Envelope = { message_type: MessageType.REGISTER_FRONTEND, frontend_name: this.name, timestamp: isoNow() };
    // Reconnecting: ask for the same session id, so agents still working for it reach us.
    if (this.selfId) frame.frontend_id = this.selfId;
    return frame;
  }

  protected acceptRegistration(first: Envelope): void {
    if (first.message_type === MessageType.REGISTER_FRONTEND_RESPONSE && first.status === 'success' && typeof first.frontend_id === 'string') {
      this.selfId = first.frontend_id;
      return;
    }
    throw registrationRefused(first, 'front-end');
  }
}
