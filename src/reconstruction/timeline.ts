// Merges what the peers said (PROVIDE_CONTEXT interactions) with what the hub saw (event-log entries) into one
// timeline of a failed agent's conversations, de-duplicated by message_id, and derives what it still owed.

import type { LogEntry } from '../protocol/logEntry';
import type { InteractionT, TimelineEntryT } from '../protocol/contextSchemas';
import { CHAT_TYPES, MessageType } from '../protocol/messageTypes';

/** A timeline entry with the facts used to derive the rest (never sent on the wire). */
interface Draft {
  entry: TimelineEntryT;
  ms: number | null;
  order: number;
  /** The hub wrote this message to the failed agent's socket. */
  deliveredByHub: boolean;
  /** The hub received this message (so it would have logged its delivery). */
  seenByHub: boolean;
}

export interface MergeInput {
  failedAgentId: string;
  threadId: string | null;
  hubEntries: readonly LogEntry[];
  answers: readonly { responder_id: string; interactions: readonly InteractionT[] }[];
  /** Newest entries kept; the oldest beyond it are dropped and counted. */
  maxEntries: number;
}

export interface MergeOutput {
  timeline: TimelineEntryT[];
  unanswered: TimelineEntryT[];
  undelivered: TimelineEntryT[];
  dropped: number;
  lastStatus: { text: string; ms: number } | null;
  lastActivityMs: number | null;
}

/** Chat types that ask for nothing back: a REPLY answers, SYSTEM informs, ERROR reports. */
const NOT_OWED: ReadonlySet<string> = new Set([MessageType.REPLY, MessageType.SYSTEM, MessageType.ERROR]);

