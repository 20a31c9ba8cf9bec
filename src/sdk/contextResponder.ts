// A peer's half of seed 002 context reconstruction: keeps a bounded log of the agent's own chat, answers
// REQUEST_CONTEXT on its own (filtered by failed agent, thread and time window, size-capped) and hands a
// RESTORE_CONTEXT to the agent's onRestore handlers. Transport-free: AgentClient (or a bus peer) feeds it frames.

import type { Envelope } from '../protocol/schemas';
import type { InteractionT, ProvideContextMsg, ReconstructionT, RequestContextMsg } from '../protocol/contextSchemas';
import { MAX_INTERACTIONS_PER_ANSWER } from '../protocol/contextSchemas';
import { validateMessage } from '../protocol/codec';
import { isoNow, newMessageId } from '../protocol/ids';
import { MessageType, CHAT_TYPES } from '../protocol/messageTypes';
import { envValue } from '../protocol/envOptions';

export interface ContextQuery {
  failed_agent_id: string;
  thread_id: string | null;
  time_window_seconds: number;
  requester_id: string;
  request_id: string | undefined;
}

/** Adds what the agent remembers of the failed agent (its memory_state); its result must be JSON-serialisable. */
export type MemoryStateHook = (query: ContextQuery) => unknown;
export type RestoreHandler = (reconstruction: ReconstructionT, message: Envelope) => void | Promise<void>;

export interface ContextResponderOptions {
  /** The agent's own id; undefined until registered (requests are not answered before). */
  selfId: () => string | undefined;
  /** Sends a frame on the agent's connection. */
  send: (message: Envelope) => void | Promise<void>;
  /** Interactions kept; beyond this the oldest is forgotten. Default 1000. */
  maxInteractions?: number;
  /** An answer is trimmed (oldest interactions first) to fit this many bytes of JSON. Default 256 KiB. */
  maxAnswerBytes?: number;
  /** Window used when a request names none (the seed's default is one hour). */
  defaultWindowSeconds?: number;
  /** PEER_CONTEXT_ENABLED=false turns answering off (the agent still records). Default: true unless that env says false. */
  enabled?: boolean;
  now?: () => number;
  onError?: (err: unknown) => void;
}

interface Recorded {
  at: number;
  item: InteractionT;
}

export const DEFAULT_MAX_ANSWER_BYTES = 256 * 1024;
const DEFAULT_MAX_INTERACTIONS = 1000;
const DEFAULT_WINDOW_SECONDS = 3600;

function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return null;
}

export function peerContextEnabledFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return envValue('peerContextEnabled', env) !== false;
}

export class ContextResponder {
  private readonly log: Recorded[] = [];
  private readonly maxInteractions: number;
  private readonly maxAnswerBytes: number;
  private readonly defaultWindowSeconds: number;
  private readonly now: () => number;
  private memoryHook: MemoryStateHook | undefined;
  private readonly restoreHandlers: RestoreHandler[] = [];
  private lastRestore: { reconstruction: ReconstructionT; message: Envelope } | undefined;
  enabled: boolean;

  constructor(private readonly opts: ContextResponderOptions) {
    this.maxInteractions = Math.max(1, opts.maxInteractions ?? DEFAULT_MAX_INTERACTIONS);
    this.maxAnswerBytes = Math.max(1024, opts.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES);
    this.defaultWindowSeconds = opts.defaultWindowSeconds ?? DEFAULT_WINDOW_SECONDS;
    this.now = opts.now ?? Date.now;
    this.enabled = opts.enabled ?? peerContextEnabledFromEnv();
  }

  /** How many interactions are held. */
  get size(): number {
    return this.log.length;
  }

  setMemoryState(hook: MemoryStateHook | undefined): void {
    this.memoryHook = hook;
  }

  /** Called with every RESTORE_CONTEXT; a handler added after one arrived is called with it at once. */
  onRestore(handler: RestoreHandler): void {
    this.restoreHandlers.push(handler);
    if (this.lastRestore) this.runRestore(handler, this.lastRestore.reconstruction, this.lastRestore.message);
  }

  /** Record a chat message this agent sent or received; anything else is ignored. */
  record(direction: 'sent' | 'received', m: Envelope): void {
    if (!CHAT_TYPES.has(m.message_type)) return;
    const at = this.now();
    const item: InteractionT = {
      message_id: str(m.message_id) ?? newMessageId(),
      direction,
      timestamp: new Date(at).toISOString(),
      message_type: m.message_type,
      sender_id: str(m.sender_id) ?? (direction === 'sent' ? this.opts.selfId() ?? null : null),
      receiver_id: str(m.receiver_id),
      text_payload: typeof m.text_payload === 'string' ? m.text_payload : null,
      thread_id: str(m.thread) ?? str(m.thread_id),
      in_reply_to_message_id: str(m.in_reply_to_message_id),
    };
    this.log.push({ at, item });
    if (this.log.length > this.maxInteractions) this.log.splice(0, this.log.length - this.maxInteractions);
  }

