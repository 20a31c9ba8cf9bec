// The table's filters — by message type, by agent, free text over payload and metadata, and whether the hub's
// bookkeeping (presence, registrations, disconnects, reconstruction) shows — compiled once per change into a
// predicate. Pure: no DOM.

import type { LogEntry } from './logEntry';
import { isBookkeeping } from './bookkeeping';

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
  /** A topic as `namespace:topic` (seed 004), or ''/absent for all: only that topic's messages show. */
  topic?: string;
}

export const EMPTY_FILTER: Readonly<FilterState> = Object.freeze({ type: '', agent: '', text: '', showNoise: false, raw: false });

export const NOISE_TYPES: ReadonlySet<string> = new Set(['PING', 'PONG', 'SERVER_HEARTBEAT', 'AGENT_STATUS_UPDATE']);

/** Hidden unless the person widens the view: presence noise and the hub's other bookkeeping. */
export function isQuiet(type: string): boolean {
  return NOISE_TYPES.has(type) || isBookkeeping(type);
}

export function isFilterActive(f: FilterState): boolean {
  return f.type !== '' || f.agent !== '' || f.text.trim() !== '' || (f.topic ?? '') !== '';
}

/**
 * The topics (`namespace:topic`) a log entry carries (seed 004): a TOPIC_MESSAGE's stored message, a HISTORY_RESPONSE's
 * messages, or a PUBLISH's `topics` — a PUBLISH names them without its sender's namespace, so `namespaceOf` (the
 * sender's, when the caller knows it) supplies it, else they come back as `*:topic` (matching that topic in any
 * namespace).
 */
export function topicsOfEntry(entry: LogEntry, namespaceOf?: (id: string) => string | undefined): string[] {
  const who = entry.sender_id ?? entry.client_id;
  return topicsOfMessage(entry.message_type, entry.body, (who && namespaceOf?.(who)) || undefined);
}

/** topicsOfEntry for a message's body (a log entry's, or a frame in flight); `namespace`: a PUBLISH sender's. */
function topicsOfMessage(type: unknown, b: Readonly<Record<string, unknown>>, namespace: string | undefined): string[] {
  const named = (m: unknown): string | undefined => {
    if (typeof m !== 'object' || m === null) return undefined;
    const r = m as Record<string, unknown>;
    return typeof r.namespace === 'string' && typeof r.topic_published_to === 'string' ? `${r.namespace}:${r.topic_published_to}` : undefined;
  };
  switch (type) {
    case 'TOPIC_MESSAGE': {
      const t = named(b.message);
      return t ? [t] : [];
    }
    case 'HISTORY_RESPONSE':
      // the hub logs a topic's HISTORY_RESPONSE as a summary (message_count, namespace, topic), not its bodies
      if (!Array.isArray(b.messages)) return typeof b.namespace === 'string' && typeof b.topic === 'string' ? [b.topic.includes(':') ? b.topic : `${b.namespace}:${b.topic}`] : [];
      return [...new Set(b.messages.map(named).filter((t): t is string => t !== undefined))];
    case 'PUBLISH':
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
    case 'HISTORY': {
      const raw = type === 'PUBLISH' ? b.topics : b.topic;
      const list = (Array.isArray(raw) ? raw : [raw]).filter((t): t is string => typeof t === 'string' && t !== '');
      const ns = namespace ?? '*';
      return list.map((t) => (t.includes(':') ? t : `${ns}:${t}`));
    }
    default:
      return [];
  }
}

