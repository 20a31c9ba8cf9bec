// Seed 004 topic messages in the monitor: the id a row carries, a readable preview ("on ns:topic: …"), and the
// older messages "Load older" fetched turned into rows (log-entry shaped, negative seqs, before the log's rows).
// Pure: no DOM.

import type { LogEntry } from '../protocol/logEntry';
import { topicsOfEntry } from '../protocol/filter';

const rec = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const TOPIC_ID = /^[0-9]{1,20}$/;

/** The topic message id of a TOPIC_MESSAGE row (the stored message's id), else undefined. */
export function topicIdOf(e: LogEntry): string | undefined {
  if (e.message_type !== 'TOPIC_MESSAGE') return undefined;
  const id = rec(e.body.message)?.id ?? e.message_id;
  return typeof id === 'string' && TOPIC_ID.test(id) ? id : undefined;
}

function compact(v: unknown): string {
  const r = rec(v);
  if (r && typeof r.text === 'string') return r.text;
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

/** "on ns:topic: <payload>" for PUBLISH and TOPIC_MESSAGE, "n message(s) of ns:topic" for HISTORY_RESPONSE. */
export function topicPreview(e: LogEntry): string | undefined {
  const topics = topicsOfEntry(e).map((t) => (t.startsWith('*:') ? t.slice(2) : t));
  if (!topics.length) return undefined;
  const where = topics.join(', ');
  switch (e.message_type) {
    case 'TOPIC_MESSAGE': {
      const m = rec(e.body.message)!;
      const reply = m.in_response_to != null ? ` (reply to ${String(m.in_response_to)})` : '';
      return `on ${where}${reply}: ${compact(m.payload)}`;
    }
    case 'PUBLISH':
      return `publish on ${where}: ${compact(e.body.payload)}`;
    case 'HISTORY_RESPONSE':
      // the hub logs a HISTORY_RESPONSE as a summary (message_count, first_id, last_id), not a copy of its bodies
      return `${typeof e.body.message_count === 'number' ? e.body.message_count : Array.isArray(e.body.messages) ? e.body.messages.length : 0} message(s) of ${where}`;
    default:
      return `${e.message_type.toLowerCase()} ${where}`;
  }
}

/**
 * Stored topic messages (oldest first) as rows ending at seq `lastSeq` (negative, counting down page by page), leaving
 * out malformed ones and ids in `known` (already on screen).
 */
export function olderTopicEntries(messages: readonly Record<string, unknown>[], lastSeq: number, known: ReadonlySet<string>): LogEntry[] {
  const kept = messages.filter(
    (m) => typeof m.id === 'string' && TOPIC_ID.test(m.id) && !known.has(m.id) && typeof m.namespace === 'string' && typeof m.topic_published_to === 'string',
  );
  const first = lastSeq - kept.length + 1;
  return kept.map((m, i): LogEntry => {
    const id = m.id as string;
    const sender = rec(m.sender);
    const thread = Array.isArray(m.thread) ? m.thread.filter((x): x is string => typeof x === 'string') : [];
    const e: LogEntry = {
      seq: first + i,
      time: typeof m.timestamp === 'number' ? Math.round(m.timestamp * 1000) : 0,
      direction: 'internal',
      message_type: 'TOPIC_MESSAGE',
      message_id: id,
      size: 0,
      // what the hub's TOPIC_MESSAGE frame carries, so previews, the detail pane and threads read it the same way
      body: { message_type: 'TOPIC_MESSAGE', message_id: id, thread, message: m, from_history: true },
    };
    if (typeof sender?.id === 'string') e.sender_id = sender.id;
    e.receiver_id = `${m.namespace as string}:${m.topic_published_to as string}`;
    if (thread[0]) e.thread = thread[0];
    if (m.in_response_to != null) e.in_reply_to_message_id = String(m.in_response_to as string);
    return e;
  });
}

/**
 * One arrow per topic message in a thread: the PUBLISH that came in and the TOPIC_MESSAGE the hub delivered carry
 * different envelope ids but the same payload and reply link, so they share this key (the TOPIC_MESSAGE is kept).
 */
export function topicSequenceKey(e: LogEntry): string | undefined {
  const m = e.message_type === 'TOPIC_MESSAGE' ? rec(e.body.message) : e.message_type === 'PUBLISH' ? e.body : undefined;
  if (!m) return undefined;
  return `topic|${String(m.in_response_to ?? '')}|${compact(m.payload)}`;
}
