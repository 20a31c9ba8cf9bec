// Message breakpoints: each owner (a debugger client's id, or an in-process session) has its own set, replaced
// whole as DAP's setFunctionBreakpoints does. A breakpoint is a filter (src/protocol/filter.ts), optionally a hit
// count (stop from the Nth match on), a condition (a second filter) or a log message (a logpoint: record, never hold).

import { matchesMessage, parseMessageFilter, type FieldMemo, type MessageFilter, type NameOf } from '../../protocol/filter';
import type { BreakpointInfoT, BreakpointSpecT } from '../../protocol/debugger';
import type { Envelope } from '../../protocol/schemas';

interface Breakpoint {
  readonly id: string;
  readonly owner: string;
  readonly spec: BreakpointSpecT;
  readonly filter: MessageFilter | undefined;
  readonly condition: MessageFilter | undefined;
  readonly error: string | undefined;
  hits: number;
}

/** What the breakpoints say about one message. */
export interface BreakpointVerdict {
  /** The first breakpoint that stops it, if any. */
  stop?: { breakpointId: string };
  /** Logpoints that matched: their lines, already filled in. */
  logs: { breakpointId: string; text: string }[];
}

const NO_VERDICT: BreakpointVerdict = Object.freeze({ logs: [] }) as BreakpointVerdict;

export class Breakpoints {
  private readonly byOwner = new Map<string, Breakpoint[]>();
  private all: Breakpoint[] = [];
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
        filter: f.ok ? f.filter : undefined,
        condition: c?.ok ? c.filter : undefined,
        error,
        hits: 0,
      };
    });
    if (list.length) this.byOwner.set(owner, list);
    else this.byOwner.delete(owner);
    this.all = [...this.byOwner.values()].flat();
    return list.map(info);
  }

  removeOwner(owner: string): void {
    if (this.byOwner.delete(owner)) this.all = [...this.byOwner.values()].flat();
  }

  infos(owner?: string): BreakpointInfoT[] {
    return (owner === undefined ? this.all : (this.byOwner.get(owner) ?? [])).map(info);
  }

  /** Checks every breakpoint against a message in flight; counts hits. */
  check(message: Envelope, nameOf: NameOf): BreakpointVerdict {
    if (this.all.length === 0) return NO_VERDICT;
    let verdict: BreakpointVerdict | undefined;
    const memo: FieldMemo = new Map();
    for (const bp of this.all) {
      if (!bp.filter || !matchesMessage(bp.filter, message, nameOf, memo)) continue;
      if (bp.condition && !matchesMessage(bp.condition, message, nameOf, memo)) continue;
      bp.hits++;
      if (bp.spec.hit_count !== undefined && bp.hits < bp.spec.hit_count) continue;
      verdict ??= { logs: [] };
      if (bp.spec.log_message !== undefined) verdict.logs.push({ breakpointId: bp.id, text: fillLogMessage(bp.spec.log_message, message, nameOf) });
      else verdict.stop ??= { breakpointId: bp.id };
    }
    return verdict ?? NO_VERDICT;
  }
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
