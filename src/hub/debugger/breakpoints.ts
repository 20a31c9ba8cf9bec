// Message breakpoints: each owner (a debugger client's id, or an in-process session) has its own set, replaced
// whole as DAP's setFunctionBreakpoints does. A breakpoint is a filter (src/protocol/filter.ts), optionally a hit
// count (stop from the Nth match on), a condition (a second filter) or a log message (a logpoint: record, never hold).
//
// Every routed message is checked, so the check is built when breakpoints are set, not per message: each filter is
// compiled to a predicate, and an index by message type and by receiver (id or name) hands a message only the
// breakpoints that could match it, in the order they were set (a message to the coder never meets "to:planner …").
// The text: terms of all breakpoints are searched for at once, with one regular expression of their words, so ten
// breakpoints on words that do not occur cost one pass over the text, not ten (bare words over the message alike).
// One MessageView is reused for every message: lower-casing, name look-ups and the message's JSON happen at most once
// a message, and a message that meets no breakpoint allocates nothing here but its lower-cased text.

import { compileMessageFilter, filterKeys, MessageView, parseMessageFilter, type CompiledFilter, type FilterKeys, type NameOf } from '../../protocol/filter';
import type { BreakpointInfoT, BreakpointSpecT } from '../../protocol/debugger';
import type { Envelope } from '../../protocol/schemas';

interface Breakpoint {
  readonly id: string;
  readonly owner: string;
  readonly spec: BreakpointSpecT;
  /** The compiled filter and condition; undefined filter: it did not parse (unverified, never matches). */
  readonly filter: CompiledFilter | undefined;
  readonly condition: CompiledFilter | undefined;
  readonly keys: FilterKeys;
  readonly error: string | undefined;
  /** Its place among all breakpoints: the order they are checked in. */
  order: number;
  hits: number;
}

/** What the breakpoints say about one message. */
export interface BreakpointVerdict {
  /** The first breakpoint that stops it, if any. */
  stop?: { breakpointId: string };
  /** Logpoints that matched: their lines, already filled in. */
  logs: { breakpointId: string; text: string }[];
}

const NO_VERDICT: BreakpointVerdict = Object.freeze({ logs: Object.freeze([]) as unknown as BreakpointVerdict['logs'] });

/** The breakpoints a message of one type could meet: those for any receiver, and those keyed by a receiver. */
interface Bucket {
  readonly anyReceiver: readonly Breakpoint[];
  /** Lower-cased receiver id or name → breakpoints naming it (each list in check order); undefined when none do. */
  readonly byReceiver: ReadonlyMap<string, readonly Breakpoint[]> | undefined;
  /** Every one of anyReceiver has a text: term (or a bare word): none can match a message without those words. */
  readonly anyNeedText: boolean;
  readonly anyNeedWords: boolean;
}

const NONE: readonly Breakpoint[] = [];
const EMPTY_BUCKET: Bucket = { anyReceiver: NONE, byReceiver: undefined, anyNeedText: false, anyNeedWords: false };

/** Raw message types remembered with their bucket at most (types are few; anything past this is looked up each time). */
const MAX_RAW_TYPES = 64;

function bucketOf(bps: readonly Breakpoint[]): Bucket {
  const anyReceiver: Breakpoint[] = [];
  let byReceiver: Map<string, Breakpoint[]> | undefined;
  for (const bp of bps) {
    if (bp.keys.receivers === undefined) {
      anyReceiver.push(bp);
      continue;
    }
    byReceiver ??= new Map();
    for (const r of new Set(bp.keys.receivers)) {
      let list = byReceiver.get(r);
      if (!list) byReceiver.set(r, (list = []));
      list.push(bp);
    }
  }
  const anyNeedText = anyReceiver.length > 0 && anyReceiver.every((bp) => bp.keys.texts !== undefined);
  const anyNeedWords = anyReceiver.length > 0 && anyReceiver.every((bp) => bp.keys.words !== undefined);
  return { anyReceiver, byReceiver, anyNeedText, anyNeedWords };
}

