// The message debugger (issue 20): holds chat in flight at the router's one routing pass — before delivery, for
// socket and queue agents, for messages from other hubs and routing brokers alike — and lets a person continue,
// step, edit, drop or release all. It attaches through the HubPort only; its route strategy (a `hold` hook) is
// installed while there is anything to check (breakpoints, a step/pause trap, held messages), so a hub without a
// debugger pays nothing.
//
// Order: messages wait in lanes, one per (sender, receiver). While a lane holds anything, every later message of that
// sender to that receiver queues behind it (reason 'order'), so a released message never overtakes an earlier held one.
// A lane drains from its head: released or queued entries go out in order, a dropped one is skipped, a stopped one
// (waiting for the person) blocks what is behind it.

import { EventEmitter } from 'node:events';
import type { Envelope } from '../../protocol/schemas';
import type { BreakpointInfoT, BreakpointSpecT, HeldInfoT, HoldReasonT, ReleaseOutcomeT } from '../../protocol/debugger';
import { DebuggerMessageType as D } from '../../protocol/debugger';
import { editHeldMessage } from '../../protocol/heldEdit';
import { errorFrame } from '../frames';
import { SwitchboardError } from '../../protocol/errors';
import { isoNow } from '../../protocol/ids';
import type { HubPort } from '../port';
import type { RouteContext } from '../router';
import { Breakpoints } from './breakpoints';

export interface DebuggerLimits {
  /** Held messages kept at most; over it the oldest is released (in order) and that is recorded. */
  maxHeld: number;
  /** Bytes of held messages kept at most (their JSON); the same rule. */
  maxHeldBytes: number;
  /** Release a stopped message on its own after this long (0: never). */
  autoReleaseMs: number;
}

export const DEFAULT_DEBUGGER_LIMITS: Readonly<DebuggerLimits> = Object.freeze({ maxHeld: 1000, maxHeldBytes: 16 * 1024 * 1024, autoReleaseMs: 0 });

/** Released message ids remembered for a routing broker's return trip. */
const MAX_RELEASED_IDS = 10_000;

type EntryState = 'stopped' | 'queued' | 'released' | 'dropped';

interface Entry {
  readonly id: string;
  readonly seq: number;
  readonly lane: string;
  readonly reason: HoldReasonT;
  readonly breakpointId: string | undefined;
  /** How a routed message was going (undefined for a gated frame). */
  readonly ctx: RouteContext | undefined;
  /** A gated frame (a tool approval request) goes back to its plugin through this, not through routing. */
  readonly resume: ((frame: Envelope) => void) | undefined;
  readonly heldAt: string;
  readonly bytes: number;
  message: Envelope;
  original: Envelope | undefined;
  state: EntryState;
  outcome: ReleaseOutcomeT | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** A trap set by step or pause: the next message of this conversation (thread) or to/from this agent is held. */
interface Trap {
  agentId?: string;
  thread?: string;
  reason: 'step' | 'pause';
}

export interface DebuggerEventMap {
  held: [HeldInfoT, number];
  released: [{ held_id: string; outcome: ReleaseOutcomeT; delivered?: Envelope; original?: Envelope; held_count: number }];
  log: [{ breakpoint_id: string; text: string; held_message_id?: string }];
  breakpoints: [];
}

export class MessageDebugger {
  readonly events = new EventEmitter<DebuggerEventMap>();
  private readonly breakpoints = new Breakpoints();
  private readonly lanes = new Map<string, Entry[]>();
  private readonly entries = new Map<string, Entry>();
  private traps: Trap[] = [];
  private heldBytes = 0;
  private nextSeq = 1;
  /** Ids of messages released lately (bounded, oldest forgotten first), so a routing broker's copy is not held again. */
  private readonly releasedIds = new Set<string>();
  private limits: DebuggerLimits = { ...DEFAULT_DEBUGGER_LIMITS };
  private removeStrategy: (() => void) | undefined;
  private readonly nameOf = (id: string): string | undefined => this.names().get(id);
  private nameCache: { at: number; map: Map<string, string> } | undefined;

