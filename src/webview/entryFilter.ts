// The table's filters — by message type, by agent, free text over payload and metadata, and whether the hub's
// bookkeeping (presence, registrations, disconnects, reconstruction) shows — compiled once per change into a
// predicate. Pure: no DOM.

import type { LogEntry } from '../protocol/logEntry';
import { isBookkeeping } from '../protocol/bookkeeping';

export interface FilterState {
  /** One message_type, or '' for all. */
  type: string;
  /** An agent (or any client) id matched against sender, receiver and connection, or '' for all. */
  agent: string;
  /** Words that must all occur (case-insensitive) in the body or the metadata; "quoted words" as one phrase. */
  text: string;
  /** Show the hub's bookkeeping — presence traffic (PING, PONG, SERVER_HEARTBEAT, AGENT_STATUS_UPDATE), REGISTER_*,
   *  CLIENT_DISCONNECTED, AGENT_INACTIVE, reconstruction requests and answers — hidden by default: it drowns the
   *  conversation, and the agent list already shows who is there. (The name predates the wider meaning; stored
   *  state keeps it.) */
  showNoise: boolean;
  /** Every frame as the hub logged it (in, out, each front-end's copy) instead of one row per message: for people
   *  who debug the hub itself. */
  raw: boolean;
}

export const EMPTY_FILTER: Readonly<FilterState> = Object.freeze({ type: '', agent: '', text: '', showNoise: false, raw: false });

export const NOISE_TYPES: ReadonlySet<string> = new Set(['PING', 'PONG', 'SERVER_HEARTBEAT', 'AGENT_STATUS_UPDATE']);

/** Hidden unless the person widens the view: presence noise and the hub's other bookkeeping. */
export function isQuiet(type: string): boolean {
  return NOISE_TYPES.has(type) || isBookkeeping(type);
}

export function isFilterActive(f: FilterState): boolean {
  return f.type !== '' || f.agent !== '' || f.text.trim() !== '';
}

/** Lower-cased text searched by the free-text filter; computed once per entry and cached. */
const haystacks = new WeakMap<LogEntry, string>();
export function searchTextOf(entry: LogEntry): string {
  let h = haystacks.get(entry);
  if (h === undefined) {
    let body: string;
    try {
      body = JSON.stringify(entry.body);
    } catch {
      body = '';
    }
    h = [
      entry.message_type,
      entry.direction,
      entry.client_id,
      entry.role,
      entry.message_id,
      entry.sender_id,
      entry.receiver_id,
      entry.in_reply_to_message_id,
      entry.thread,
      entry.session_id,
      body,
    ]
      .filter((p) => p !== undefined && p !== null && p !== '')
      .join('\u0000')
      .toLowerCase();
    haystacks.set(entry, h);
  }
  return h;
}

export function involvesAgent(entry: LogEntry, id: string): boolean {
  return entry.sender_id === id || entry.receiver_id === id || entry.client_id === id;
}

export type EntryPredicate = (entry: LogEntry) => boolean;

/** Splits search text into lower-cased terms: words, or "a phrase" in double quotes. */
export function searchTerms(text: string): string[] {
  const terms: string[] = [];
  for (const m of text.toLowerCase().matchAll(/"([^"]*)"?|(\S+)/g)) {
    const t = (m[1] ?? m[2] ?? '').trim();
    if (t) terms.push(t);
  }
  return terms;
}

export function compileFilter(f: FilterState): EntryPredicate {
  const words = searchTerms(f.text);
  const { type, agent, showNoise } = f;
  return (e) => {
    if (type !== '' && e.message_type !== type) return false;
    // An explicit type filter for a bookkeeping type shows it even when bookkeeping is hidden.
    if (!showNoise && type === '' && isQuiet(e.message_type)) return false;
    if (agent !== '' && !involvesAgent(e, agent)) return false;
    if (words.length) {
      const h = searchTextOf(e);
      for (const w of words) if (!h.includes(w)) return false;
    }
    return true;
  };
}

/** Accepts a stored filter from an older or tampered state: anything malformed falls back to the empty filter. */
export function parseFilter(v: unknown): FilterState {
  if (typeof v !== 'object' || v === null) return { ...EMPTY_FILTER };
  const r = v as Record<string, unknown>;
  const str = (x: unknown): string => (typeof x === 'string' ? x.slice(0, 512) : '');
  return { type: str(r.type), agent: str(r.agent), text: str(r.text), showNoise: r.showNoise === true, raw: r.raw === true };
}
