// What the Debug Agents adapter (debugAdapter.ts) debugs (issue 20): a DebugTarget. Two of them:
//
//   hubDebugTarget(hub)     the hub this process runs: hub.debugger's API, its agents and its event log
//   WireDebugTarget         a running hub reached over its WebSocket as a monitor (another VS Code window's hub, or
//                           `switchboard hub` / `npm start` in a terminal): DEBUG_ATTACH / DEBUG_STATE / DEBUG_HELD /
//                           DEBUG_RELEASED / DEBUG_LOG in, DEBUG_SET_BREAKPOINTS / DEBUG_ACTION out
//
// The wire has no "amend and keep held": a Variables edit is checked here (as the hub checks it) and kept, and the
// next continue or step sends it as one `edit` action. Its own socket (not the window's monitor connection) so its
// breakpoints are its own: the hub keys breakpoints by client, and the monitor panel sets the window's.

import { EventEmitter } from 'node:events';
import type { BreakpointInfoT, BreakpointSpecT, HeldInfoT } from '../protocol/debugger';
import type { LogEntry } from '../protocol/logEntry';
import type { Envelope } from '../protocol/schemas';
import type { Hub } from '../hub/hub';
import type { DebuggerEventMap } from '../hub/debugger';
import { editHeldMessage } from '../protocol/heldEdit';
import { CHAT_TYPES, MessageType } from '../protocol/messageTypes';
import { SwitchboardError } from '../protocol/errors';
import { isoNow, newMessageId } from '../protocol/ids';
import type { Logger } from '../protocol/logger';
import { MonitorClient } from '../sdk/monitorClient';
import { sendDebugAction, type DebugActionRequest } from '../sdk/debugActions';

export interface DebugTargetAgent {
  agent_id: string;
  agent_name: string;
  is_online: boolean;
}

export type DebugTargetEvents = Pick<DebuggerEventMap, 'held' | 'released' | 'log'>;

export interface DebugTarget {
  /** held / released / log, as hub.debugger emits them. */
  readonly events: EventEmitter<DebugTargetEvents>;
  agents(): readonly DebugTargetAgent[];
  held(): HeldInfoT[];
  /** Replaces this session's breakpoints; ownerName names it to other debuggers (over the wire: the socket's name). */
  setBreakpoints(owner: string, specs: readonly BreakpointSpecT[], ownerName?: string): Promise<BreakpointInfoT[]>;
  /** Every owner's breakpoints (this session's, the monitors', other debuggers'), as the hub last told. */
  allBreakpoints(): BreakpointInfoT[];
  /** Replaces fields of a held message and keeps it held; throws with the reason when the result is not valid. */
  amend(heldId: string, fields: Record<string, unknown>): Envelope;
  /** Actions resolve when the hub did them and reject with the hub's reason when it refused (over the wire: or did not answer). */
  continue(heldId: string): Promise<void>;
  step(heldId: string): Promise<void>;
  drop(heldId: string, errorToSender?: string): Promise<void>;
  pause(agentId: string): Promise<void>;
  releaseAll(): Promise<void>;
  /** Every event-log entry as it is logged (for "every ERROR"). */
  onLogEntry(listener: (e: LogEntry) => void): () => void;
  /**
   * Inbound chat entries (TEXT, REPLY, SYSTEM) of the event log, oldest first: the conversation under a held message.
   * Over the wire log entries come in batches, after the DEBUG_HELD: it waits (briefly) for the held message's own entry.
   */
  inboundChat(heldMessageId?: unknown): Promise<LogEntry[]>;
  /** Sends a TEXT as the person at the UI; resolves with its message id. */
  send(receiverId: string, text: string): Promise<string>;
  /** Lets go of the target: this session's breakpoints removed, everything held released. */
  close(owner: string): void;
  /** Client ids that are the person at this UI besides the hub's own (HUB_USER_ID): shown as "You". */
  youIds?(): readonly string[];
  /** The target went away by itself (the hub stopped, the socket dropped); absent for a hub in this process. */
  onLost?(listener: (why: string) => void): () => void;
}