  private readonly unsubLifecycle: () => void;
  /** Owner → a name for people (given with setBreakpoints); absent owners are shown by their id. */
  private readonly ownerNames = new Map<string, string>();

  constructor(private readonly port: HubPort) {
    const forget = (): void => {
      this.nameCache = undefined;
    };
    const unsubLifecycle = port.onLifecycle({ registered: forget, released: forget });
    // a stopping hub lets go of what it holds while its sockets are still open; nothing is left to block a restart
    const onState = (state: string): void => {
      if (state === 'stopping' && this.entries.size + this.traps.length > 0) this.releaseAll();
    };
    port.events.on('state', onState);
    // tool approval requests (handled by agent streams, never routed) are held by the same breakpoints and traps
    const unsubGate = port.addFrameGate((frame, clientId, resume) => this.holdFrame(frame, clientId, resume));
    this.unsubLifecycle = () => {
      unsubLifecycle();
      unsubGate();
      port.events.off('state', onState);
    };
  }

  configure(limits: Partial<DebuggerLimits>): void {
    this.limits = { ...this.limits, ...limits };
    this.enforceBounds();
  }

  // --- breakpoints ---------------------------------------------------------------------------------------------

  /** Replaces one owner's breakpoints (a debugger client's id, or an in-process session's name). */
  setBreakpoints(owner: string, specs: readonly BreakpointSpecT[], ownerName?: string): BreakpointInfoT[] {
    if (ownerName !== undefined) this.ownerNames.set(owner, ownerName);
    const infos = this.named(this.breakpoints.set(owner, specs));
    if (infos.length === 0) this.ownerNames.delete(owner);
    this.port.logInternal({ message_type: 'DEBUG_BREAKPOINTS_SET', owner, breakpoints: infos });
    this.syncStrategy();
    this.events.emit('breakpoints');
    return infos;
  }

  /** One owner's breakpoints, or every owner's (each with its owner and the owner's name). */
  breakpointInfos(owner?: string): BreakpointInfoT[] {
    return this.named(this.breakpoints.infos(owner));
  }

  private named(infos: BreakpointInfoT[]): BreakpointInfoT[] {
    for (const i of infos) {
      const name = this.ownerNames.get(i.owner);
      if (name !== undefined) i.owner_name = name;
    }
    return infos;
  }

  /** An owner left: its breakpoints go; when no debugger is left, everything held is released. */
  removeOwner(owner: string): void {
    const had = this.breakpoints.infos(owner).length > 0;
    this.breakpoints.removeOwner(owner);
    this.ownerNames.delete(owner);
    if (had) this.events.emit('breakpoints');
    if (this.breakpoints.size === 0) {
      this.traps = [];
      if (this.entries.size) this.releaseAll('released_all');
    }
    this.syncStrategy();
  }

  // --- what is held ----------------------------------------------------------------------------------------------

  held(): HeldInfoT[] {
    return [...this.entries.values()].filter((e) => e.state === 'stopped' || e.state === 'queued').sort((a, b) => a.seq - b.seq).map((e) => this.heldInfo(e));
  }

  /** A held message as announced: with the owner of the breakpoint that stopped it (a person sees whose it is). */
  private heldInfo(e: Entry): HeldInfoT {
    const i = heldInfo(e);
    if (e.breakpointId !== undefined) {
      const bp = this.breakpointInfos().find((b) => b.breakpoint_id === e.breakpointId);
      if (bp) {
        i.breakpoint_owner = bp.owner;
        if (bp.owner_name !== undefined) i.breakpoint_owner_name = bp.owner_name;
        i.breakpoint_filter = bp.filter;
      }
    }
    return i;
  }

  heldCount(): number {
    return this.entries.size;
  }

  // --- actions ---------------------------------------------------------------------------------------------------

  /** Delivers the held message (as edited, when it was amended). */
  continue(heldId: string): void {
    const e = this.stopped(heldId);
    this.release(e, e.original ? 'edited' : 'continued');
  }

