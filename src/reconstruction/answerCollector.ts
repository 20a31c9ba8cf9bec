// Collects the PROVIDE_CONTEXT answers to one REQUEST_CONTEXT: until every peer the request went to has answered or
// the timeout passes, whichever comes first. Malformed and oversized answers are rejected and reported one by one;
// a second answer from the same peer is ignored.

import type { ProvideContextMsg, RejectedAnswerT } from '../protocol/contextSchemas';
import { validateMessage } from '../protocol/codec';
import { MessageType } from '../protocol/messageTypes';

export type FinishReason = 'all_answered' | 'timeout' | 'no_peers' | 'cancelled';

export interface CollectorOutcome {
  answers: ProvideContextMsg[];
  rejected: RejectedAnswerT[];
  /** Expected peers that answered only with rejected answers. */
  refused: string[];
  duplicates: number;
  /** Peers the request went to (as far as the transport knows) plus any that answered without being expected. */
  queried: string[];
  reason: FinishReason;
}

export type OfferResult = 'accepted' | 'duplicate' | 'rejected' | 'foreign';

export interface CollectorOptions {
  requestId: string;
  failedAgentId: string;
  threadId: string | null;
  timeoutMs: number;
  maxAnswerBytes: number;
  /** Answers kept at most (a flood beyond this is rejected). */
  maxAnswers: number;
  onProgress?: (answered: number, queried: number, responderId: string | null) => void;
}

/** Rejections kept per request; beyond this they are only counted. */
const MAX_REJECTED_KEPT = 100;
/** Refusing responders remembered while the peers a request reached are not known yet. */
const MAX_REFUSED_BEFORE_EXPECTED = 1000;

function responderOf(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = (raw as Record<string, unknown>).responder_id ?? (raw as Record<string, unknown>).sender_id;
  return typeof r === 'string' ? r.slice(0, 256) : null;
}

export class AnswerCollector {
  private readonly answers = new Map<string, ProvideContextMsg>();
  private readonly rejected: RejectedAnswerT[] = [];
  private rejectedOverflow = 0;
  private duplicates = 0;
  private expected: Set<string> | null = null;
  /** Whom we expect to hear from if the request is still being sent when the collection ends (see expectProvisionally). */
  private provisional: Set<string> | null = null;
  private readonly extra = new Set<string>();
  /** Expected peers whose answer was rejected: they did respond, so nobody waits for them any longer. */
  private readonly refused = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private finished = false;
  private resolveDone!: (o: CollectorOutcome) => void;
  readonly done: Promise<CollectorOutcome>;

  constructor(private readonly opts: CollectorOptions) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get isFinished(): boolean {
    return this.finished;
  }

  get requestId(): string {
    return this.opts.requestId;
  }

  get failedAgentId(): string {
    return this.opts.failedAgentId;
  }

  get threadId(): string | null {
    return this.opts.threadId;
  }

  /** Starts the timeout clock. Call once the request is on its way. */
  start(): void {
    if (this.finished || this.timer) return;
    this.timer = setTimeout(() => this.finish('timeout'), this.opts.timeoutMs);
  }

  /**
   * The peers the request reached. An empty set finishes at once (nobody to ask); null means the transport cannot
   * know (a broker fan-out to unknown listeners), so only the timeout ends the collection.
   */
  setExpected(peers: Iterable<string> | null): void {
    if (peers === null) return;
    this.expected = new Set([...peers].filter((p) => p !== this.opts.failedAgentId));
    this.checkComplete();
  }

  /**
   * Whom the request will most likely reach, given before it is sent. Used only when the collection ends (timeout,
   * cancel) while the send is still under way, so that those peers are reported as queried and silent rather than
   * forgotten; it never finishes a collection early.
   */
  expectProvisionally(peers: Iterable<string> | null): void {
    this.provisional = peers === null ? null : new Set([...peers].filter((p) => p !== this.opts.failedAgentId));
  }

  /** Does a seed-style answer without request_id belong here? Same failed agent, compatible thread. */
  matchesUnkeyed(failedAgentId: unknown, threadId: unknown): boolean {
    if (failedAgentId !== this.opts.failedAgentId) return false;
    return this.opts.threadId === null || threadId === undefined || threadId === null || threadId === this.opts.threadId;
  }