const CHAT_LOG_TYPES = ['TEXT', 'REPLY', 'SYSTEM'];
/** How long a stack over the wire waits for the held message's log entry (then shows what it has). */
const CHAT_WAIT_MS = 2000;

/** The hub this process runs. */
export function hubDebugTarget(hub: Hub): DebugTarget {
  const dbg = hub.debugger;
  return {
    events: dbg.events as unknown as EventEmitter<DebugTargetEvents>,
    agents: () => hub.agents(),
    held: () => dbg.held(),
    setBreakpoints: async (owner, specs, ownerName) => dbg.setBreakpoints(owner, specs, ownerName),
    allBreakpoints: () => dbg.breakpointInfos(),
    amend: (id, fields) => dbg.amend(id, fields),
    continue: async (id) => dbg.continue(id),
    step: async (id) => dbg.step(id),
    drop: async (id, err) => dbg.drop(id, err),
    pause: async (agentId) => dbg.pause(agentId),
    releaseAll: async () => dbg.releaseAll(),
    onLogEntry(listener) {
      hub.events.on('log', listener);
      return () => hub.events.off('log', listener);
    },
    inboundChat: async () => hub.log.query({ message_type: CHAT_LOG_TYPES }).filter((e) => e.direction === 'in'),
    send: async (receiverId, text) => String(hub.sendMessage({ receiver_id: receiverId, text_payload: text }).message_id),
    close(owner) {
      dbg.setBreakpoints(owner, []);
      dbg.releaseAll();
    },
  };
}

export interface WireDebugTargetOptions {
  /** ws://host:port/ws?token=… of the hub. */
  url: string;
  logger: Logger;
  name?: string;
  /** Other client ids of this window on that hub (its monitor connection, which sends its messages): shown as "You". */
  youIds?: () => readonly string[];
  /** How long an action waits for the hub's DEBUG_ACTION_RESULT (default DEBUG_ACTION_TIMEOUT_MS). */
  actionTimeoutMs?: number;
  /** Inbound chat entries kept for the conversation frames (the hub sends its recent ones first). */
  maxChat?: number;
}

/** A running hub over its WebSocket, as a monitor that attaches as a debugger client. */
export class WireDebugTarget implements DebugTarget {
  readonly events = new EventEmitter<DebugTargetEvents>();
  private readonly client: MonitorClient;
  private readonly heldMap = new Map<string, HeldInfoT>();
  /** Variables edits not yet sent: held_id → the message as it will be delivered. */
  private readonly edits = new Map<string, Envelope>();
  private readonly chat: LogEntry[] = [];
  private readonly logListeners = new Set<(e: LogEntry) => void>();
  private readonly bpWaiters: ((infos: BreakpointInfoT[]) => void)[] = [];
  /** Every owner's breakpoints (DEBUG_STATE, then DEBUG_ALL_BREAKPOINTS on each change). */
  private allBps: BreakpointInfoT[] = [];
  private readonly maxChat: number;
  /** Waiting for the hub's next DEBUG_STATE (connect, a reload after a refusal); all let go when the socket closes. */
  private readonly stateWaiters: (() => void)[] = [];
  private closing = false;

  constructor(private readonly opts: WireDebugTargetOptions) {
    this.maxChat = opts.maxChat ?? 2000;
    this.client = new MonitorClient({ url: opts.url, name: opts.name ?? 'debug-agents', logger: opts.logger, reconnect: false, backlog: 500 });
    this.client.onEntries((batch) => {
      for (const e of batch) {
        if (e.direction === 'in' && CHAT_LOG_TYPES.includes(e.message_type)) this.chat.push(e);
        for (const l of this.logListeners) l(e);
      }
      if (this.chat.length > this.maxChat) this.chat.splice(0, this.chat.length - this.maxChat);
    });
    this.client.onFrame((m) => this.onFrame(m));
    this.client.onState((state) => {
      if (state === 'closed') for (const w of this.stateWaiters.splice(0)) w();
    });
  }

