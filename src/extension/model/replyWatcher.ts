// Waits for the answer to a message a person sent from VS Code: the agent's status lines as they come (for the
// progress notification), then its REPLY, or the hub's ERROR for it, or nothing within the time allowed. Subscribed
// before the send, so an answer faster than the send's own acknowledgement is not missed. No vscode: tested in Node.

import type { LogEntry } from '../../protocol/logEntry';
import type { HubConnection } from './hubConnection';

export type ReplyOutcome =
  | { kind: 'reply'; text: string; entry: LogEntry }
  | { kind: 'failed'; text: string }
  | { kind: 'timeout' }
  | { kind: 'cancelled' };

/** Entries kept while the message id is not known yet (the send has not resolved). */
const EARLY_MAX = 500;

export class ReplyWatcher {
  private messageId: string | undefined;
  private early: LogEntry[] = [];
  private settle: ((o: ReplyOutcome) => void) | undefined;
  private outcome: ReplyOutcome | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    conn: Pick<HubConnection, 'onEntries'>,
    private readonly agentId: string,
    private readonly onStatus: (text: string) => void,
  ) {
    this.unsubscribe = conn.onEntries((entries) => {
      for (const e of entries) this.take(e);
    });
  }

  /** The id the hub gave the message: answers to it settle the wait (including ones that already came). */
  expect(messageId: string): void {
    this.messageId = messageId;
    const early = this.early;
    this.early = [];
    for (const e of early) this.take(e);
  }

  /** Resolves once: reply, failure, timeout or cancel; always unsubscribes. */
  wait(timeoutMs: number): Promise<ReplyOutcome> {
    if (this.outcome) return Promise.resolve(this.finish(this.outcome));
    return new Promise((resolve) => {
      this.settle = resolve;
      this.timer = setTimeout(() => this.done({ kind: 'timeout' }), timeoutMs);
    });
  }

  cancel(): void {
    this.done({ kind: 'cancelled' });
  }

  private take(e: LogEntry): void {
    if (this.outcome || (e.direction !== 'in' && e.direction !== 'out')) return;
    if (this.messageId === undefined) {
      if (this.early.length < EARLY_MAX) this.early.push(e);
      return;
    }
    const from = e.sender_id ?? e.client_id;
    if (e.direction === 'in' && e.message_type === 'STATUS' && from === this.agentId) {
      const text = typeof e.body.text_payload === 'string' ? e.body.text_payload : '';
      if (text) this.onStatus(text);
      return;
    }
    if (e.direction === 'in' && e.message_type === 'REPLY' && e.in_reply_to_message_id === this.messageId) {
      this.done({ kind: 'reply', text: typeof e.body.text_payload === 'string' ? e.body.text_payload : '', entry: e });
      return;
    }
    if (e.message_type === 'ERROR' && e.body.ref_message_id === this.messageId) {
      this.done({ kind: 'failed', text: typeof e.body.text_payload === 'string' ? e.body.text_payload : 'The hub could not deliver it.' });
    }
  }

  private done(o: ReplyOutcome): void {
    if (this.outcome) return;
    this.outcome = o;
    if (this.settle) this.settle(this.finish(o));
  }

  private finish(o: ReplyOutcome): ReplyOutcome {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.unsubscribe();
    this.early = [];
    return o;
  }
}

/** What Broadcast says it did: "Broadcast sent to 3 of 5 agents (1 paused, 1 offline)." */
export function broadcastSummary(counts: { online: number; paused: number; offline: number; total: number }): string {
  if (counts.total === 0) return 'Broadcast sent, but no agent is registered: nobody got it.';
  const rest: string[] = [];
  if (counts.paused) rest.push(`${counts.paused} paused`);
  if (counts.offline) rest.push(`${counts.offline} offline`);
  const noun = counts.total === 1 ? 'agent' : 'agents';
  return `Broadcast sent to ${counts.online} of ${counts.total} ${noun}${rest.length ? ` (${rest.join(', ')}: not sent to them)` : ''}.`;
}
