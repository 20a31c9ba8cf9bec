// The reconstructor (seed 002): ask the failed agent's peers what they exchanged with it, collect their answers until
// all have answered or the timeout passes, merge them with the hub's event log into one timeline and say what the
// agent still owed. Several reconstructions may run at once; answers are kept apart by request_id.

import { EventEmitter } from 'node:events';
import type { LogEntry } from '../protocol/logEntry';
import type { ReconstructionT, RequestContextMsg } from '../protocol/contextSchemas';
import { isoNow, newMessageId } from '../protocol/ids';
import { MessageType } from '../protocol/messageTypes';
import type { Logger } from '../protocol/logger';
import { silentLogger } from '../protocol/logger';
import { SwitchboardError, errorMessage } from '../protocol/errors';
import type { ContextTransport } from './contextTransport';
import { AnswerCollector, type CollectorOutcome } from './answerCollector';
import { mergeTimeline } from './timeline';
import { resolveContextSettings, type ContextSettings } from './contextConfig';

/** What the reconstructor reads from the hub: its event log and what it knows of agents. */
export interface ReconstructionSource {
  /** Event-log entries that involve `agentId`, newer than sinceMs, oldest first, at most `limit`. */
  logEntries(agentId: string, sinceMs: number, limit: number): LogEntry[];
  agent(agentId: string): { last_seen: string | null; last_status_text?: string | null } | undefined;
  /** Agents online now (on a broker carrier the request reaches them through their hubs). */
  onlineAgents(): string[];
}

export interface ReconstructOptions {
  /** Only this conversation thread. */
  threadId?: string | null;
  /** History asked for, in seconds (default 3600). */
  windowSeconds?: number;
  /** Collection ends at the latest after this (default PEER_CONTEXT_TIMEOUT_SECONDS, 5 s). */
  timeoutMs?: number;
  /** Peers to wait for besides those the carrier reports (e.g. agents that live only on Kafka). */
  expectedPeers?: string[];
  /** Never wait for these (e.g. the replacement being restored, which is not asked). */
  excludePeers?: string[];
  signal?: AbortSignal;
  onProgress?: (p: ReconstructProgress) => void;
}

export interface ReconstructProgress {
  request_id: string;
  failed_agent_id: string;
  answered: number;
  queried: number;
  responder_id: string | null;
}

export interface ReconstructorEvents {
  progress: [p: ReconstructProgress];
  /** An answer for a reconstruction that had already finished: counted, never merged. */
  late: [info: { request_id: string; responder_id: string | null }];
  /** An answer nobody was waiting for. */
  stray: [info: { responder_id: string | null }];
}

export interface ReconstructorOptions {
  transport: ContextTransport;
  /** The hub's log and registry; without one, only the peers' answers make up the timeline. */
  source?: ReconstructionSource;
  settings?: Partial<ContextSettings>;
  logger?: Logger;
}

/** What the race between a send and its collection yields when the collection ended first. */
const SEND_OUTLIVED = Symbol('send outlived its reconstruction');

/** Finished request ids remembered to tell a late answer from a stray one. */
const MAX_FINISHED_REMEMBERED = 500;

function field(raw: unknown, name: string): unknown {
  return typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[name] : undefined;
}