  /** Registers, attaches as a debugger client and waits for the hub's DEBUG_STATE and agent list. */
  async connect(): Promise<void> {
    await this.client.connect();
    await Promise.all([this.attach(), this.client.waitForAgents(5000).catch(() => undefined)]);
  }

  private frame(f: Envelope): Envelope {
    return { ...f, message_id: newMessageId(), sender_id: this.client.id ?? null, timestamp: isoNow() };
  }

  private onFrame(m: Envelope): void {
    switch (m.message_type) {
      case 'DEBUG_STATE': {
        this.heldMap.clear();
        for (const h of (m.held as HeldInfoT[] | undefined) ?? []) this.heldMap.set(h.held_id, h);
        this.allBps = (m.breakpoints as BreakpointInfoT[] | undefined) ?? [];
        for (const id of [...this.edits.keys()]) if (!this.heldMap.has(id)) this.edits.delete(id);
        for (const w of this.stateWaiters.splice(0)) w();
        return;
      }
      case 'DEBUG_HELD': {
        const h = m.held as HeldInfoT;
        this.heldMap.set(h.held_id, h);
        this.events.emit('held', h, Number(m.held_count ?? this.heldMap.size));
        return;
      }
      case 'DEBUG_RELEASED': {
        const id = String(m.held_id);
        this.heldMap.delete(id);
        this.edits.delete(id);
        this.events.emit('released', m as unknown as DebuggerEventMap['released'][0]);
        return;
      }
      case 'DEBUG_LOG':
        this.events.emit('log', m as unknown as DebuggerEventMap['log'][0]);
        return;
      case 'DEBUG_ALL_BREAKPOINTS':
        this.allBps = (m.breakpoints as BreakpointInfoT[] | undefined) ?? [];
        return;
      case 'DEBUG_BREAKPOINTS':
        this.bpWaiters.shift()?.((m.breakpoints as BreakpointInfoT[] | undefined) ?? []);
        return;
      case MessageType.ERROR:
        // actions are answered by DEBUG_ACTION_RESULT (sendDebugAction); an ERROR here is about something else
        this.opts.logger.warn(`debugger: ${String(m.text_payload ?? m.error_message ?? 'the hub reported an error')}`);
        return;
    }
  }

  agents(): readonly DebugTargetAgent[] {
    return [...this.client.agents().values()];
  }

  held(): HeldInfoT[] {
    return [...this.heldMap.values()].map((h) => {
      const edited = this.edits.get(h.held_id);
      return edited ? { ...h, message: edited } : h;
    });
  }

  allBreakpoints(): BreakpointInfoT[] {
    return [...this.allBps];
  }