export class Breakpoints {
  private readonly byOwner = new Map<string, Breakpoint[]>();
  private all: Breakpoint[] = [];
  /** Lower-cased message type → what a message of that type could meet; other types meet `otherTypes`. */
  private byType = new Map<string, Bucket>();
  private otherTypes: Bucket = EMPTY_BUCKET;
  /** The same by message_type as it comes (most often one of a few upper-case names), saving a lower-casing. */
  private readonly rawTypes = new Map<string, Bucket>();
  private readonly view = new MessageView();
  /** Every breakpoint's text: words, searched for at once in the text; and bare words in the message's JSON. */
  private readonly texts = new WordGate((view) => view.text());
  private readonly words = new WordGate((view) => view.whole());
  private nextId = 1;

  get size(): number {
    return this.all.length;
  }

  owners(): string[] {
    return [...this.byOwner.keys()];
  }

  /** Replaces the owner's breakpoints; a filter that does not parse is kept unverified (it never matches). */
  set(owner: string, specs: readonly BreakpointSpecT[]): BreakpointInfoT[] {
    const list: Breakpoint[] = specs.map((spec) => {
      const f = parseMessageFilter(spec.filter);
      const c = spec.condition !== undefined && spec.condition.trim() !== '' ? parseMessageFilter(spec.condition) : undefined;
      const error = !f.ok ? f.error : c && !c.ok ? `condition: ${c.error}` : undefined;
      return {
        id: `bp_${this.nextId++}`,
        owner,
        spec,
        filter: f.ok ? compileMessageFilter(f.filter) : undefined,
        condition: c?.ok ? compileMessageFilter(c.filter) : undefined,
        keys: f.ok ? filterKeys(f.filter) : {},
        error,
        order: 0,
        hits: 0,
      };
    });
    if (list.length) this.byOwner.set(owner, list);
    else this.byOwner.delete(owner);
    this.reindex();
    return list.map(info);
  }

  removeOwner(owner: string): void {
    if (this.byOwner.delete(owner)) this.reindex();
  }

  infos(owner?: string): BreakpointInfoT[] {
    return (owner === undefined ? this.all : (this.byOwner.get(owner) ?? [])).map(info);
  }

  private reindex(): void {
    this.all = [...this.byOwner.values()].flat();
    this.all.forEach((bp, i) => (bp.order = i));
    // a breakpoint whose filter did not parse never matches and is in no bucket
    const live = this.all.filter((bp) => bp.filter !== undefined);
    const types = new Set(live.flatMap((bp) => bp.keys.types ?? []));
    this.byType = new Map([...types].map((t) => [t, bucketOf(live.filter((bp) => bp.keys.types === undefined || bp.keys.types.includes(t)))]));
    this.otherTypes = bucketOf(live.filter((bp) => bp.keys.types === undefined));
    this.rawTypes.clear();
    this.texts.set(live.flatMap((bp) => bp.keys.texts ?? []));
    this.words.set(live.flatMap((bp) => bp.keys.words ?? []));
  }

  /** Checks the breakpoints that could match a message in flight, in the order they were set; counts hits. */
  check(message: Envelope, nameOf: NameOf): BreakpointVerdict {
    if (this.all.length === 0) return NO_VERDICT;
    const view = this.view.reset(message, nameOf);
    this.texts.reset();
    this.words.reset();
    try {
      const raw = message.message_type;
      let bucket = typeof raw === 'string' ? this.rawTypes.get(raw) : undefined;
      if (bucket === undefined) {
        bucket = this.byType.get(view.type()) ?? this.otherTypes;
        if (typeof raw === 'string' && this.rawTypes.size < MAX_RAW_TYPES) this.rawTypes.set(raw, bucket);
      }
      // the words of the text: terms (and bare words) first, once for the whole list when every breakpoint in it has one
      const a = (bucket.anyNeedText && !this.texts.has(view)) || (bucket.anyNeedWords && !this.words.has(view)) ? NONE : bucket.anyReceiver;
      if (bucket.byReceiver === undefined) {
        let verdict: BreakpointVerdict | undefined;
        for (const bp of a) verdict = this.meet(bp, view, nameOf, verdict);
        return verdict ?? NO_VERDICT;
      }
      // the three lists (any receiver, this receiver's id, its name) merged in check order; a breakpoint naming both
      // the id and the name is in two of them and met once
      const b = bucket.byReceiver.get(view.receiver.id());
      const name = view.receiver.name();
      let c = name === undefined ? undefined : bucket.byReceiver.get(name);
      if (c === b) c = undefined;
      let verdict: BreakpointVerdict | undefined;
      let i = 0;
      let j = 0;
      let k = 0;
      let last = -1;
      for (;;) {
        const x = a[i];
        const y = b?.[j];
        const z = c?.[k];
        let next = x;
        if (y !== undefined && (next === undefined || y.order < next.order)) next = y;
        if (z !== undefined && (next === undefined || z.order < next.order)) next = z;
        if (next === undefined) return verdict ?? NO_VERDICT;
        if (next === x) i++;
        else if (next === y) j++;
        else k++;
        if (next.order === last) continue;
        last = next.order;
        verdict = this.meet(next, view, nameOf, verdict);
      }
    } finally {
      this.view.reset();
    }
  }

