// Turns the hub's event-log entries and presence changes into a readable, coloured terminal stream (or NDJSON) —
// what `switchboard tail` and `switchboard demo --with-hub` show.

import type { LogEntry } from '../protocol/logEntry';
import { bookkeepingPreview } from '../protocol/bookkeeping';
import { CHAT_TYPES, HUB_USER_ID, HUB_USER_NAME, MessageType } from '../protocol/messageTypes';
import type { AgentStatusEntryT } from '../protocol/schemas';
import type { Palette, Paint } from './terminal';

/** Presence chatter: useful only when asked for by type or with --all. */
const KEEPALIVE: ReadonlySet<string> = new Set([MessageType.PING, MessageType.PONG, MessageType.SERVER_HEARTBEAT]);
/** Hub bookkeeping frames that repeat what the presence lines already say. */
const BOOKKEEPING: ReadonlySet<string> = new Set([MessageType.AGENT_STATUS_UPDATE, MessageType.MONITOR_EVENTS, MessageType.REQUEST_AGENT_STATUS, 'MONITOR_SUBSCRIBE', 'MONITOR_UNSUBSCRIBE']);
/** Names and presence remembered for display; a tail left running for days forgets the oldest beyond this. */
const MAX_REMEMBERED = 20_000;

export interface TailOptions {
  json: boolean;
  /** Only these message types (any direction). */
  types?: ReadonlySet<string>;
  /** Only entries that involve these agents (ids or names). */
  agents?: readonly string[];
  /** Every direction and keepalives too. */
  all?: boolean;
  /** Print presence changes (not in --json mode). Default true. */
  presence?: boolean;
  /**
   * A backlog was asked for: hold the presence snapshot that arrives before it and print it in time order with the
   * backlog's entries, so the first timestamps never run backwards. Released by the first entries, or by releaseHeld().
   */
  holdPresenceForBacklog?: boolean;
  /** How this CLI is invoked (`switchboard`, `node dist/cli.js`), for the approve/deny hint under an approval request. */
  cli?: string;
}

interface HeldLine {
  time: number;
  line: string;
}

export class TailPrinter {
  private readonly names = new Map<string, string>();
  private readonly presence = new Map<string, string>();
  /** Messages seen coming in: their out-frames (to the receiver, each front-end's copy) are the same message again,
   *  printed only with --all. */
  private readonly printedIn = new Map<string, string>();
  /** Presence lines waiting for the backlog (bounded by the number of agents in one snapshot); undefined once released. */
  private held: HeldLine[] | undefined;

  constructor(
    private readonly write: (line: string) => void,
    private readonly pal: Palette,
    private readonly opts: TailOptions,
  ) {
    if (opts.holdPresenceForBacklog) this.held = [];
  }

  entries(entries: readonly LogEntry[], dropped: number): void {
    if (dropped > 0 && !this.opts.json) this.write(this.pal.yellow(`… the hub skipped ${dropped} entries (this terminal read too slowly)`));
    const held = this.held;
    this.held = undefined;
    for (const e of entries) {
      this.learnName(e);
      if (e.direction === 'in' && e.message_id) remember(this.printedIn, e.message_id, '');
      if (!this.wanted(e)) continue;
      // the backlog: presence seen before it goes in before the first entry that is later than it
      while (held?.length && held[0]!.time < e.time) this.write(held.shift()!.line);
      this.write(this.opts.json ? JSON.stringify(e) : this.format(e));
    }
    for (const h of held ?? []) this.write(h.line);
  }

