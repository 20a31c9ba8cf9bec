// The message debugger as the monitor sees it (issue 20): which messages the hub holds (DEBUG_STATE, DEBUG_HELD,
// DEBUG_RELEASED), this monitor's own breakpoints (DEBUG_BREAKPOINTS), and the frames its buttons send
// (DEBUG_ACTION, DEBUG_SET_BREAKPOINTS — the set is replaced whole, so the page always sends its full list).
// Pure: no DOM, tested in plain Node. Frame names are spelled here: protocol/debugger pulls TypeBox into the page.

import type { LogEntry } from '../protocol/logEntry';

export const DebugFrame = {
  SET_BREAKPOINTS: 'DEBUG_SET_BREAKPOINTS',
  ACTION: 'DEBUG_ACTION',
  STATE: 'DEBUG_STATE',
  BREAKPOINTS: 'DEBUG_BREAKPOINTS',
  ALL_BREAKPOINTS: 'DEBUG_ALL_BREAKPOINTS',
  HELD: 'DEBUG_HELD',
  RELEASED: 'DEBUG_RELEASED',
} as const;

export type HeldAction = 'continue' | 'step' | 'drop' | 'edit';

export interface HeldMessage {
  held_id: string;
  reason: string;
  message_id: string;
  message: Record<string, unknown>;
  /** The breakpoint that holds it, when it is not one of this monitor's: its filter and owner (for "held by …"). */
  breakpoint_id?: string;
  breakpoint_filter?: string;
  breakpoint_owner?: string;
}

export interface MonitorBreakpoint {
  breakpoint_id: string;
  filter: string;
  verified: boolean;
  error?: string;
  hits: number;
  /** Who set it, for other owners' breakpoints (a name, else the owner's id). */
  owner?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function heldOf(v: unknown): HeldMessage | undefined {
  if (!isRecord(v) || typeof v.held_id !== 'string' || !isRecord(v.message)) return undefined;
  const id = v.message.message_id;
  if (typeof id !== 'string' && typeof id !== 'number') return undefined;
  const h: HeldMessage = { held_id: v.held_id, reason: typeof v.reason === 'string' ? v.reason : 'breakpoint', message_id: String(id), message: v.message };
  if (typeof v.breakpoint_id === 'string') h.breakpoint_id = v.breakpoint_id;
  if (typeof v.breakpoint_filter === 'string') h.breakpoint_filter = v.breakpoint_filter;
  const owner = ownerOf(v.breakpoint_owner_name, v.breakpoint_owner);
  if (owner) h.breakpoint_owner = owner;
  return h;
}

function ownerOf(name: unknown, id: unknown): string | undefined {
  return typeof name === 'string' && name ? name : typeof id === 'string' && id ? id : undefined;
}

function breakpointsOf(v: unknown): MonitorBreakpoint[] {
  if (!Array.isArray(v)) return [];
  const out: MonitorBreakpoint[] = [];
  for (const b of v) {
    if (!isRecord(b) || typeof b.breakpoint_id !== 'string' || typeof b.filter !== 'string') continue;
    const owner = ownerOf(b.owner_name, b.owner);
    out.push({
      breakpoint_id: b.breakpoint_id,
      filter: b.filter,
      verified: b.verified === true,
      hits: typeof b.hits === 'number' ? b.hits : 0,
      ...(typeof b.error === 'string' ? { error: b.error } : {}),
      ...(owner ? { owner } : {}),
    });
  }
  return out;
}

export class DebugHolds {
  /** Held messages by the chat message's id (the row's message_id). */
  private readonly byMessage = new Map<string, HeldMessage>();
  /** The filters this monitor asked for, in order (what DEBUG_SET_BREAKPOINTS carries). */
  private filters: string[] = [];
  /** The hub's answer for them (verified, or the parse error). */
  private infos: MonitorBreakpoint[] = [];
  /** Every owner's breakpoints, as the hub last told (DEBUG_STATE, DEBUG_ALL_BREAKPOINTS). */
  private all: MonitorBreakpoint[] = [];

  get count(): number {
    return this.byMessage.size;
  }

  heldFor(messageId: string | undefined): HeldMessage | undefined {
    return messageId === undefined ? undefined : this.byMessage.get(messageId);
  }

  held(): HeldMessage[] {
    return [...this.byMessage.values()];
  }

  breakpoints(): MonitorBreakpoint[] {
    return this.filters.map((filter, i) => {
      const info = this.infos[i];
      return info && info.filter === filter ? info : { breakpoint_id: `pending-${i}`, filter, verified: false, hits: 0 };
    });
  }

  /**
   * Other debuggers' breakpoints (Debug Agents sessions, other monitors): read-only here, named by owner. Each owner
   * keeps its own list in the hub, but what one holds is held for everyone, so a person sees them all.
   */
  othersBreakpoints(): MonitorBreakpoint[] {
    const mine = new Set(this.infos.map((b) => b.breakpoint_id));
    return this.all.filter((b) => !mine.has(b.breakpoint_id));
  }

