// The compiled filter and the hub's breakpoint index (issue 20) against the plain matcher: for random filters and
// messages a compiled filter says what matchesMessage says, and the indexed Breakpoints give the verdicts, log lines
// and hit counts that checking every breakpoint with matchesMessage in the order they were set gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileMessageFilter, matchesMessage, MessageView, parseMessageFilter, type FilterableMessage, type MessageFilter, type NameOf } from '../../src/protocol/filter';
import { Breakpoints, fillLogMessage, type BreakpointVerdict } from '../../src/hub/debugger/breakpoints';
import type { BreakpointSpecT } from '../../src/protocol/debugger';
import type { Envelope } from '../../src/protocol/schemas';

// Small vocabularies that overlap, so filters match some messages and miss others; names may equal another agent's
// id, differ from it only in case, or be missing; words carry letters whose lower case is not one ASCII letter, and
// characters a regular expression would read as operators.
const IDS = ['agent_a1', 'Agent_B2', 'agent_p9', 'planner', ''];
const NAMES: Record<string, string> = { agent_a1: 'Triage', Agent_B2: 'planner', agent_p9: 'AGENT_A1' };
const nameOf: NameOf = (id) => NAMES[id];
const TYPES = ['TEXT', 'REPLY', 'text', 'PUBLISH', 'TOPIC_MESSAGE', 'ERROR'];
const WORDS = ['refund', 'Refund', 'full refund', 'order', '42', 'eur', 'İstanbul', 'STRASSE', 'straße', 'Σίσυφος', 't-7', 'news', 'crew:news', 'x', 'C++', '(x)', '$5.00', 'a|b', '[1]', 'x\\y', 'a/b', '^*?'];

const word = fc.constantFrom(...WORDS);
const anyValue = fc.oneof(word, fc.constantFrom(...IDS.filter(Boolean), ...Object.values(NAMES), ...TYPES), fc.string({ maxLength: 6 }));

const message: fc.Arbitrary<FilterableMessage> = fc.record(
  {
    message_type: fc.oneof(fc.constantFrom(...TYPES), fc.constant(7)),
    sender_id: fc.oneof(fc.constantFrom(...IDS), fc.constant(3)),
    receiver_id: fc.constantFrom(...IDS),
    text_payload: fc.oneof(fc.array(word, { maxLength: 4 }).map((w) => w.join(' ')), fc.constant(undefined)),
    thread: fc.constantFrom('t-7', 'T-7', 'other'),
    message_id: fc.oneof(fc.constantFrom('msg_1', 'MSG_1'), fc.constant(42)),
    order: fc.option(fc.record({ amount: fc.constantFrom(42, 7), currency: fc.constantFrom('EUR', 'usd') }), { nil: undefined }),
    message: fc.option(fc.record({ namespace: fc.constantFrom('crew', 'ops'), topic_published_to: fc.constantFrom('news', 'weather') }), { nil: undefined }),
    topics: fc.option(fc.array(fc.constantFrom('news', 'crew:news', 'alerts'), { maxLength: 2 }), { nil: undefined }),
  },
  { requiredKeys: ['message_type'] },
);

const KEYS = ['type', 't', 'from', 'sender', 'to', 'receiver', 'text', 'thread', 'id', 'topic', 'payload.order.amount', 'payload.order.currency', 'payload.thread', 'payload.missing'];
const term = fc.oneof(
  fc.tuple(fc.constantFrom(...KEYS), fc.array(anyValue, { minLength: 1, maxLength: 3 })).map(([k, vs]) => `${k}:${vs.map((v) => v.replace(/[\s,"]/g, '')).filter(Boolean).join(',') || 'x'}`),
  fc.tuple(fc.constantFrom(...KEYS), word).map(([k, w]) => `${k}:"${w}"`),
  word.map((w) => (/[\s:]/.test(w) ? `"${w}"` : w)),
);
const filterSource = fc.array(term, { maxLength: 4 }).map((ts) => ts.join(' '));

function parsed(src: string): MessageFilter {
  const r = parseMessageFilter(src);
  if (!r.ok) throw new Error(`${src}: ${r.error}`);
  return r.filter;
}

test('a compiled filter matches exactly the messages matchesMessage matches', () => {
  const view = new MessageView();
  fc.assert(
    fc.property(filterSource, fc.array(message, { minLength: 1, maxLength: 5 }), fc.boolean(), (src, messages, withNames) => {
      const f = parsed(src);
      const compiled = compileMessageFilter(f);
      const names = withNames ? nameOf : undefined;
      for (const m of messages) assert.equal(compiled(view.reset(m, names)), matchesMessage(f, m, names), `${src} on ${JSON.stringify(m)}`);
    }),
    { numRuns: 2000 },
  );
});