  /** Offer one raw answer (already addressed to this request or matching it). */
  offer(raw: unknown, bytes?: number): OfferResult {
    if (this.finished) return 'foreign';
    const size = bytes ?? Buffer.byteLength(JSON.stringify(raw) ?? '');
    if (size > this.opts.maxAnswerBytes) {
      return this.reject(responderOf(raw), `answer is ${size} bytes, over the cap of ${this.opts.maxAnswerBytes}`, size);
    }
    const v = validateMessage(raw);
    if (!v.ok) return this.reject(responderOf(raw), v.error.message, size);
    if (v.message.message_type !== MessageType.PROVIDE_CONTEXT) {
      return this.reject(responderOf(raw), `expected PROVIDE_CONTEXT, got ${v.message.message_type}`, size);
    }
    const answer = v.message as ProvideContextMsg;
    if (answer.request_id !== undefined && answer.request_id !== this.opts.requestId) return 'foreign';
    if (answer.failed_agent_id !== this.opts.failedAgentId) {
      return this.reject(answer.responder_id, `answer is about ${answer.failed_agent_id}, not ${this.opts.failedAgentId}`, size);
    }
    if (answer.responder_id === this.opts.failedAgentId) {
      return this.reject(answer.responder_id, 'the failed agent cannot answer for itself', size);
    }
    if (this.answers.has(answer.responder_id)) {
      this.duplicates++;
      return 'duplicate';
    }
    if (this.answers.size >= this.opts.maxAnswers) {
      return this.reject(answer.responder_id, `more than ${this.opts.maxAnswers} answers; this one was dropped`, size);
    }
    this.answers.set(answer.responder_id, answer);
    if (!this.expected?.has(answer.responder_id)) this.extra.add(answer.responder_id);
    this.opts.onProgress?.(this.answers.size, this.queried().length, answer.responder_id);
    this.checkComplete();
    return 'accepted';
  }

  /** Report a malformed answer the hub refused before it reached us (it still counts against that peer). */
  reportRejected(responderId: string | null, reason: string): void {
    if (!this.finished) this.reject(responderId, reason);
  }

  cancel(): void {
    this.finish('cancelled');
  }

  private reject(responderId: string | null, reason: string, bytes?: number): 'rejected' {
    // Before setExpected() (a fast bus answers while the request is still being published) any responder may turn
    // out to be expected, so it is remembered (bounded) and counts once the expected set is known.
    const mayBeExpected = this.expected === null ? this.refused.size < MAX_REFUSED_BEFORE_EXPECTED : this.expected.has(responderId ?? '');
    if (responderId !== null && mayBeExpected && !this.answers.has(responderId)) {
      this.refused.add(responderId);
      queueMicrotask(() => this.checkComplete());
    }
    if (this.rejected.length < MAX_REJECTED_KEPT) {
      const r: RejectedAnswerT = { responder_id: responderId, reason };
      if (bytes !== undefined) r.bytes = bytes;
      this.rejected.push(r);
    } else this.rejectedOverflow++;
    return 'rejected';
  }

  /** Answers accepted so far and the peers asked (with any that answered unasked): what a progress line shows. */
  progress(): { answered: number; queried: number } {
    return { answered: this.answers.size, queried: this.queried().length };
  }

  private queried(): string[] {
    const expected = this.expected ?? this.provisional;
    return [...(expected ?? []), ...[...this.extra].filter((p) => !expected?.has(p))];
  }

  private checkComplete(): void {
    if (this.finished || this.expected === null) return;
    if (this.expected.size === 0) return this.finish('no_peers');
    for (const p of this.expected) if (!this.answers.has(p) && !this.refused.has(p)) return;
    this.finish('all_answered');
  }

  private finish(reason: FinishReason): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rejected = [...this.rejected];
    if (this.rejectedOverflow > 0) rejected.push({ responder_id: null, reason: `${this.rejectedOverflow} more rejected answers not kept` });
    this.resolveDone({ answers: [...this.answers.values()], rejected, refused: [...this.refused].filter((p) => !this.answers.has(p)), duplicates: this.duplicates, queried: this.queried(), reason });
  }
}
