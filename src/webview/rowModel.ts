// What one table row shows for a log entry: formatted time, type, from, to and a one-line preview. Pure, so the
// table's text is tested in plain Node and computed only for the rows on screen.

import type { LogEntry } from '../protocol/logEntry';
import { bookkeepingPreview } from '../protocol/bookkeeping';
import { topicPreview } from './topicRows';
import { topicsOfEntry } from '../protocol/filter';

export interface MessageRow {
  seq: number;
  time: string;
  type: string;
  from: string;
  to: string;
  preview: string;
  direction: LogEntry['direction'];
  /**
   * For a frame written to a connection other than its receiver (the copy of every chat message each front-end gets,
   * seed behaviour): the client it went to. Without it one message shows as identical outgoing rows.
   */
  copyTo?: string;
  /** A CSS class suffix for the type's colour: chat, status, control, presence, error, other. */
  kind: RowKind;
}

export type RowKind = 'chat' | 'status' | 'control' | 'presence' | 'error' | 'register' | 'other';

const PREVIEW_MAX = 240;
const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;
const pad3 = (n: number): string => (n < 10 ? '00' : n < 100 ? '0' : '') + n;

/** Local wall-clock time with milliseconds: 14:03:07.123. */
export function formatTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${pad3(d.getMilliseconds())}`;
}

export function rowKind(type: string): RowKind {
  switch (type) {
    case 'TEXT':
    case 'REPLY':
    case 'SYSTEM':
    case 'PUBLISH':
      return 'chat';
    case 'STATUS':
    case 'AGENT_EVENT':
      return 'status';
    case 'ERROR':
      return 'error';
    case 'PING':
    case 'PONG':
    case 'SERVER_HEARTBEAT':
    case 'AGENT_STATUS_UPDATE':
    case 'REQUEST_AGENT_STATUS':
      return 'presence';
    default:
      if (type.startsWith('REGISTER_')) return 'register';
      if (/_AGENTS?$/.test(type) || type === 'RESET_ALL_QUEUES' || type === 'SHUTDOWN') return 'control';
      return 'other';
  }
}

/** The most characters the Type column shows whole at its narrowest. */
export const TYPE_COLUMN_CHARS = 14;

// word → its short form, tried in this order until the name fits; the common chat and status types never need one
const TYPE_ABBREVIATIONS: readonly (readonly [string, string])[] = [
  ['RESPONSE', 'RESP'],
  ['REGISTER', 'REG'],
  ['DEREGISTER', 'DEREG'],
  ['REREGISTER', 'REREG'],
  ['DISCONNECTED', 'DISCONN'],
  ['RECONSTRUCTION', 'RECON'],
  ['CONTEXT', 'CTX'],
  ['REQUEST', 'REQ'],
  ['HEARTBEAT', 'BEAT'],
  ['AVAILABLE', 'AVAIL'],
  ['FRONTEND', 'FRONT'],
  ['MONITOR', 'MON'],
  ['UPDATE', 'UPD'],
  ['STATUS', 'STAT'],
  ['AGENTS', 'AGTS'],
  ['BROKER', 'BRKR'],
  ['QUEUES', 'QS'],
  ['RESUME', 'RESUM'],
  ['UNSUBSCRIBE', 'UNSUB'],
  ['SUBSCRIBE', 'SUB'],
  ['APPROVAL', 'APPR'],
  ['DECISION', 'DEC'],
  ['MESSAGES', 'MSGS'],
  ['MESSAGE', 'MSG'],
  ['HISTORY', 'HIST'],
  ['CANCELLED', 'CANC'],
];

/**
 * A message type short enough for the Type column: whole when it fits, else with its long words abbreviated
 * (REGISTER_FRONTEND_RESPONSE → REG_FRONT_RESP) — the full name stays in the cell's tooltip and the detail pane.
 */
export function shortType(type: string, max: number = TYPE_COLUMN_CHARS): string {
  if (type.length <= max) return type;
  const words = type.split('_');
  for (const [long, short] of TYPE_ABBREVIATIONS) {
    for (let i = 0; i < words.length; i++) if (words[i] === long) words[i] = short;
    if (words.join('_').length <= max) break;
  }
  return words.join('_');
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW_MAX ? flat.slice(0, PREVIEW_MAX - 1) + '…' : flat;
}

/** The part of a body worth a glance: a sentence for the hub's bookkeeping, the text payload, else a compact view of
 *  the fields that are not envelope. `nameOf` turns ids into the names people know. */
export function previewOf(entry: LogEntry, nameOf?: (id: string) => string): string {
  const body = entry.body;
  const said = bookkeepingPreview(entry.message_type, body, nameOf);
  if (said !== undefined) return oneLine(said);
  const topical = topicPreview(entry);
  if (topical !== undefined) return oneLine(topical);
  const text = body.text_payload;
  if (typeof text === 'string' && text.length > 0) return oneLine(text);
  if (entry.message_type === 'AGENT_EVENT') return oneLine(`${String(body.event_type ?? '')} ${safeJson(body.data)}`);
  if (entry.message_type === 'AGENT_STATUS_UPDATE' && Array.isArray(body.agents)) {
    return `${body.agents.length} agent(s)${body.is_full_update === true ? ', full' : ''}`;
  }
  const approval = approvalPreview(entry.message_type, body, nameOf);
  if (approval !== undefined) return oneLine(approval);
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (!ENVELOPE_FIELDS.has(k)) rest[k] = v;
  }
  return Object.keys(rest).length ? oneLine(safeJson(rest)) : '';
}

/** Tool approvals (seed 003) in a glance: the call asked for, and the decision with who made it. */
function approvalPreview(type: string, body: Record<string, unknown>, nameOf?: (id: string) => string): string | undefined {
  if (type === 'TOOL_APPROVAL_REQUEST' && typeof body.tool === 'string') {
    return `may I call ${body.tool}${body.arguments === undefined ? '' : ' ' + safeJson(body.arguments)}`;
  }
  if (type === 'TOOL_APPROVAL_DECISION' && typeof body.approved === 'boolean') {
    const by = typeof body.decided_by === 'string' ? ` by ${nameOf ? nameOf(body.decided_by) : body.decided_by}` : '';
    const note = typeof body.note === 'string' && body.note ? ` — ${body.note}` : '';
    return `${body.approved ? 'approved' : 'denied'}${by}${note}`;
  }
  return undefined;
}

const ENVELOPE_FIELDS: ReadonlySet<string> = new Set([
  'message_type',
  'message_id',
  'sender_id',
  'receiver_id',
  'send_timestamp',
  'in_reply_to_message_id',
  'text_payload',
  '_client_id',
  'timestamp',
]);

export function safeJson(v: unknown, indent?: number): string {
  try {
    return JSON.stringify(v, null, indent) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Who sent it: the envelope's sender, else the connection it came from (in) or 'hub' (out/internal). */
export function fromOf(entry: LogEntry): string {
  if (entry.sender_id) return entry.sender_id;
  if (entry.direction === 'in') return entry.client_id ?? '?';
  return 'hub';
}

/** Who gets it: the envelope's receiver, a status line's session, else the connection it went to (out) or 'hub' (in). */
export function toOf(entry: LogEntry): string {
  if (entry.receiver_id) return entry.receiver_id;
  // a status line goes to the front-end whose session it belongs to
  if (entry.message_type === 'STATUS' && entry.session_id) return entry.session_id;
  // a topic message goes to its topic (namespace:topic), whoever subscribes
  if (entry.message_type === 'TOPIC_MESSAGE' || entry.message_type === 'PUBLISH') {
    const t = topicsOfEntry(entry)[0];
    if (t) return t.startsWith('*:') ? t.slice(2) : t;
  }
  if (entry.direction === 'out') return entry.client_id ?? 'subscribers';
  return 'hub';
}

/** The connection an outgoing frame was written to, when that is not its receiver (a front-end's copy). */
export function copyTargetOf(entry: LogEntry): string | undefined {
  if (entry.direction !== 'out' || !entry.client_id || !entry.receiver_id) return undefined;
  return entry.client_id !== entry.receiver_id ? entry.client_id : undefined;
}

export function toRow(entry: LogEntry, nameOf?: (id: string) => string): MessageRow {
  const copyTo = copyTargetOf(entry);
  return {
    ...(copyTo ? { copyTo } : {}),
    seq: entry.seq,
    time: formatTime(entry.time),
    type: entry.message_type,
    from: fromOf(entry),
    to: toOf(entry),
    preview: previewOf(entry, nameOf),
    direction: entry.direction,
    kind: rowKind(entry.message_type),
  };
}

/** "4 s ago", "3 min ago", "2 h ago"; "never" for null. */
export function formatAgo(iso: string | null, now: number = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}