  /** Whose breakpoint holds this message, when it is another debugger's ("Debug Agents in VS Code: to:planner"). */
  heldByOther(h: HeldMessage): string | undefined {
    if (!h.breakpoint_id || this.infos.some((b) => b.breakpoint_id === h.breakpoint_id)) return undefined;
    const bp = this.all.find((b) => b.breakpoint_id === h.breakpoint_id);
    const owner = h.breakpoint_owner ?? bp?.owner;
    const filter = h.breakpoint_filter ?? bp?.filter;
    return owner || filter ? `${owner ?? 'another debugger'}${filter ? `: ${filter}` : ''}` : undefined;
  }

  /** A new connection: the hub forgot this monitor's breakpoints with the old one. */
  reset(): void {
    this.byMessage.clear();
    this.infos = [];
    this.all = [];
  }

  /** Takes a DEBUG_* frame; true when what the monitor shows changed. */
  apply(frame: Record<string, unknown>): boolean {
    switch (frame.message_type) {
      case DebugFrame.STATE: {
        this.byMessage.clear();
        if (Array.isArray(frame.held)) for (const h of frame.held) this.add(heldOf(h));
        this.all = breakpointsOf(frame.breakpoints);
        return true;
      }
      case DebugFrame.HELD:
        this.add(heldOf(frame.held));
        return true;
      case DebugFrame.RELEASED: {
        if (typeof frame.held_id !== 'string') return false;
        for (const [id, h] of this.byMessage) if (h.held_id === frame.held_id) this.byMessage.delete(id);
        return true;
      }
      case DebugFrame.BREAKPOINTS:
        this.infos = breakpointsOf(frame.breakpoints);
        return true;
      case DebugFrame.ALL_BREAKPOINTS:
        this.all = breakpointsOf(frame.breakpoints);
        return true;
      default:
        return false;
    }
  }

  private add(h: HeldMessage | undefined): void {
    if (h) this.byMessage.set(h.message_id, h);
  }

  /** Adds a breakpoint (once) and returns the frame that sets this monitor's whole list. */
  addBreakpoint(filter: string): Record<string, unknown> {
    const f = filter.trim();
    if (f && !this.filters.includes(f)) this.filters.push(f);
    return this.setFrame();
  }

  removeBreakpoint(filter: string): Record<string, unknown> {
    this.filters = this.filters.filter((f) => f !== filter);
    return this.setFrame();
  }

  /** The list to send again after a reconnect (undefined when there is none). */
  resendFrame(): Record<string, unknown> | undefined {
    return this.filters.length ? this.setFrame() : undefined;
  }

  private setFrame(): Record<string, unknown> {
    return { message_type: DebugFrame.SET_BREAKPOINTS, breakpoints: this.filters.map((filter) => ({ filter })) };
  }
}

/** continue / step / drop on one held message, or edit with the fields to replace. */
export function actionFrame(action: HeldAction, heldId: string, fields?: Record<string, unknown>): Record<string, unknown> {
  return { message_type: DebugFrame.ACTION, action, held_id: heldId, ...(action === 'edit' && fields ? { fields } : {}) };
}

export function releaseAllFrame(): Record<string, unknown> {
  return { message_type: DebugFrame.ACTION, action: 'release_all' };
}

/** A filter value in the shared language: quoted when it has a space or a quote. */
function term(key: string, value: string): string {
  return /[\s",]/.test(value) ? `${key}:"${value.replace(/"/g, '')}"` : `${key}:${value}`;
}

/** "Break on messages like this": the row's type, sender and receiver as a filter string. */
export function breakpointFilterFor(entry: LogEntry): string {
  const parts = [term('type', entry.message_type)];
  if (entry.sender_id) parts.push(term('from', entry.sender_id));
  if (entry.receiver_id) parts.push(term('to', entry.receiver_id));
  return parts.join(' ');
}

/** The edit text area's content checked before sending: a JSON object of the fields to replace. */
export function parseEditFields(text: string): { fields: Record<string, unknown> } | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { error: `Not JSON: ${(err as Error).message}` };
  }
  if (!isRecord(v)) return { error: 'Give a JSON object of the fields to replace, e.g. {"text_payload": "…"}.' };
  const fields = { ...v };
  delete fields.message_id;
  delete fields.sender_id;
  if (!Object.keys(fields).length) return { error: 'Nothing to change (message_id and sender_id cannot change).' };
  return { fields };
}

/** The Delivery-cell marker of a held message's row (the same shape as an approval's). */
export function heldMark(entry: LogEntry, holds: DebugHolds): { text: string; title: string; state: string } | undefined {
  if (entry.direction !== 'in') return undefined;
  const h = holds.heldFor(entry.message_id);
  if (!h) return undefined;
  return { text: 'held', title: `Held by the message debugger (${h.reason}): open the row to continue, step, edit or drop it`, state: 'debug-held' };
}