  /** Releases the message and holds the next one of its conversation (thread) or of the agent it was going to. */
  step(heldId: string): void {
    const e = this.stopped(heldId);
    const m = e.message;
    const agent = typeof m.receiver_id === 'string' && m.receiver_id ? m.receiver_id : typeof m.sender_id === 'string' ? m.sender_id : undefined;
    const trap: Trap = { reason: 'step' };
    if (agent) trap.agentId = agent;
    if (typeof m.thread === 'string' && m.thread) trap.thread = m.thread;
    this.traps.push(trap);
    this.syncStrategy();
    this.release(e, 'stepped');
  }

  /** Holds the next message to or from this agent. */
  pause(agentId: string): void {
    this.traps.push({ agentId, reason: 'pause' });
    this.port.logInternal({ message_type: 'DEBUG_PAUSE', agent_id: agentId });
    this.syncStrategy();
  }

  /** Replaces fields of the held message and delivers it (never message_id or sender_id; the codec validates). */
  edit(heldId: string, fields: Record<string, unknown>): Envelope {
    const edited = this.amend(heldId, fields);
    this.release(this.stopped(heldId), 'edited');
    return edited;
  }

  /**
   * Replaces fields of the held message and keeps it held (the Variables view edits field by field; continue then
   * delivers it as edited). The codec validates the result; message_id and sender_id cannot change.
   */
  amend(heldId: string, fields: Record<string, unknown>): Envelope {
    const e = this.stopped(heldId);
    const edited = editHeldMessage(e.message, fields, e.resume ? 'type' : 'chat', stripInternal);
    e.original ??= e.message;
    e.message = edited;
    this.port.logInternal({ message_type: 'DEBUG_EDITED', held_id: e.id, original: stripInternal(e.original), edited: stripInternal(edited) });
    return stripInternal(edited);
  }

  /** The message is never delivered; its sender gets an ERROR only when errorToSender is given. */
  drop(heldId: string, errorToSender?: string): void {
    const e = this.stopped(heldId);
    if (errorToSender !== undefined && typeof e.message.sender_id === 'string') {
      this.port.sendToClient(e.message.sender_id, errorFrame(e.message.sender_id, 'forbidden', errorToSender, e.message.message_id));
    }
    this.release(e, 'dropped');
  }

  releaseAll(outcome: ReleaseOutcomeT = 'released_all'): void {
    this.traps = [];
    for (const e of [...this.entries.values()].sort((a, b) => a.seq - b.seq)) if (e.state === 'stopped') this.markReleased(e, outcome);
    for (const lane of [...this.lanes.keys()]) this.drain(lane);
    this.syncStrategy();
  }

  stop(): void {
    this.unsubLifecycle();
    this.releaseAll();
    this.removeStrategy?.();
    this.removeStrategy = undefined;
  }

  // --- the hold hook ---------------------------------------------------------------------------------------------

  private hold(message: Envelope, ctx: RouteContext): boolean {
    return this.holdEntry(message, ctx, undefined);
  }

  /** A frame a plugin handles (a tool approval request from this client): held like chat, given back through resume. */
  private holdFrame(frame: Envelope, clientId: string, resume: (frame: Envelope) => void): boolean {
    if (this.breakpoints.size === 0 && this.traps.length === 0 && this.lanes.size === 0) return false;
    const message: Envelope = frame.sender_id === undefined ? { ...frame, sender_id: clientId } : frame;
    return this.holdEntry(message, undefined, resume);
  }