function asString(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

export class Reconstructor {
  readonly events = new EventEmitter<ReconstructorEvents>();
  private readonly transport: ContextTransport;
  private readonly source: ReconstructionSource | undefined;
  private readonly settings: ContextSettings;
  private readonly logger: Logger;
  private readonly active = new Map<string, AnswerCollector>();
  private readonly finished = new Map<string, string>();
  private opened: Promise<void> | undefined;
  private closed = false;
  private counters = { reconstructions: 0, late_answers: 0, stray_answers: 0 };

  constructor(opts: ReconstructorOptions) {
    this.transport = opts.transport;
    this.source = opts.source;
    this.settings = resolveContextSettings(opts.settings ?? {});
    this.logger = (opts.logger ?? silentLogger).child('reconstruct');
  }

  get kind(): string {
    return this.transport.kind;
  }

  get requesterId(): string {
    return this.transport.requesterId;
  }

  stats(): { reconstructions: number; late_answers: number; stray_answers: number; active: number } {
    return { ...this.counters, active: this.active.size };
  }

  /** Opens the answer channel (done by the first reconstruct() too); call early so the first one is not slowed. */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new SwitchboardError('shutdown', 'This reconstructor was closed.'));
    this.opened ??= this.transport
      .open({
        answer: (raw, bytes) => this.route(raw, bytes),
        rejected: (responderId, reason, requestId) => this.routeRejection(responderId, reason, requestId),
      })
      .catch((err: unknown) => {
        this.opened = undefined;
        throw err;
      });
    return this.opened;
  }

  async reconstruct(failedAgentId: string, opts: ReconstructOptions = {}): Promise<ReconstructionT> {
    if (!failedAgentId) throw new SwitchboardError('invalid_message', 'Name the agent to reconstruct.');
    const startedMs = Date.now();
    const startedAt = isoNow();
    const requestId = newMessageId().replace(/^msg_/, 'ctx_');
    const threadId = opts.threadId ?? null;
    const windowSeconds = opts.windowSeconds ?? this.settings.windowSeconds;
    const timeoutMs = opts.timeoutMs ?? this.settings.timeoutMs;
    this.counters.reconstructions++;

    const collector = new AnswerCollector({
      requestId,
      failedAgentId,
      threadId,
      timeoutMs,
      maxAnswerBytes: this.settings.maxAnswerBytes,
      maxAnswers: this.settings.maxAnswers,
      onProgress: (answered, queried, responderId) => {
        const p: ReconstructProgress = { request_id: requestId, failed_agent_id: failedAgentId, answered, queried, responder_id: responderId };
        opts.onProgress?.(p);
        this.events.emit('progress', p);
      },
    });
    const onAbort = (): void => collector.cancel();
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    let outcome: CollectorOutcome;
    try {
      if (!this.settings.peerContextEnabled) {
        collector.setExpected([]);
      } else {
        await this.start();
        this.active.set(requestId, collector);
        const request: RequestContextMsg = {
          message_type: MessageType.REQUEST_CONTEXT,
          message_id: newMessageId(),
          send_timestamp: startedAt,
          request_id: requestId,
          requester_id: this.transport.requesterId,
          sender_id: this.transport.requesterId,
          failed_agent_id: failedAgentId,
          thread_id: threadId,
          time_window_seconds: windowSeconds,
        };
        const exclude = new Set(opts.excludePeers ?? []);
        const without = (peers: string[] | null): string[] | null => (peers && exclude.size ? peers.filter((p) => !exclude.has(p)) : peers);
        // the clock runs from before the send (a bus that holds the publish must not hold the caller past its
        // timeout); if it runs out first, the peers a fan-out would have reached are still reported as silent
        collector.expectProvisionally(without(this.expectedPeers(failedAgentId, null, opts.expectedPeers)));
        collector.start();
        const sending = this.transport.send(request);
        const reached = await Promise.race([sending, collector.done.then(() => SEND_OUTLIVED)]);
        if (typeof reached === 'symbol') {
          // the timeout (or a cancel) came first: the result does not wait for the bus, whose failure is only logged
          sending.catch((err: unknown) => this.logger.warn(`request ${requestId} failed after its reconstruction ended: ${errorMessage(err)}`));
        } else {
          collector.setExpected(without(this.expectedPeers(failedAgentId, reached, opts.expectedPeers)));
          // fast peers may have answered before the send resolved: report what the collector holds, not a fresh 0
          opts.onProgress?.({ request_id: requestId, failed_agent_id: failedAgentId, ...collector.progress(), responder_id: null });
        }
      }
      if (opts.signal?.aborted) collector.cancel();
      outcome = await collector.done;
    } catch (err) {
      collector.cancel();
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      this.active.delete(requestId);
      this.finished.set(requestId, failedAgentId);
      if (this.finished.size > MAX_FINISHED_REMEMBERED) this.finished.delete(this.finished.keys().next().value as string);
    }
    return this.build({ requestId, failedAgentId, threadId, windowSeconds, timeoutMs, startedMs, startedAt, outcome });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.active.values()) c.cancel();
    this.active.clear();
    await this.transport.close();
  }

  /**
   * Whom to wait for. The hub relay reports exactly whom it reached. A broker fan-out reaches listeners we cannot
   * see, so we wait for the agents the hub knows to be online (plus any named by the caller); if we know of none,
   * only the timeout ends the collection.
   */
  private expectedPeers(failed: string, reached: string[] | null, extra: string[] = []): string[] | null {
    if (reached !== null) return [...new Set([...reached, ...extra])];
    const known = new Set([...(this.source?.onlineAgents() ?? []), ...extra]);
    known.delete(failed);
    return known.size > 0 ? [...known] : null;
  }

  private route(raw: unknown, bytes: number): void {
    const requestId = asString(field(raw, 'request_id'));
    const responder = asString(field(raw, 'responder_id'));
    if (requestId !== null) {
      const c = this.active.get(requestId);
      if (c) {
        c.offer(raw, bytes);
        return;
      }
      if (this.finished.has(requestId)) return this.late(requestId, responder);
      return this.stray(responder);
    }
    // a seed peer's answer carries no request_id: it belongs to every running reconstruction of the same agent
    const failed = field(raw, 'failed_agent_id');
    const thread = field(raw, 'thread_id');
    const matching = [...this.active.values()].filter((c) => c.matchesUnkeyed(failed, thread));
    if (matching.length > 0) {
      for (const c of matching) c.offer(raw, bytes);
      return;
    }
    if (failed === undefined && this.active.size === 1) {
      // unattributable and malformed: the only running reconstruction reports it
      for (const c of this.active.values()) c.offer(raw, bytes);
      return;
    }
    for (const [id, f] of this.finished) if (f === failed) return this.late(id, responder);
    this.stray(responder);
  }

  private routeRejection(responderId: string | null, reason: string, requestId: string | undefined): void {
    if (requestId !== undefined) {
      this.active.get(requestId)?.reportRejected(responderId, reason);
      return;
    }
    for (const c of this.active.values()) c.reportRejected(responderId, reason);
  }

  private late(requestId: string, responderId: string | null): void {
    this.counters.late_answers++;
    this.logger.debug(`late answer from ${responderId ?? '?'} for ${requestId}: ignored`);
    this.events.emit('late', { request_id: requestId, responder_id: responderId });
  }

  private stray(responderId: string | null): void {
    this.counters.stray_answers++;
    this.events.emit('stray', { responder_id: responderId });
  }

  private build(b: {
    requestId: string;
    failedAgentId: string;
    threadId: string | null;
    windowSeconds: number;
    timeoutMs: number;
    startedMs: number;
    startedAt: string;
    outcome: CollectorOutcome;
  }): ReconstructionT {
    const { outcome } = b;
    const sinceMs = b.startedMs - b.windowSeconds * 1000;
    const hubEntries = this.source?.logEntries(b.failedAgentId, sinceMs, this.settings.maxLogEntries) ?? [];
    const merged = mergeTimeline({
      failedAgentId: b.failedAgentId,
      threadId: b.threadId,
      hubEntries,
      answers: outcome.answers,
      maxEntries: this.settings.maxTimelineEntries,
    });
    const known = this.source?.agent(b.failedAgentId);
    const memoryStates: Record<string, unknown> = {};
    for (const a of outcome.answers) {
      if (a.memory_state !== undefined && a.memory_state !== null) memoryStates[a.responder_id] = a.memory_state;
    }
    const answered = outcome.answers.map((a) => a.responder_id);
    const result: ReconstructionT = {
      request_id: b.requestId,
      failed_agent_id: b.failedAgentId,
      thread_id: b.threadId,
      transport: this.transport.kind,
      started_at: b.startedAt,
      duration_ms: Date.now() - b.startedMs,
      finished: outcome.reason,
      timeout_ms: b.timeoutMs,
      peer_agents_queried: outcome.queried,
      peers_answered: answered,
      peers_silent: outcome.queried.filter((p) => !answered.includes(p) && !outcome.refused.includes(p)),
      rejected_answers: outcome.rejected,
      timeline: merged.timeline,
      last_status: known?.last_status_text ?? merged.lastStatus?.text ?? null,
      last_seen: known?.last_seen ?? (merged.lastActivityMs !== null ? new Date(merged.lastActivityMs).toISOString() : null),
      unanswered_messages: merged.unanswered,
      undelivered_messages: merged.undelivered,
      memory_states: memoryStates,
      duplicate_answers: outcome.duplicates,
      timeline_dropped: merged.dropped,
    };
    this.logger.info(
      `reconstructed ${b.failedAgentId}: ${answered.length}/${outcome.queried.length} peers (${outcome.reason}) in ${result.duration_ms} ms, ` +
        `${result.timeline.length} timeline entries, ${result.unanswered_messages.length} unanswered`,
    );
    return result;
  }
}