  setBreakpoints(_owner: string, specs: readonly BreakpointSpecT[]): Promise<BreakpointInfoT[]> {
    // the hub keys them by this socket's client id; answers come in the order asked
    return new Promise((resolve, reject) => {
      this.bpWaiters.push(resolve);
      this.client.sendRaw(this.frame({ message_type: 'DEBUG_SET_BREAKPOINTS', breakpoints: [...specs] })).catch((err: unknown) => {
        const i = this.bpWaiters.indexOf(resolve);
        if (i >= 0) this.bpWaiters.splice(i, 1);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  /** The hub's own checks (messageDebugger.amend), made here: the edit is sent on continue or step. */
  amend(heldId: string, fields: Record<string, unknown>): Envelope {
    const h = this.heldMap.get(heldId);
    if (!h) throw new SwitchboardError('invalid_message', `No message is held as ${heldId}.`);
    const current = (this.edits.get(heldId) ?? h.message) as Envelope;
    const edited = editHeldMessage(current, fields, CHAT_TYPES.has(String(h.message.message_type)) ? 'chat' : 'type');
    this.edits.set(heldId, edited);
    return edited;
  }

  /**
   * Sends the action and waits for the hub's answer. DEBUG_RELEASED comes before the answer on this socket, so when it
   * resolves the held map already says what the hub holds. Refused or unanswered: the hub's state is taken again (the
   * message may have been released meanwhile by auto-release, another debugger or the monitor) and the error says why.
   */
  private async act(req: DebugActionRequest): Promise<void> {
    try {
      await sendDebugAction(this.client, req, this.opts.actionTimeoutMs);
    } catch (err) {
      if (!this.closing) await this.attach().catch(() => undefined);
      throw err;
    }
    if (req.held_id !== undefined) {
      this.heldMap.delete(req.held_id);
      this.edits.delete(req.held_id);
    }
  }

  /** DEBUG_ATTACH (again): the hub answers with DEBUG_STATE (every held message), which replaces the held map. */
  private async attach(): Promise<void> {
    const state = new Promise<void>((resolve) => this.stateWaiters.push(resolve));
    await this.client.sendRaw(this.frame({ message_type: 'DEBUG_ATTACH' }));
    await state;
  }

  /** The changed fields of an edited message (what a wire `edit` carries), or undefined when it was not edited. */
  private changedFields(heldId: string): Record<string, unknown> | undefined {
    const edited = this.edits.get(heldId);
    const h = this.heldMap.get(heldId);
    if (!edited || !h) return undefined;
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(edited)) if (JSON.stringify(v) !== JSON.stringify(h.message[k])) fields[k] = v;
    for (const k of Object.keys(h.message)) if (!Object.hasOwn(edited, k)) fields[k] = null;
    return fields;
  }

  continue(heldId: string): Promise<void> {
    const fields = this.changedFields(heldId);
    return this.act(fields ? { action: 'edit', held_id: heldId, fields } : { action: 'continue', held_id: heldId });
  }

  step(heldId: string): Promise<void> {
    // the edit travels with the step, so the hub applies both or (the edit refused) neither: no pause left behind
    const fields = this.changedFields(heldId);
    return this.act(fields ? { action: 'step', held_id: heldId, fields } : { action: 'step', held_id: heldId });
  }

  drop(heldId: string, errorToSender?: string): Promise<void> {
    return this.act(errorToSender === undefined ? { action: 'drop', held_id: heldId } : { action: 'drop', held_id: heldId, error_to_sender: errorToSender });
  }

  pause(agentId: string): Promise<void> {
    return this.act({ action: 'pause', agent_id: agentId });
  }

  async releaseAll(): Promise<void> {
    await this.act({ action: 'release_all' });
    this.heldMap.clear();
    this.edits.clear();
  }

  onLogEntry(listener: (e: LogEntry) => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  async inboundChat(heldMessageId?: unknown): Promise<LogEntry[]> {
    if (heldMessageId !== undefined && !this.chat.some((e) => e.message_id === heldMessageId)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.logListeners.delete(seen);
          resolve();
        };
        const seen = (e: LogEntry): void => {
          if (e.message_id === heldMessageId) done();
        };
        // the hub flushes monitor batches within a fraction of a second; a stack never waits longer than this
        const timer = setTimeout(done, CHAT_WAIT_MS);
        this.logListeners.add(seen);
      });
    }
    return [...this.chat];
  }

  send(receiverId: string, text: string): Promise<string> {
    return this.client.send(receiverId, text);
  }

  youIds(): readonly string[] {
    const own = this.client.id;
    return [...(own ? [own] : []), ...(this.opts.youIds?.() ?? [])];
  }

  onLost(listener: (why: string) => void): () => void {
    return this.client.onState((state, detail) => {
      if (state === 'closed' && !this.closing) listener(detail);
    });
  }

  /** Release all, then close the socket (the hub removes a leaving debugger client's breakpoints). */
  close(_owner: string): void {
    this.closing = true;
    void (async () => {
      await this.client.sendRaw(this.frame({ message_type: 'DEBUG_SET_BREAKPOINTS', breakpoints: [] })).catch(() => undefined);
      await this.client.sendRaw(this.frame({ message_type: 'DEBUG_ACTION', action: 'release_all' })).catch(() => undefined);
      await this.client.close('debug session ended').catch(() => undefined);
    })();
    this.heldMap.clear();
    this.edits.clear();
  }
}