test('the compiled filter finds the same messages when one view is asked by many filters in turn', () => {
  const view = new MessageView();
  fc.assert(
    fc.property(fc.array(filterSource, { minLength: 2, maxLength: 8 }), message, (srcs, m) => {
      view.reset(m, nameOf);
      for (const src of srcs) assert.equal(compileMessageFilter(parsed(src))(view), matchesMessage(parsed(src), m, nameOf), src);
    }),
    { numRuns: 500 },
  );
});

/** Every breakpoint checked with the plain matcher in the order set: what Breakpoints.check did before its index. */
class PlainBreakpoints {
  private list: { id: string; spec: BreakpointSpecT; filter?: MessageFilter; condition?: MessageFilter; conditionBad: boolean; hits: number }[] = [];
  private readonly byOwner = new Map<string, PlainBreakpoints['list']>();

  set(owner: string, specs: readonly BreakpointSpecT[], ids: readonly string[]): void {
    const list = specs.map((spec, i) => {
      const f = parseMessageFilter(spec.filter);
      const c = spec.condition !== undefined && spec.condition.trim() !== '' ? parseMessageFilter(spec.condition) : undefined;
      return { id: ids[i]!, spec, filter: f.ok ? f.filter : undefined, condition: c?.ok ? c.filter : undefined, conditionBad: c !== undefined && !c.ok, hits: 0 };
    });
    if (list.length) this.byOwner.set(owner, list);
    else this.byOwner.delete(owner);
    this.list = [...this.byOwner.values()].flat();
  }

  check(m: Envelope): BreakpointVerdict {
    const verdict: BreakpointVerdict = { logs: [] };
    for (const bp of this.list) {
      if (!bp.filter || !matchesMessage(bp.filter, m, nameOf)) continue;
      if (bp.condition && !matchesMessage(bp.condition, m, nameOf)) continue;
      bp.hits++;
      if (bp.spec.hit_count !== undefined && bp.hits < bp.spec.hit_count) continue;
      if (bp.spec.log_message !== undefined) verdict.logs.push({ breakpointId: bp.id, text: fillLogMessage(bp.spec.log_message, m, nameOf) });
      else verdict.stop ??= { breakpointId: bp.id };
    }
    return verdict;
  }

  hits(): Record<string, number> {
    return Object.fromEntries(this.list.map((bp) => [bp.id, bp.hits]));
  }
}

// Breakpoint filters are short and mostly name a type, a receiver (by id or by name) or a text word: what the index
// and the joined text search key on.
const PARTIES = [...IDS.filter(Boolean), ...Object.values(NAMES)];
const keyedTerm = fc.oneof(
  fc.array(fc.constantFrom(...PARTIES), { minLength: 1, maxLength: 2 }).map((vs) => `to:${vs.join(',')}`),
  fc.array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 2 }).map((vs) => `type:${vs.join(',')}`),
  word.map((w) => `text:"${w}"`),
  term,
);
const bpFilter = fc.array(keyedTerm, { maxLength: 3 }).map((ts) => ts.join(' '));

const spec: fc.Arbitrary<BreakpointSpecT> = fc.record(
  {
    filter: fc.oneof({ weight: 8, arbitrary: bpFilter }, { weight: 1, arbitrary: fc.constant('colour:red') }),
    hit_count: fc.integer({ min: 1, max: 3 }),
    condition: fc.oneof(bpFilter, fc.constant('type:')),
    log_message: fc.constantFrom('{from} → {to}: {text}', '{type} {id}'),
  },
  { requiredKeys: ['filter'] },
);

type Step = { kind: 'set'; owner: string; specs: BreakpointSpecT[] } | { kind: 'message'; m: FilterableMessage };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('set' as const), owner: fc.constantFrom('monitor', 'session'), specs: fc.array(spec, { maxLength: 6 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('message' as const), m: message }) },
);

test('the indexed breakpoints give the verdicts, log lines and hit counts of checking every one in order', () => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
      const indexed = new Breakpoints();
      const plain = new PlainBreakpoints();
      for (const s of steps) {
        if (s.kind === 'set') {
          const infos = indexed.set(s.owner, s.specs);
          plain.set(s.owner, s.specs, infos.map((i) => i.breakpoint_id));
          continue;
        }
        const m = s.m as Envelope;
        const got = indexed.check(m, nameOf);
        const want = plain.check(m);
        assert.deepEqual({ stop: got.stop, logs: got.logs }, { stop: want.stop, logs: want.logs }, JSON.stringify(m));
      }
      assert.deepEqual(Object.fromEntries(indexed.infos().map((i) => [i.breakpoint_id, i.hits])), plain.hits());
    }),
    { numRuns: 2000 },
  );
});