  private meet(bp: Breakpoint, view: MessageView, nameOf: NameOf, verdict: BreakpointVerdict | undefined): BreakpointVerdict | undefined {
    // a breakpoint with a text: term cannot match a message that has none of any breakpoint's text words
    if (bp.keys.texts !== undefined && !this.texts.has(view)) return verdict;
    if (bp.keys.words !== undefined && !this.words.has(view)) return verdict;
    if (!bp.filter!(view)) return verdict;
    if (bp.condition && !bp.condition(view)) return verdict;
    bp.hits++;
    if (bp.spec.hit_count !== undefined && bp.hits < bp.spec.hit_count) return verdict;
    verdict ??= { logs: [] };
    if (bp.spec.log_message !== undefined) verdict.logs.push({ breakpointId: bp.id, text: fillLogMessage(bp.spec.log_message, view.message as Envelope, nameOf) });
    else verdict.stop ??= { breakpointId: bp.id };
    return verdict;
  }
}

/** Words joined into one pattern at most (more are left to each breakpoint's own search). */
const MAX_JOINED_WORDS = 2000;

/**
 * The words of many breakpoints' terms on one field, as one regular expression: whether a message has any of them is
 * one search, done once a message on first need. False means no such term can match; true, that each must look.
 */
class WordGate {
  private pattern: RegExp | undefined;
  private seen: boolean | undefined;

  constructor(private readonly field: (view: MessageView) => string) {}

  set(words: readonly string[]): void {
    const unique = [...new Set(words)];
    this.pattern = unique.length && unique.length <= MAX_JOINED_WORDS ? new RegExp(unique.map(escapeRegExp).join('|')) : undefined;
  }

  reset(): void {
    this.seen = undefined;
  }

  has(view: MessageView): boolean {
    return this.pattern === undefined || (this.seen ??= this.pattern.test(this.field(view)));
  }
}

/** A literal word as a regular expression (no u flag: it matches UTF-16 units as String.includes does). */
function escapeRegExp(word: string): string {
  return word.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function info(bp: Breakpoint): BreakpointInfoT {
  const i: BreakpointInfoT = { breakpoint_id: bp.id, owner: bp.owner, filter: bp.spec.filter, verified: bp.error === undefined, hits: bp.hits };
  if (bp.error !== undefined) i.error = bp.error;
  if (bp.spec.hit_count !== undefined) i.hit_count = bp.spec.hit_count;
  if (bp.spec.condition !== undefined) i.condition = bp.spec.condition;
  if (bp.spec.log_message !== undefined) i.log_message = bp.spec.log_message;
  return i;
}

/** "{from} asked {to}: {text}" → the message's values; agents by name when the hub knows it. */
export function fillLogMessage(template: string, message: Envelope, nameOf: NameOf): string {
  const party = (v: unknown): string => (typeof v === 'string' && v ? (nameOf(v) ?? v) : '');
  const values: Record<string, string> = {
    type: String(message.message_type),
    from: party(message.sender_id),
    to: party(message.receiver_id),
    text: typeof message.text_payload === 'string' ? message.text_payload : '',
    id: message.message_id === undefined ? '' : String(message.message_id),
    thread: typeof message.thread === 'string' ? message.thread : '',
  };
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole).slice(0, 8192);
}