  /** The interactions with `failedAgentId` (in `threadId`, newer than the window), oldest first. */
  interactionsWith(failedAgentId: string, threadId: string | null, windowSeconds: number): InteractionT[] {
    const since = this.now() - windowSeconds * 1000;
    const out: InteractionT[] = [];
    for (const { at, item } of this.log) {
      if (at < since) continue;
      const other = item.direction === 'sent' ? item.receiver_id : item.sender_id;
      if (other !== failedAgentId) continue;
      if (threadId && item.thread_id !== threadId) continue;
      out.push(item);
    }
    return out;
  }

  /** Build the PROVIDE_CONTEXT answer to a request (undefined when this agent is not a peer of it). */
  answer(request: RequestContextMsg): ProvideContextMsg | undefined {
    const self = this.opts.selfId();
    if (!self || request.failed_agent_id === self) return undefined;
    const query: ContextQuery = {
      failed_agent_id: request.failed_agent_id,
      thread_id: request.thread_id ?? null,
      time_window_seconds: request.time_window_seconds ?? this.defaultWindowSeconds,
      requester_id: request.requester_id,
      request_id: request.request_id,
    };
    let memory: unknown = null;
    if (this.memoryHook) {
      try {
        memory = this.memoryHook(query) ?? null;
      } catch (err) {
        memory = { error: `memory_state hook failed: ${(err as Error).message}` };
      }
    }
    const interactions = this.interactionsWith(query.failed_agent_id, query.thread_id, query.time_window_seconds).slice(
      -MAX_INTERACTIONS_PER_ANSWER,
    );
    const answer: ProvideContextMsg = {
      message_type: 'PROVIDE_CONTEXT',
      message_id: newMessageId(),
      sender_id: self,
      receiver_id: request.requester_id,
      send_timestamp: isoNow(),
      responder_id: self,
      failed_agent_id: query.failed_agent_id,
      thread_id: query.thread_id,
      interactions,
      memory_state: memory,
    };
    if (request.request_id !== undefined) answer.request_id = request.request_id;
    return this.fit(answer);
  }

  /**
   * Offer an inbound frame. REQUEST_CONTEXT is answered (unless disabled) and RESTORE_CONTEXT goes to the onRestore
   * handlers; both return true so the caller does not treat them as chat. Everything else returns false.
   */
  handle(m: Envelope): boolean {
    if (m.message_type === MessageType.REQUEST_CONTEXT) {
      if (!this.enabled) return true;
      const v = validateMessage(m);
      if (!v.ok) {
        this.opts.onError?.(v.error);
        return true;
      }
      const answer = this.answer(v.message as RequestContextMsg);
      if (answer) {
        Promise.resolve()
          .then(() => this.opts.send(answer as Envelope))
          .catch((err: unknown) => this.opts.onError?.(err));
      }
      return true;
    }
    if (m.message_type === MessageType.RESTORE_CONTEXT) {
      const reconstruction = m.reconstruction;
      if (typeof reconstruction !== 'object' || reconstruction === null) {
        this.opts.onError?.(new Error('RESTORE_CONTEXT without a reconstruction object'));
        return true;
      }
      this.lastRestore = { reconstruction: reconstruction as ReconstructionT, message: m };
      for (const h of this.restoreHandlers) this.runRestore(h, reconstruction as ReconstructionT, m);
      return true;
    }
    return false;
  }

  private runRestore(h: RestoreHandler, r: ReconstructionT, m: Envelope): void {
    Promise.resolve()
      .then(() => h(r, m))
      .catch((err: unknown) => this.opts.onError?.(err));
  }

  /** Drop the oldest interactions (then the memory state) until the answer fits maxAnswerBytes. */
  private fit(answer: ProvideContextMsg): ProvideContextMsg {
    let bytes = Buffer.byteLength(JSON.stringify(answer));
    if (bytes <= this.maxAnswerBytes) return answer;
    const items = [...answer.interactions];
    let dropped = 0;
    while (items.length > 0 && bytes > this.maxAnswerBytes) {
      // drop a proportional share at once so a huge log is trimmed in a few passes, not one item at a time
      const share = Math.max(1, Math.ceil(items.length * (1 - this.maxAnswerBytes / bytes)));
      items.splice(0, share);
      dropped += share;
      bytes = Buffer.byteLength(JSON.stringify({ ...answer, interactions: items }));
    }
    const out: ProvideContextMsg = { ...answer, interactions: items, interactions_dropped: dropped };
    if (bytes > this.maxAnswerBytes) out.memory_state = { truncated: true, reason: 'memory_state exceeded the answer size cap' };
    return out;
  }
}