  /** Print held presence lines now (no backlog came). */
  releaseHeld(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const h of held) this.write(h.line);
  }

  /** An AGENT_STATUS_UPDATE: remember names, print agents whose presence changed. */
  agents(list: readonly AgentStatusEntryT[]): void {
    for (const a of list) {
      remember(this.names, a.agent_id, a.agent_name);
      const status = a.status ?? (a.is_online ? 'online' : 'offline');
      if (this.presence.get(a.agent_id) === status) continue;
      remember(this.presence, a.agent_id, status);
      if (this.opts.json || this.opts.presence === false) continue;
      if (this.opts.agents && !this.opts.agents.some((x) => x === a.agent_id || x === a.agent_name)) continue;
      const mark = status === 'online' ? this.pal.green('● online ') : status === 'paused' ? this.pal.yellow('◐ paused ') : this.pal.red('○ offline');
      const now = Date.now();
      const line = `${this.pal.gray(clock(now))}  ${mark}  ${this.pal.bold(a.agent_name)} ${this.pal.gray(a.agent_id)}`;
      if (this.held) this.held.push({ time: now, line });
      else this.write(line);
    }
  }

  private learnName(e: LogEntry): void {
    if (e.message_type === MessageType.REGISTER_AGENT_RESPONSE && typeof e.body.agent_id === 'string' && typeof e.body.agent_name === 'string') {
      remember(this.names, e.body.agent_id, e.body.agent_name);
    }
    if (e.message_type === MessageType.REGISTER_MONITOR && e.direction === 'in' && e.client_id && typeof e.body.monitor_name === 'string') {
      remember(this.names, e.client_id, e.body.monitor_name);
    }
    if (e.message_type === MessageType.REGISTER_FRONTEND_RESPONSE && typeof e.body.frontend_id === 'string' && typeof e.body.frontend_name === 'string') {
      remember(this.names, e.body.frontend_id, e.body.frontend_name);
    }
  }

  private wanted(e: LogEntry): boolean {
    if (this.opts.types) {
      if (!this.opts.types.has(e.message_type)) return false;
      if (!this.opts.all && e.direction === 'out' && e.message_id !== undefined && this.printedIn.has(e.message_id)) return false;
    } else if (!this.opts.all) {
      if (e.direction === 'out' || KEEPALIVE.has(e.message_type) || BOOKKEEPING.has(e.message_type)) return false;
    }
    if (this.opts.agents) {
      const involved = [e.client_id, e.sender_id, e.receiver_id, typeof e.body.agent_id === 'string' ? e.body.agent_id : undefined];
      const match = this.opts.agents.some((want) => involved.some((id) => id !== undefined && (id === want || this.names.get(id) === want)));
      if (!match) return false;
    }
    return true;
  }

  private who(id: string | undefined | null): string {
    if (!id) return '?';
    return this.names.get(id) ?? (id === HUB_USER_ID ? HUB_USER_NAME : id);
  }

  format(e: LogEntry): string {
    const p = this.pal;
    const type = typePaint(e.message_type, p)(e.message_type.padEnd(18));
    const registering = e.direction === 'in' && e.message_type.startsWith('REGISTER_') ? registrantName(e) : undefined;
    const from = e.direction === 'out' ? 'hub' : (registering ?? this.who(e.sender_id ?? e.client_id));
    const to = e.receiver_id ?? (e.direction === 'out' ? e.client_id : undefined) ?? (e.message_type === MessageType.STATUS ? e.session_id : undefined);
    const route = to ? `${from} → ${this.who(to)}` : from;
    const arrow = e.direction === 'in' ? '' : e.direction === 'out' ? p.gray('(out) ') : p.gray('(hub) ');
    return `${p.gray(clock(e.time))}  ${type} ${arrow}${p.bold(route)}  ${this.detail(e)}`.trimEnd();
  }

  private detail(e: LogEntry): string {
    const b = e.body;
    const text = typeof b.text_payload === 'string' ? b.text_payload : '';
    const p = this.pal;
    if (CHAT_TYPES.has(e.message_type)) return JSON.stringify(preview(text, 120));
    switch (e.message_type) {
      case MessageType.STATUS:
        return `${p.yellow(preview(text, 120))}${e.session_id || typeof b.session_id === 'string' ? '' : p.gray('  (no session)')}`;
      case MessageType.ERROR:
        return p.red(preview(text, 160));
      case MessageType.AGENT_EVENT: {
        const data = b.data === undefined ? '' : ' ' + preview(JSON.stringify(b.data) ?? '', 100);
        return `${p.magenta(String(b.event_type ?? ''))}${p.gray(data)}`;
      }
      case MessageType.REGISTER_AGENT:
        return typeof b.agent_id === 'string' ? p.gray(`asks for id ${b.agent_id}`) : '';
      case 'TOOL_APPROVAL_REQUEST':
        return this.approvalRequest(b);
      case 'TOOL_APPROVAL_DECISION': {
        const verdict = b.approved === true ? p.green('approved') : p.red('denied');
        const by = typeof b.decided_by === 'string' ? ` by ${b.decided_by === 'timeout' ? 'the timeout' : this.who(b.decided_by)}` : '';
        const note = typeof b.note === 'string' && b.note ? ` "${preview(b.note, 80)}"` : '';
        return `${verdict} ${p.gray(String(b.approval_id ?? ''))}${by}${note}`;
      }
      case 'TOOL_APPROVAL_TIMEOUT':
        return p.yellow(`${String(b.tool ?? 'tool')} ${p.gray(String(b.approval_id ?? ''))}: nobody answered, ${b.applied_default === true ? 'approved' : 'denied'} by default`);
      default: {
        // registrations, disconnects, inactivity, reconstruction: one sentence, in grey
        // (a registration's route already names who registers)
        const said = e.message_type.startsWith('REGISTER_') ? undefined : bookkeepingPreview(e.message_type, b, (id) => this.who(id));
        if (said !== undefined) return p.gray(preview(said, 160));
        return text ? preview(text, 120) : '';
      }
    }
  }

  /** What the agent asks to do, and how to answer from this terminal (the approval would otherwise just time out). */
  private approvalRequest(b: Readonly<Record<string, unknown>>): string {
    const p = this.pal;
    const args = b.arguments === undefined ? '' : ' ' + preview(JSON.stringify(b.arguments) ?? '', 100);
    const id = typeof b.approval_id === 'string' ? b.approval_id : '?';
    const wait = typeof b.timeout_ms === 'number' ? `; in ${Math.round(b.timeout_ms / 1000)} s it is ${b.default === true ? 'approved' : 'denied'} by default` : '';
    const cli = this.opts.cli ?? 'switchboard';
    return `${p.bold(String(b.tool ?? '?'))}${p.gray(args)}\n${' '.repeat(14)}${p.cyan(`→ ${cli} approve ${id}`)}  or  ${p.cyan(`${cli} deny ${id}`)}${p.gray(wait)}`;
  }
}

/** The name a client registers under (agent_name, frontend_name, …), shown instead of its not-yet-registered connection id. */
function registrantName(e: LogEntry): string | undefined {
  const b = e.body;
  const name = b.agent_name ?? b.frontend_name ?? b.broker_name ?? b.monitor_name;
  return typeof name === 'string' && name ? name : undefined;
}

function typePaint(type: string, p: Palette): Paint {
  if (type === MessageType.TEXT) return p.cyan;
  if (type === MessageType.REPLY) return p.green;
  if (type === MessageType.SYSTEM) return p.blue;
  if (type === MessageType.STATUS) return p.yellow;
  if (type === MessageType.ERROR || type === MessageType.CLIENT_DISCONNECTED) return p.red;
  if (type === MessageType.AGENT_EVENT) return p.magenta;
  if (type.startsWith('REGISTER_')) return p.blue;
  if (KEEPALIVE.has(type) || BOOKKEEPING.has(type)) return p.gray;
  return (t) => t;
}

/** Map insert that keeps at most MAX_REMEMBERED keys, forgetting the least recently set first. */
function remember(map: Map<string, string>, key: string, value: string): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value as string);
}

/** Local wall-clock time with milliseconds. */
export function clock(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function preview(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}