  private holdEntry(message: Envelope, ctx: RouteContext | undefined, resume: ((frame: Envelope) => void) | undefined): boolean {
    const lane = this.lanes.size === 0 && this.traps.length === 0 ? '' : laneOf(message);
    const waiting = lane === '' ? undefined : this.lanes.get(lane);
    // a message released here that went to a routing broker comes back through routing once more: not held twice
    if (ctx?.via === 'broker' && message.message_id !== undefined && this.releasedIds.delete(String(message.message_id)) && !waiting?.length) return false;
    const verdict = this.breakpoints.check(message, this.nameOf);
    for (const l of verdict.logs) this.log(l.breakpointId, l.text, message);
    let reason: HoldReasonT | undefined;
    let breakpointId: string | undefined;
    if (verdict.stop) {
      reason = 'breakpoint';
      breakpointId = verdict.stop.breakpointId;
    } else {
      const trap = this.takeTrap(message);
      if (trap) reason = trap.reason;
    }
    if (reason === undefined && !waiting?.length) return false;
    const entry = this.add(message, ctx, resume, lane === '' ? laneOf(message) : lane, reason ?? 'order', breakpointId);
    if (entry.state === 'stopped') this.announce(entry);
    this.enforceBounds();
    return true;
  }

  private takeTrap(message: Envelope): Trap | undefined {
    if (this.traps.length === 0) return undefined;
    const i = this.traps.findIndex(
      (t) =>
        (t.thread !== undefined && message.thread === t.thread) ||
        (t.agentId !== undefined && (message.receiver_id === t.agentId || message.sender_id === t.agentId)),
    );
    if (i < 0) return undefined;
    return this.traps.splice(i, 1)[0];
  }

  private add(message: Envelope, ctx: RouteContext | undefined, resume: ((frame: Envelope) => void) | undefined, lane: string, reason: HoldReasonT, breakpointId: string | undefined): Entry {
    let bytes = 0;
    try {
      bytes = Buffer.byteLength(JSON.stringify(message));
    } catch {
      bytes = 0;
    }
    const seq = this.nextSeq++;
    const entry: Entry = {
      id: `held_${seq}`,
      seq,
      lane,
      reason,
      breakpointId,
      ctx,
      resume,
      heldAt: isoNow(),
      bytes,
      message,
      original: undefined,
      state: reason === 'order' ? 'queued' : 'stopped',
      outcome: undefined,
      timer: undefined,
    };
    let list = this.lanes.get(lane);
    if (!list) this.lanes.set(lane, (list = []));
    list.push(entry);
    this.entries.set(entry.id, entry);
    this.heldBytes += bytes;
    if (entry.state === 'stopped' && this.limits.autoReleaseMs > 0) {
      entry.timer = setTimeout(() => {
        if (entry.state === 'stopped') this.release(entry, 'timed_out');
      }, this.limits.autoReleaseMs);
      entry.timer.unref();
    }
    this.port.logInternal({ message_type: 'DEBUG_HELD', held_id: entry.id, reason, breakpoint_id: breakpointId, held_message_id: message.message_id, sender_id: message.sender_id, receiver_id: message.receiver_id });
    this.syncStrategy();
    return entry;
  }

  private enforceBounds(): void {
    while (this.entries.size > this.limits.maxHeld || (this.heldBytes > this.limits.maxHeldBytes && this.entries.size > 0)) {
      let oldest: Entry | undefined;
      for (const e of this.entries.values()) if (!oldest || e.seq < oldest.seq) oldest = e;
      if (!oldest) return;
      // the oldest is its lane's head: releasing it lets the lane drain up to the next stopped message
      if (oldest.state === 'stopped') this.markReleased(oldest, 'over_bound');
      else if (oldest.state === 'queued') oldest.state = 'released';
      oldest.outcome ??= 'over_bound';
      this.drain(oldest.lane);
    }
  }

  // --- release ---------------------------------------------------------------------------------------------------

  private stopped(heldId: string): Entry {
    const e = this.entries.get(heldId);
    if (!e) throw new SwitchboardError('invalid_message', `No held message "${heldId}" (already released, dropped or never held).`);
    if (e.state !== 'stopped') throw new SwitchboardError('invalid_message', `Held message "${heldId}" is not stopped (it is ${e.state}, waiting for an earlier message of its sender).`);
    return e;
  }

  private release(e: Entry, outcome: ReleaseOutcomeT): void {
    this.markReleased(e, outcome);
    this.drain(e.lane);
    this.syncStrategy();
  }

  private markReleased(e: Entry, outcome: ReleaseOutcomeT): void {
    e.state = outcome === 'dropped' ? 'dropped' : 'released';
    e.outcome = outcome;
    if (e.timer) clearTimeout(e.timer);
    e.timer = undefined;
  }