/** Whether an entry's topic (as topicsOfEntry gives it) is the chosen `namespace:topic`; `*:t` is t in any namespace. */
export function topicMatches(entryTopic: string, chosen: string): boolean {
  if (entryTopic === chosen) return true;
  return entryTopic.startsWith('*:') && chosen.slice(chosen.indexOf(':') + 1) === entryTopic.slice(2);
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
  const topic = f.topic ?? '';
  return (e) => {
    if (topic !== '' && !topicsOfEntry(e).some((t) => topicMatches(t, topic))) return false;
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
  return { type: str(r.type), agent: str(r.agent), text: str(r.text), showNoise: r.showNoise === true, raw: r.raw === true, ...(str(r.topic) ? { topic: str(r.topic) } : {}) };
}

// --- The filter language: one line that names messages in flight -----------------------------------------------
//
// Used by message breakpoints (hub, CLI, the Debug Agents adapter) and readable by people:
//   type:TEXT to:planner text:refund            every term must hold (AND)
//   type:TEXT,REPLY from:agent_12ab             a comma is "any of" within one term
//   to:planner "full refund"                    a bare word or "quoted phrase" is searched like the monitor's box
//   payload.thread:t-7   payload.amount:42      a field of the message (dotted path) contains the value
//   topic:news   topic:crew:news               a topic message (PUBLISH, TOPIC_MESSAGE, …) of that topic (seed 004)
// Keys: type (message_type), from/sender (sender_id or the sender's name), to/receiver (receiver_id or name), text
// (text_payload only), thread, id (message_id), payload.<path>. Values compare case-insensitively; type, from, to,
// thread and id match whole values, text and payload.<path> match a substring. An empty filter matches everything.

/** A parsed filter: every clause must match. */
export interface MessageFilter {
  readonly source: string;
  readonly clauses: readonly FilterClause[];
}

export type FilterField = 'type' | 'from' | 'to' | 'text' | 'thread' | 'id' | 'any' | 'topic' | `payload.${string}`;

export interface FilterClause {
  readonly field: FilterField;
  /** Lower-cased alternatives; one of them must match. */
  readonly values: readonly string[];
}

export type FilterParseResult = { ok: true; filter: MessageFilter } | { ok: false; error: string };

const KEY_ALIASES: Readonly<Record<string, FilterField>> = {
  type: 'type',
  t: 'type',
  from: 'from',
  sender: 'from',
  to: 'to',
  receiver: 'to',
  text: 'text',
  thread: 'thread',
  conversation: 'thread',
  id: 'id',
  topic: 'topic',
};

/** The longest filter accepted (a filter is typed by a person; anything longer is a mistake or abuse). */
export const MAX_FILTER_LENGTH = 1024;

/** Parses the filter language; the error names the term that is wrong and the keys that exist. */
export function parseMessageFilter(source: string): FilterParseResult {
  if (source.length > MAX_FILTER_LENGTH) return { ok: false, error: `A filter is at most ${MAX_FILTER_LENGTH} characters.` };
  const clauses: FilterClause[] = [];
  for (const m of source.matchAll(/([A-Za-z_][\w.]*):(?:"([^"]*)"?|(\S*))|"([^"]*)"?|(\S+)/g)) {
    const [, key, quotedValue, plainValue, quotedWord, word] = m;
    if (key === undefined) {
      const w = (quotedWord ?? word ?? '').trim().toLowerCase();
      if (w) clauses.push({ field: 'any', values: [w] });
      continue;
    }
    const k = key.toLowerCase();
    const field: FilterField | undefined = k.startsWith('payload.') && k.length > 'payload.'.length ? (`payload.${key.slice(8)}` as FilterField) : KEY_ALIASES[k];
    if (!field) {
      return { ok: false, error: `Unknown filter key "${key}:" — use type:, from:, to:, text:, thread:, id:, topic: or payload.<field>:.` };
    }
    const raw = quotedValue ?? plainValue ?? '';
    const values = (quotedValue !== undefined ? [raw] : raw.split(',')).map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
    if (values.length === 0) return { ok: false, error: `"${key}:" needs a value (e.g. ${key}:TEXT).` };
    clauses.push({ field, values });
  }
  return { ok: true, filter: { source, clauses } };
}

/** A message as the filter sees it: any envelope-like object (a frame in flight, a log entry's body). */
export type FilterableMessage = Readonly<Record<string, unknown>> & { message_type?: unknown };

/** How a filter learns an agent's name for from:/to: (the hub knows it; a pure caller may pass nothing). */
export type NameOf = (id: string) => string | undefined;

function lower(v: unknown): string {
  if (typeof v === 'string') return v.toLowerCase();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v).toLowerCase();
  if (v === undefined || v === null) return '';
  try {
    return JSON.stringify(v).toLowerCase();
  } catch {
    return '';
  }
}

function pathValue(message: FilterableMessage, path: readonly string[]): unknown {
  let v: unknown = message;
  for (const part of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** `topic:news` is news in any namespace, `topic:crew:news` that namespace's only (topics lower-cased). */
function topicIn(topics: readonly string[], v: string): boolean {
  return topics.some((t) => (v.includes(':') ? topicMatches(t, v) : t.slice(t.indexOf(':') + 1) === v));
}

function partyMatches(id: unknown, values: readonly string[], nameOf: NameOf | undefined): boolean {
  if (typeof id !== 'string' || id === '') return false;
  const lid = id.toLowerCase();
  const name = nameOf?.(id)?.toLowerCase();
  return values.some((v) => v === lid || (name !== undefined && v === name));
}

function clauseMatches(c: FilterClause, message: FilterableMessage, nameOf: NameOf | undefined): boolean {
  switch (c.field) {
    case 'type':
      return c.values.includes(lower(message.message_type));
    case 'from':
      return partyMatches(message.sender_id, c.values, nameOf);
    case 'to':
      return partyMatches(message.receiver_id, c.values, nameOf);
    case 'text': {
      const t = lower(message.text_payload);
      return c.values.some((v) => t.includes(v));
    }
    case 'thread':
      return c.values.includes(lower(message.thread));
    case 'id':
      return c.values.includes(lower(message.message_id));
    case 'topic': {
      const topics = topicsOfMessage(message.message_type, message, undefined).map((t) => t.toLowerCase());
      return c.values.some((v) => topicIn(topics, v));
    }
    case 'any': {
      const h = lower(message);
      return c.values.some((v) => h.includes(v));
    }
    default: {
      const v = lower(pathValue(message, c.field.slice('payload.'.length).split('.')));
      return v !== '' && c.values.some((x) => v.includes(x));
    }
  }
}

/** True when every clause of the filter holds for the message: the plain matcher, the reference for compiled ones. */
export function matchesMessage(filter: MessageFilter, message: FilterableMessage, nameOf?: NameOf): boolean {
  for (const c of filter.clauses) if (!clauseMatches(c, message, nameOf)) return false;
  return true;
}

// --- Compiled filters: the same language, checked against many messages ------------------------------------------
//
// A hub checks every message in flight against its message breakpoints, so there a filter is compiled once, when it
// is set: compileMessageFilter turns it into a predicate over a MessageView — one message whose lower-cased fields
// (type, text, the parties' ids and names, its JSON for bare words) are computed at most once, on first use, however
// many filters look at it. Nothing is allocated per filter. matchesMessage stays the reference: the two agree on
// every message and filter (test/unit/filterCompiled.test.ts checks it with random ones).

/** One message as compiled filters see it. One view is reused: reset() it for each message. */
export class MessageView {
  private m: FilterableMessage = NO_MESSAGE;
  private lType: string | undefined;
  private lText: string | undefined;
  private lThread: string | undefined;
  private lId: string | undefined;
  private lWhole: string | undefined;
  private lTopics: string[] | undefined;
  private readonly from = new PartyView();
  private readonly to = new PartyView();

  /** Looks at `message` from now on (and at no message when called without one, so it keeps none alive). */
  reset(message: FilterableMessage = NO_MESSAGE, nameOf?: NameOf): this {
    this.m = message;
    this.lType = this.lText = this.lThread = this.lId = this.lWhole = undefined;
    this.lTopics = undefined;
    this.from.reset(message.sender_id, nameOf);
    this.to.reset(message.receiver_id, nameOf);
    return this;
  }

  get message(): FilterableMessage {
    return this.m;
  }

  type(): string {
    return (this.lType ??= lower(this.m.message_type));
  }

  text(): string {
    return (this.lText ??= lower(this.m.text_payload));
  }

  thread(): string {
    return (this.lThread ??= lower(this.m.thread));
  }

  id(): string {
    return (this.lId ??= lower(this.m.message_id));
  }

  /** The whole message's JSON, lower-cased: what a bare word searches. */
  whole(): string {
    return (this.lWhole ??= lower(this.m));
  }

  topics(): string[] {
    return (this.lTopics ??= topicsOfMessage(this.m.message_type, this.m, undefined).map((t) => t.toLowerCase()));
  }

  get sender(): PartyView {
    return this.from;
  }

  get receiver(): PartyView {
    return this.to;
  }
}

const NO_MESSAGE: FilterableMessage = Object.freeze({});

/** A sender or receiver: its lower-cased id ('' when it has none) and name (undefined when unknown), looked up once. */
export class PartyView {
  private raw: unknown;
  private nameOf: NameOf | undefined;
  private lId: string | undefined;
  private lName: string | undefined;
  private named = false;

  reset(raw: unknown, nameOf: NameOf | undefined): void {
    this.raw = raw;
    this.nameOf = nameOf;
    this.lId = this.lName = undefined;
    this.named = false;
  }

  id(): string {
    return (this.lId ??= typeof this.raw === 'string' ? this.raw.toLowerCase() : '');
  }

  name(): string | undefined {
    if (!this.named) {
      this.named = true;
      this.lName = typeof this.raw === 'string' && this.raw !== '' ? this.nameOf?.(this.raw)?.toLowerCase() : undefined;
    }
    return this.lName;
  }
}

export type CompiledFilter = (view: MessageView) => boolean;

type ClauseCheck = CompiledFilter;

function anyOf(values: readonly string[], pick: (view: MessageView) => string): ClauseCheck {
  if (values.length === 1) {
    const only = values[0]!;
    return (view) => pick(view) === only;
  }
  return (view) => values.includes(pick(view));
}

function someContained(values: readonly string[], pick: (view: MessageView) => string): ClauseCheck {
  if (values.length === 1) {
    const only = values[0]!;
    return (view) => pick(view).includes(only);
  }
  return (view) => {
    const s = pick(view);
    for (const v of values) if (s.includes(v)) return true;
    return false;
  };
}

function partyIs(values: readonly string[], pick: (view: MessageView) => PartyView): ClauseCheck {
  return (view) => {
    const p = pick(view);
    const id = p.id();
    if (id === '') return false;
    for (const v of values) if (v === id) return true;
    const name = p.name();
    return name !== undefined && values.includes(name);
  };
}

/** How much a clause costs to check, so the cheap ones (a string compare) run first and the rest often not at all. */
const CLAUSE_COST: Readonly<Record<string, number>> = { type: 0, id: 0, thread: 0, from: 1, to: 1, text: 2, topic: 3, any: 5 };

function compileClause(c: FilterClause): ClauseCheck {
  const values = c.values;
  switch (c.field) {
    case 'type':
      return anyOf(values, (v) => v.type());
    case 'from':
      return partyIs(values, (v) => v.sender);
    case 'to':
      return partyIs(values, (v) => v.receiver);
    case 'text':
      return someContained(values, (v) => v.text());
    case 'thread':
      return anyOf(values, (v) => v.thread());
    case 'id':
      return anyOf(values, (v) => v.id());
    case 'topic':
      return (view) => {
        const topics = view.topics();
        return values.some((v) => topicIn(topics, v));
      };
    case 'any':
      return someContained(values, (v) => v.whole());
    default: {
      const path = c.field.slice('payload.'.length).split('.');
      return (view) => {
        const s = lower(pathValue(view.message, path));
        if (s === '') return false;
        for (const v of values) if (s.includes(v)) return true;
        return false;
      };
    }
  }
}

/** The filter as a predicate over a MessageView; true exactly when matchesMessage is for the view's message. */
export function compileMessageFilter(filter: MessageFilter): CompiledFilter {
  const checks = filter.clauses
    .map((c, i) => ({ check: compileClause(c), cost: CLAUSE_COST[c.field] ?? 4, i }))
    .sort((a, b) => a.cost - b.cost || a.i - b.i)
    .map((x) => x.check);
  switch (checks.length) {
    case 0:
      return () => true;
    case 1:
      return checks[0]!;
    case 2: {
      const [a, b] = checks as [ClauseCheck, ClauseCheck];
      return (view) => a(view) && b(view);
    }
    default:
      return (view) => {
        for (const c of checks) if (!c(view)) return false;
        return true;
      };
  }
}

/**
 * What a message needs for the filter to match it, for an index over many filters: its lower-cased message_type
 * among `types`, its receiver's lower-cased id or name among `receivers`, one of `texts` in its lower-cased
 * text_payload, one of `words` in its lower-cased JSON (a key left out: any).
 */
export interface FilterKeys {
  readonly types?: readonly string[];
  readonly receivers?: readonly string[];
  readonly texts?: readonly string[];
  readonly words?: readonly string[];
}

export function filterKeys(filter: MessageFilter): FilterKeys {
  const keys: { -readonly [K in keyof FilterKeys]: FilterKeys[K] } = {};
  for (const c of filter.clauses) {
    if (c.field === 'type') keys.types ??= c.values;
    else if (c.field === 'to') keys.receivers ??= c.values;
    else if (c.field === 'text') keys.texts ??= c.values;
    else if (c.field === 'any') keys.words ??= c.values;
  }
  return keys;
}