function str(v: unknown): string | null {
  if (typeof v === 'string' && v.length > 0) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** Epoch seconds, epoch ms or a date string → epoch ms; anything else (a browser's "4:33:01 PM") → null. */
export function toEpochMs(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e12 ? v * 1000 : v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
    if (/^\d+(\.\d+)?$/.test(v)) return toEpochMs(Number(v));
  }
  return null;
}

/** A stable key for a message without an id (early seed agents send none): same content, same key. */
function syntheticId(parts: (string | null)[]): string {
  let h = 0x811c9dc5;
  for (const ch of parts.map((p) => p ?? '').join('\u0001')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `noid_${h.toString(16).padStart(8, '0')}`;
}

/** One peer interaction in the seed's loose shape → a timeline entry (common spellings of each field accepted). */
export function fromInteraction(it: InteractionT, responderId: string, failedAgentId: string): { entry: TimelineEntryT; ms: number | null } {
  const r = it as Record<string, unknown>;
  const sent = it.direction === 'sent';
  const received = it.direction === 'received';
  const sender = str(it.sender_id) ?? str(r.from) ?? str(r.agent_id) ?? (sent ? responderId : received ? failedAgentId : null);
  const receiver = str(it.receiver_id) ?? str(r.to) ?? (sent ? failedAgentId : received ? responderId : null);
  const rawTime = it.timestamp ?? r.send_timestamp ?? r.time ?? r.created_at;
  const ms = toEpochMs(rawTime);
  const text = str(it.text_payload) ?? str(r.content) ?? str(r.text) ?? str(r.message);
  const type = str(it.message_type) ?? str(r.event_type) ?? str(r.type) ?? MessageType.TEXT;
  const thread = str(it.thread_id) ?? str(r.thread);
  const id =
    str(it.message_id) ?? str(r.id) ?? str(r.event_id) ?? syntheticId([sender, receiver, type, text, ms === null ? null : String(ms)]);
  const entry: TimelineEntryT = {
    message_id: id,
    time: ms !== null ? new Date(ms).toISOString() : str(rawTime),
    message_type: type,
    sender_id: sender,
    receiver_id: receiver,
    text_payload: text,
    thread_id: thread,
    in_reply_to_message_id: str(it.in_reply_to_message_id) ?? str(r.in_response_to),
    sources: [responderId],
  };
  const payload = it.payload ?? r.data;
  if (payload !== undefined) entry.payload = payload;
  return { entry, ms };
}

function fromLogEntry(e: LogEntry): TimelineEntryT {
  const b = e.body;
  const sender = e.sender_id ?? null;
  const receiver = e.receiver_id ?? null;
  const text = str(b.text_payload);
  return {
    message_id: e.message_id ?? syntheticId([sender, receiver, e.message_type, text, null]),
    time: new Date(e.time).toISOString(),
    message_type: e.message_type,
    sender_id: sender,
    receiver_id: receiver,
    text_payload: text,
    thread_id: e.thread ?? str(b.thread_id),
    in_reply_to_message_id: e.in_reply_to_message_id ?? null,
    sources: ['hub'],
  };
}

/** Does this hub log entry concern the failed agent (sent by it, addressed to it, or written to its socket)? */
function involves(e: LogEntry, failed: string): boolean {
  return e.sender_id === failed || e.receiver_id === failed || e.client_id === failed;
}

function inThread(threadId: string | null, thread: string | null, id: string, inReplyTo: string | null): boolean {
  return threadId === null || thread === threadId || id === threadId || inReplyTo === threadId;
}

export function mergeTimeline(input: MergeInput): MergeOutput {
  const { failedAgentId: failed, threadId } = input;
  const byId = new Map<string, Draft>();
  let order = 0;
  let lastStatus: { text: string; ms: number } | null = null;
  let lastActivityMs: number | null = null;

  for (const e of input.hubEntries) {
    if (!involves(e, failed)) continue;
    if (e.message_type === MessageType.STATUS && e.direction === 'in' && (e.client_id === failed || e.sender_id === failed)) {
      const text = str(e.body.text_payload);
      if (text !== null && (lastStatus === null || e.time >= lastStatus.ms)) lastStatus = { text, ms: e.time };
    }
    if (e.direction === 'in' && (e.client_id === failed || e.sender_id === failed)) {
      lastActivityMs = Math.max(lastActivityMs ?? 0, e.time);
    }
    if (!CHAT_TYPES.has(e.message_type)) continue;
    const entry = fromLogEntry(e);
    if (!inThread(threadId, entry.thread_id, entry.message_id, entry.in_reply_to_message_id)) continue;
    const deliveredNow = e.direction === 'out' && (e.client_id === failed || (e.client_id === undefined && e.receiver_id === failed));
    const existing = byId.get(entry.message_id);
    if (existing) {
      existing.deliveredByHub ||= deliveredNow;
      existing.seenByHub ||= e.direction === 'in';
      continue;
    }
    byId.set(entry.message_id, { entry, ms: e.time, order: order++, deliveredByHub: deliveredNow, seenByHub: e.direction === 'in' });
  }

  for (const a of input.answers) {
    for (const it of a.interactions) {
      const { entry, ms } = fromInteraction(it, a.responder_id, failed);
      if (!inThread(threadId, entry.thread_id, entry.message_id, entry.in_reply_to_message_id)) continue;
      const existing = byId.get(entry.message_id);
      if (existing) {
        if (!existing.entry.sources.includes(a.responder_id)) existing.entry.sources.push(a.responder_id);
        // the hub's clock is the reference; a peer fills in only what the hub did not have
        existing.entry.text_payload ??= entry.text_payload;
        existing.entry.thread_id ??= entry.thread_id;
        existing.entry.in_reply_to_message_id ??= entry.in_reply_to_message_id;
        if (existing.entry.payload === undefined && entry.payload !== undefined) existing.entry.payload = entry.payload;
        continue;
      }
      byId.set(entry.message_id, { entry, ms, order: order++, deliveredByHub: false, seenByHub: false });
    }
  }

  const drafts = [...byId.values()].sort((x, y) => {
    if (x.ms !== null && y.ms !== null && x.ms !== y.ms) return x.ms - y.ms;
    if (x.ms === null && y.ms !== null) return 1;
    if (y.ms === null && x.ms !== null) return -1;
    return x.order - y.order;
  });
  for (const d of drafts) {
    if (d.entry.sender_id === failed && d.ms !== null) lastActivityMs = Math.max(lastActivityMs ?? 0, d.ms);
  }

  const { unanswered, undelivered } = owed(drafts, failed);
  const dropped = Math.max(0, drafts.length - input.maxEntries);
  return {
    timeline: drafts.slice(dropped).map((d) => d.entry),
    unanswered: unanswered.map((d) => d.entry),
    undelivered: undelivered.map((d) => d.entry),
    dropped,
    lastStatus,
    lastActivityMs,
  };
}

/**
 * Messages addressed to the failed agent that ask for an answer, split into those it received and never answered
 * and those the hub never managed to deliver. An answer is a later message from the failed agent whose
 * in_reply_to_message_id names the message, or — for early seed agents that send no in_reply_to — its next REPLY to
 * the same sender, which answers the oldest open one from that sender (a new TEXT to them answers nothing).
 */
function owed(drafts: readonly Draft[], failed: string): { unanswered: Draft[]; undelivered: Draft[] } {
  const open: Draft[] = [];
  const answered = new Set<Draft>();
  for (const d of drafts) {
    const e = d.entry;
    if (e.sender_id === failed) {
      const ref = e.in_reply_to_message_id;
      const target =
        ref !== null
          ? open.find((o) => o.entry.message_id === ref)
          : e.message_type === MessageType.REPLY
            ? open.find((o) => o.entry.sender_id === e.receiver_id)
            : undefined;
      if (target) {
        answered.add(target);
        open.splice(open.indexOf(target), 1);
      }
      continue;
    }
    if (e.receiver_id === failed && !NOT_OWED.has(e.message_type)) open.push(d);
  }
  const undelivered = open.filter((d) => d.seenByHub && !d.deliveredByHub);
  return { unanswered: open.filter((d) => !undelivered.includes(d)), undelivered };
}