  /** Delivers the lane's head while it may go; a stopped head blocks the rest. */
  private drain(lane: string): void {
    const list = this.lanes.get(lane);
    if (!list) return;
    while (list.length && list[0]!.state !== 'stopped') {
      const e = list.shift()!;
      this.entries.delete(e.id);
      this.heldBytes -= e.bytes;
      const outcome = e.outcome ?? 'in_order';
      const record: Envelope = { message_type: 'DEBUG_RELEASED', held_id: e.id, outcome, held_message_id: e.message.message_id };
      if (e.original) record.original = e.original;
      if (e.state !== 'dropped' && e.resume) {
        // a gated frame goes back to its plugin (an approval request then reaches the people who decide it)
        record.delivered = e.message;
        e.resume(e.message);
      } else if (e.state !== 'dropped' && e.ctx) {
        this.rememberReleased(e.message.message_id);
        const result = this.port.routeReleased(e.message, e.ctx);
        record.delivered = e.message;
        record.routing_status = result.status;
      }
      this.port.logInternal(record);
      const ev: DebuggerEventMap['released'][0] = { held_id: e.id, outcome, held_count: this.entries.size };
      if (e.state !== 'dropped') ev.delivered = stripInternal(e.message);
      if (e.original) ev.original = stripInternal(e.original);
      this.events.emit('released', ev);
    }
    if (list.length === 0) this.lanes.delete(lane);
  }

  private rememberReleased(id: unknown): void {
    if (id === undefined || id === null) return;
    this.releasedIds.add(String(id));
    if (this.releasedIds.size > MAX_RELEASED_IDS) this.releasedIds.delete(this.releasedIds.values().next().value!);
  }

  // --- announcements ---------------------------------------------------------------------------------------------

  private announce(e: Entry): void {
    this.events.emit('held', this.heldInfo(e), this.entries.size);
  }

  private log(breakpointId: string, text: string, message: Envelope): void {
    const ev: DebuggerEventMap['log'][0] = { breakpoint_id: breakpointId, text };
    if (message.message_id !== undefined) ev.held_message_id = String(message.message_id);
    this.port.logInternal({ message_type: D.DEBUG_LOG, ...ev });
    this.events.emit('log', ev);
  }

  // --- plumbing --------------------------------------------------------------------------------------------------

  /** The hold strategy is in the router only while it has something to check. */
  private syncStrategy(): void {
    const needed = this.breakpoints.size > 0 || this.traps.length > 0 || this.entries.size > 0;
    if (needed && !this.removeStrategy) this.removeStrategy = this.port.addRouteStrategy({ hold: (m, ctx) => this.hold(m, ctx) });
    else if (!needed && this.removeStrategy) {
      this.removeStrategy();
      this.removeStrategy = undefined;
    }
  }

  /** Agent names for from:/to:, kept until a registration comes or goes (other hubs' agents: refreshed each second). */
  private names(): Map<string, string> {
    const now = Date.now();
    if (!this.nameCache || now - this.nameCache.at > 1000) {
      const map = new Map<string, string>();
      for (const a of this.port.agents()) map.set(a.agent_id, a.agent_name);
      this.nameCache = { at: now, map };
    }
    return this.nameCache.map;
  }
}

function laneOf(message: Envelope): string {
  return `${String(message.sender_id ?? '')}\u0000${String(message.receiver_id ?? '')}`;
}

function stripInternal(m: Envelope): Envelope {
  const { _client_id: _c, routing_status: _r, ...rest } = m;
  return rest;
}

function heldInfo(e: Entry): HeldInfoT {
  const i: HeldInfoT = { held_id: e.id, reason: e.reason, held_at: e.heldAt, bytes: e.bytes, message: stripInternal(e.message) };
  if (e.breakpointId !== undefined) i.breakpoint_id = e.breakpointId;
  if (e.ctx?.via !== undefined) i.via = e.ctx.via;
  return i;
}
