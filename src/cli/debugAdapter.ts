// The Debug Agents adapter (issue 20): VS Code's debugger over the hub's message debugger, in the Debug Adapter
// Protocol (@vscode/debugadapter, plain JavaScript). It debugs a DebugTarget (debugTarget.ts): the Hub this process
// runs, or a running hub over its WebSocket (a window attached to another window's hub or a terminal's). The extension
// wraps it in a DebugAdapterInlineImplementation, tests drive it with DAP messages in plain Node; it never imports vscode.
//
//   agents                 → threads (plus "hub / front-ends" for messages to no agent)
//   a held message         → its receiving agent's thread stops ("breakpoint", "step" or "pause")
//   the stack              → the held message on top, then the conversation that led to it (reply chain / thread)
//   Variables              → the held message's fields; setVariable edits it (validated by the codec)
//   Continue / Step Over   → continue / step;  Pause → hold the next message of that agent;  Disconnect → release all
//   function breakpoints   → filters ("type:TEXT to:planner text:refund"; "FILTER => log line" is a logpoint),
//                            with condition (a second filter) and hit count; exception filters "every ERROR" (reported) and "every tool approval" (held)
//   Debug Console          → a filter evaluated against the held message, or `send <agent> <text>`

import { DebugSession, InitializedEvent, OutputEvent, StoppedEvent, TerminatedEvent, ContinuedEvent, Thread, Scope, Source, StackFrame } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Hub } from '../hub/hub';
import { hubDebugTarget, type DebugTarget } from './debugTarget';
import type { BreakpointInfoT, BreakpointSpecT, HeldInfoT } from '../protocol/debugger';
import type { LogEntry } from '../protocol/logEntry';
import type { Envelope } from '../protocol/schemas';
import { matchesMessage, parseMessageFilter } from '../protocol/filter';
import { errorMessage } from '../protocol/errors';
import { HUB_USER_ID } from '../protocol/messageTypes';

type Msg = Readonly<Record<string, unknown>>;

/** The thread for messages addressed to no agent (front-ends, the person at the UI, broadcasts). */
const HUB_THREAD = 1;
/** How many earlier messages of the conversation the stack shows under the held one. */
const CONVERSATION_FRAMES = 20;
/** Variables references: held messages are numbered from here (frame ids too: one frame per held message on top). */
const HELD_REF_BASE = 1000;

/**
 * "every ERROR": ERROR frames are not chat (the router never sees them, and an ERROR is the hub's or a client's answer
 * written straight to its socket, past any hold), so they cannot be held: each one the hub logs is reported in the Debug
 * Console with who sent it to whom. "every tool approval" holds: a TOOL_APPROVAL_REQUEST is kept before any person sees
 * it (the agent's thread stops; edit its arguments, drop it, or continue to put it before the people who decide).
 */
export const EXCEPTION_FILTERS: readonly DebugProtocol.ExceptionBreakpointsFilter[] = [
  { filter: 'error', label: 'every ERROR', description: 'Report every ERROR in the Debug Console (ERRORs cannot be held: they never pass the router)', default: false },
  { filter: 'tool_approval', label: 'every tool approval', description: "Hold every tool approval request before a person sees it: the agent's thread stops", default: false },
];

/** The breakpoint "every tool approval" sets in the hub. */
const TOOL_APPROVAL_SPEC: BreakpointSpecT = { filter: 'type:TOOL_APPROVAL_REQUEST' };

export interface DebugAdapterOptions {
  /** Owner name of this session's breakpoints in the hub. */
  owner?: string;
  /** How other debuggers see this session's breakpoints (in process; over the wire the socket's name says it). */
  ownerName?: string;
}

export class AgentDebugAdapter extends DebugSession {
  private readonly owner: string;
  private readonly ownerName: string;
  /** The hub's ids of this session's breakpoints (the others' are shown read-only, with their owner). */
  private ownIds = new Set<string>();
  private readonly threadIds = new Map<string, number>();
  private readonly threadAgents = new Map<number, string>();
  private nextThread = HUB_THREAD + 1;
  /** held_id ↔ reference for frames and variables. */
  private readonly refs = new Map<number, string>();
  private readonly refOf = new Map<string, number>();
  private nextRef = HELD_REF_BASE;
  private functionSpecs: BreakpointSpecT[] = [];
  /** The exception filters' hub breakpoints (after the function breakpoints, in the same owner's list). */
  private exceptionSpecs: BreakpointSpecT[] = [];
  private stopErrors: (() => void) | undefined;
  private readonly unsubs: (() => void)[] = [];
  /** held_id → the thread its stop was shown on. */
  private readonly stoppedThreads = new Map<string, number>();
  /** Held messages this session is acting on (their release is shown when the action is answered). */
  private readonly acting = new Set<string>();

  private readonly target: DebugTarget;

  /** A Hub this process runs, or a DebugTarget (a WireDebugTarget: a hub reached over its WebSocket). */
  constructor(hubOrTarget: Hub | DebugTarget, opts: DebugAdapterOptions = {}) {
    super();
    const target = 'inboundChat' in hubOrTarget ? hubOrTarget : hubDebugTarget(hubOrTarget);
    this.target = target;
    this.owner = opts.owner ?? `dap_${Math.random().toString(36).slice(2, 10)}`;
    this.ownerName = opts.ownerName ?? 'Debug Agents';
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    const onHeld = (held: HeldInfoT): void => this.onHeld(held);
    const onLog = (l: { text: string }): void => this.sendEvent(new OutputEvent(`${l.text}\n`, 'console'));
    const onReleased = (r: { held_id: string }): void => {
      const ref = this.refOf.get(r.held_id);
      if (ref !== undefined) {
        this.refOf.delete(r.held_id);
        this.refs.delete(ref);
      }
      // released by someone else (auto-release, the bound, another debugger, the monitor): the thread shows it
      const thread = this.stoppedThreads.get(r.held_id);
      this.stoppedThreads.delete(r.held_id);
      if (thread !== undefined && !this.acting.has(r.held_id)) this.showThread(thread);
    };
    target.events.on('held', onHeld);
    target.events.on('log', onLog);
    target.events.on('released', onReleased);
    this.unsubs.push(
      () => target.events.off('held', onHeld),
      () => target.events.off('log', onLog),
      () => target.events.off('released', onReleased),
    );
    // an attached hub that stops (or a dropped socket) ends the session: nothing is held any more
    const offLost = target.onLost?.((why) => {
      this.sendEvent(new OutputEvent(`The hub went away (${why}): the debug session ends.\n`, 'console'));
      this.close();
      this.sendEvent(new TerminatedEvent());
    });
    if (offLost) this.unsubs.push(offLost);
  }

  // --- lifecycle -------------------------------------------------------------------------------------------------

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      ...response.body,
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsSetVariable: true,
      supportsTerminateRequest: true,
      exceptionBreakpointFilters: [...EXCEPTION_FILTERS],
    };
    this.sendResponse(response);
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse): void {
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override attachRequest(response: DebugProtocol.AttachResponse): void {
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    // messages held before the session attached stop their threads now
    for (const h of this.target.held()) if (h.reason !== 'order') this.onHeld(h);
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.close();
    this.sendResponse(response);
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.close();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  /** Disconnect: this session's breakpoints go and everything held is released. */
  close(): void {
    for (const u of this.unsubs.splice(0)) u();
    this.stopErrors?.();
    this.stopErrors = undefined;
    this.target.close(this.owner);
  }

  // --- breakpoints -----------------------------------------------------------------------------------------------

  protected override async setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): Promise<void> {
    this.functionSpecs = args.breakpoints.map(functionBreakpointSpec);
    const count = this.functionSpecs.length;
    try {
      const infos = (await this.applyBreakpoints()).slice(0, count);
      response.body = { breakpoints: infos.map((i) => ({ verified: i.verified, message: i.error, id: idNumber(i.breakpoint_id) })) };
      this.sendResponse(response);
    } catch (err) {
      this.sendErrorResponse(response, 3010, errorMessage(err));
    }
  }

  protected override async setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): Promise<void> {
    const approvals = args.filters.includes('tool_approval');
    if (approvals !== (this.exceptionSpecs.length > 0)) {
      this.exceptionSpecs = approvals ? [TOOL_APPROVAL_SPEC] : [];
      try {
        await this.applyBreakpoints();
      } catch (err) {
        return this.sendErrorResponse(response, 3010, errorMessage(err));
      }
    }
    const wanted = args.filters.includes('error');
    if (wanted && !this.stopErrors) {
      const onLog = (e: LogEntry): void => {
        if (e.message_type !== 'ERROR' || e.direction === 'internal') return;
        this.sendEvent(new OutputEvent(`ERROR ${describe(e.body, this.names())}\n`, 'stderr'));
      };
      this.stopErrors = this.target.onLogEntry(onLog);
    } else if (!wanted && this.stopErrors) {
      this.stopErrors();
      this.stopErrors = undefined;
    }
    this.sendResponse(response);
  }

  /** Source breakpoints have no meaning for messages: each is answered unverified, saying where to set one. */
  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    response.body = {
      breakpoints: (args.breakpoints ?? []).map(() => ({ verified: false, message: 'Message breakpoints are function breakpoints: add one in the Breakpoints view (+), e.g. "type:TEXT to:planner".' })),
    };
    this.sendResponse(response);
  }

  private async applyBreakpoints(): Promise<BreakpointInfoT[]> {
    const infos = await this.target.setBreakpoints(this.owner, [...this.functionSpecs, ...this.exceptionSpecs], this.ownerName);
    this.ownIds = new Set(infos.map((i) => i.breakpoint_id));
    return infos;
  }

  /** "the monitor panel's breakpoint "to:planner"" — for a message another debugger's breakpoint holds. */
  private othersBreakpoint(held: HeldInfoT): string | undefined {
    if (held.reason !== 'breakpoint' || !held.breakpoint_id || this.ownIds.has(held.breakpoint_id)) return undefined;
    const bp = this.target.allBreakpoints().find((b) => b.breakpoint_id === held.breakpoint_id);
    const owner = ownerLabel(held.breakpoint_owner_name ?? bp?.owner_name, held.breakpoint_owner ?? bp?.owner);
    const filter = held.breakpoint_filter ?? bp?.filter;
    return `${owner}'s breakpoint${filter ? ` "${filter}"` : ''}`;
  }

  // --- threads and stops ---------------------------------------------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    const threads = [new Thread(HUB_THREAD, 'hub / front-ends')];
    for (const a of this.target.agents()) threads.push(new Thread(this.threadOf(a.agent_id), `${a.agent_name} (${a.agent_id})`));
    response.body = { threads };
    this.sendResponse(response);
  }

  private threadOf(agentId: string | undefined): number {
    if (!agentId || !this.target.agents().some((a) => a.agent_id === agentId)) return HUB_THREAD;
    let id = this.threadIds.get(agentId);
    if (id === undefined) {
      id = this.nextThread++;
      this.threadIds.set(agentId, id);
      this.threadAgents.set(id, agentId);
    }
    return id;
  }

  /** The thread a held message stops: its receiving agent's (an agent's own message to a front-end: the sender's). */
  private threadOfMessage(m: Msg): number {
    const to = this.threadOf(typeof m.receiver_id === 'string' ? m.receiver_id : undefined);
    return to !== HUB_THREAD ? to : this.threadOf(typeof m.sender_id === 'string' ? m.sender_id : undefined);
  }

  private onHeld(held: HeldInfoT): void {
    this.refFor(held.held_id);
    const thread = this.threadOfMessage(held.message);
    this.stoppedThreads.set(held.held_id, thread);
    const e = new StoppedEvent(held.reason === 'order' ? 'breakpoint' : held.reason, thread) as DebugProtocol.StoppedEvent;
    // no `description`: VS Code would show it instead of "Paused on breakpoint" beside the thread, crowding out the
    // agent's name in a narrow Call Stack; the held message is the top frame (and the text, for hovers)
    e.body.text = `Held: ${describe(held.message, this.names())}`;
    // each debugger keeps its own breakpoints, but a hold stops the message for all: say whose breakpoint this is
    const others = this.othersBreakpoint(held);
    if (others) {
      e.body.text += ` (by ${others})`;
      this.sendEvent(new OutputEvent(`Held by ${others}, not one of this session's: ${describe(held.message, this.names())}\n`, 'console'));
    }
    e.body.allThreadsStopped = false;
    if (held.breakpoint_id) e.body.hitBreakpointIds = [idNumber(held.breakpoint_id)];
    this.sendEvent(e);
  }

  private refFor(heldId: string): number {
    let ref = this.refOf.get(heldId);
    if (ref === undefined) {
      ref = this.nextRef++;
      this.refOf.set(heldId, ref);
      this.refs.set(ref, heldId);
    }
    return ref;
  }

  /** The held messages stopping a thread, oldest first. */
  private heldOnThread(threadId: number): HeldInfoT[] {
    return this.target.held().filter((h) => h.reason !== 'order' && this.threadOfMessage(h.message) === threadId);
  }

  private heldByRef(ref: number): HeldInfoT | undefined {
    const id = this.refs.get(ref);
    return id === undefined ? undefined : this.target.held().find((h) => h.held_id === id);
  }

  protected override async stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): Promise<void> {
    const names = this.names();
    const frames: StackFrame[] = [];
    const held = this.heldOnThread(args.threadId)[0];
    if (held) {
      // a word, not the pause glyph: some fonts (code-server's in Chromium) draw it as a missing-glyph box
      // The held frame has a source (the message as JSON, answered by sourceRequest): VS Code focuses only a frame whose
      // source is available, so with one the stopped thread opens, its top frame is picked and Variables fill at once.
      // The editor keeps the message as it was held; Variables show (and edit) what will be delivered.
      const ref = this.refFor(held.held_id);
      const source = new Source(`${held.held_id} (as held).json`);
      source.sourceReference = ref;
      frames.push(new StackFrame(ref, `held: ${describe(held.message, names)}`, source, 1, 1));
      let i = 0;
      for (const m of await this.conversation(held.message)) frames.push(new StackFrame(-1 - i++, describe(m, names)));
    }
    // VS Code asks for the top frame first, then the rest (startFrame 1): answer the slice asked for
    const start = args.startFrame ?? 0;
    const end = args.levels ? start + args.levels : frames.length;
    response.body = { stackFrames: frames.slice(start, end), totalFrames: frames.length };
    this.sendResponse(response);
  }

  /** The messages that led to this one: its reply chain and its thread, newest first, from the event log. */
  private async conversation(m: Msg): Promise<Envelope[]> {
    const inbound = await this.target.inboundChat(m.message_id);
    const byId = new Map(inbound.map((e) => [e.message_id, e.body as Envelope]));
    const out: Envelope[] = [];
    const seen = new Set<unknown>([m.message_id]);
    let parent = m.in_reply_to_message_id;
    while (parent !== undefined && parent !== null && !seen.has(parent) && out.length < CONVERSATION_FRAMES) {
      const p = byId.get(String(parent));
      if (!p) break;
      seen.add(parent);
      out.push(p);
      parent = p.in_reply_to_message_id;
    }
    if (typeof m.thread === 'string' && m.thread) {
      for (let i = inbound.length - 1; i >= 0 && out.length < CONVERSATION_FRAMES; i--) {
        const b = inbound[i]!.body as Envelope;
        if (b.thread === m.thread && !seen.has(b.message_id)) {
          seen.add(b.message_id);
          out.push(b);
        }
      }
    }
    return out;
  }

  /** The held message as JSON, for the editor VS Code opens on the held frame. */
  protected override sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    const held = this.heldByRef(args.source?.sourceReference ?? args.sourceReference);
    if (!held) return this.sendErrorResponse(response, 3009, 'That message is no longer held.');
    response.body = { content: `${JSON.stringify(held.message, null, 2)}\n`, mimeType: 'application/json' };
    this.sendResponse(response);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    response.body = { scopes: args.frameId >= HELD_REF_BASE ? [new Scope('Message', args.frameId, false)] : [] };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const held = this.heldByRef(args.variablesReference);
    const variables: DebugProtocol.Variable[] = [];
    if (held) {
      for (const [name, v] of Object.entries(held.message)) variables.push({ name, value: JSON.stringify(v) ?? 'undefined', variablesReference: 0 });
    }
    response.body = { variables };
    this.sendResponse(response);
  }

  /** Edits one field of the held message: the value is JSON ("text" with quotes) or, failing that, plain text. */
  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    const held = this.heldByRef(args.variablesReference);
    if (!held) return this.sendErrorResponse(response, 3001, 'That message is no longer held.');
    let value: unknown;
    try {
      value = JSON.parse(args.value);
    } catch {
      value = args.value;
    }
    try {
      const edited = this.target.amend(held.held_id, { [args.name]: value });
      response.body = { value: JSON.stringify(edited[args.name]) ?? 'undefined' };
      this.sendResponse(response);
    } catch (err) {
      this.sendErrorResponse(response, 3002, errorMessage(err));
    }
  }

  // --- execution -------------------------------------------------------------------------------------------------

  protected override async continueRequest(response: DebugProtocol.ContinueResponse, args: DebugProtocol.ContinueArguments): Promise<void> {
    response.body = { allThreadsContinued: false };
    await this.act(response, args.threadId, 'continue', (h) => this.target.continue(h.held_id));
  }

  protected override async nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): Promise<void> {
    await this.act(response, args.threadId, 'step', (h) => this.target.step(h.held_id));
  }

  protected override async stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): Promise<void> {
    await this.act(response, args.threadId, 'step', (h) => this.target.step(h.held_id));
  }

  protected override async stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): Promise<void> {
    await this.act(response, args.threadId, 'continue', (h) => this.target.continue(h.held_id));
  }

  protected override async pauseRequest(response: DebugProtocol.PauseResponse, args: DebugProtocol.PauseArguments): Promise<void> {
    const agentId = this.threadAgents.get(args.threadId);
    if (!agentId) return this.sendErrorResponse(response, 3003, 'Pause an agent thread: it holds that agent\'s next message.');
    try {
      await this.target.pause(agentId);
    } catch (err) {
      return this.sendErrorResponse(response, 3005, errorMessage(err));
    }
    this.sendResponse(response);
  }

  /**
   * Acts on the thread's first held message and answers only once the hub has: a refusal (released meanwhile by
   * auto-release, another debugger or the monitor; an edit the hub finds invalid) is an error response that says so,
   * and the thread shows what the hub now holds.
   */
  private async act(response: DebugProtocol.Response, threadId: number, verb: string, fn: (h: HeldInfoT) => Promise<void>): Promise<void> {
    const h = this.heldOnThread(threadId)[0];
    if (!h) return this.sendErrorResponse(response, 3004, 'Nothing is held on this thread.');
    this.acting.add(h.held_id);
    try {
      await fn(h);
    } catch (err) {
      const still = this.target.held().some((x) => x.held_id === h.held_id);
      const what = still
        ? `Could not ${verb} the held message; it is still held. ${errorMessage(err)}`
        : `Could not ${verb} the held message: the hub no longer holds it (released meanwhile: auto-release, another debugger or the monitor). ${errorMessage(err)}`;
      this.sendErrorResponse(response, 3005, what);
      if (!still) this.showThread(threadId);
      return;
    } finally {
      this.acting.delete(h.held_id);
    }
    this.sendResponse(response);
    this.showThread(threadId);
  }

  /** Another message still held on this thread stops it again; with none, the thread runs. */
  private showThread(threadId: number): void {
    const next = this.heldOnThread(threadId)[0];
    if (next) this.onHeld(next);
    else this.sendEvent(new ContinuedEvent(threadId, false));
  }

  // --- Debug Console ---------------------------------------------------------------------------------------------

  protected override async evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): Promise<void> {
    const expr = args.expression.trim();
    try {
      if (expr === 'breakpoints') {
        response.body = { result: this.breakpointReport(), variablesReference: 0 };
        return this.sendResponse(response);
      }
      const send = /^send\s+(\S+)\s+([\s\S]+)$/.exec(expr);
      if (send) {
        const to = this.resolveAgent(send[1]!);
        const id = await this.target.send(to, send[2]!);
        response.body = { result: `sent ${id} to ${send[1]}`, variablesReference: 0 };
        return this.sendResponse(response);
      }
      const parsed = parseMessageFilter(expr);
      if (!parsed.ok) return this.sendErrorResponse(response, 3006, `${parsed.error} (or: send <agent> <text>)`);
      const held = args.frameId !== undefined && args.frameId >= HELD_REF_BASE ? this.heldByRef(args.frameId) : this.target.held().find((h) => h.reason !== 'order');
      if (!held) return this.sendErrorResponse(response, 3007, 'No message is held to test the filter against.');
      const names = this.names();
      response.body = { result: String(matchesMessage(parsed.filter, held.message, (id) => names.get(id))), variablesReference: 0 };
      this.sendResponse(response);
    } catch (err) {
      this.sendErrorResponse(response, 3008, errorMessage(err));
    }
  }

  /** The Debug Console's `breakpoints`: this session's, then every other owner's (read-only here), naming the owner. */
  private breakpointReport(): string {
    const all = this.target.allBreakpoints();
    const line = (b: BreakpointInfoT): string => `  ${b.filter}${b.error ? ` (not valid: ${b.error})` : ''}${b.hits ? ` · ${b.hits} hit${b.hits === 1 ? '' : 's'}` : ''}`;
    const mine = all.filter((b) => this.ownIds.has(b.breakpoint_id));
    const out = [`This session (${mine.length}):`, ...mine.map(line)];
    const byOwner = new Map<string, BreakpointInfoT[]>();
    for (const b of all) if (!this.ownIds.has(b.breakpoint_id)) byOwner.set(b.owner, [...(byOwner.get(b.owner) ?? []), b]);
    for (const list of byOwner.values()) out.push(`${ownerLabel(list[0]!.owner_name, list[0]!.owner)} (read-only here; it holds messages for everyone):`, ...list.map(line));
    if (byOwner.size === 0) out.push('No other debugger has breakpoints.');
    return out.join('\n');
  }

  private resolveAgent(nameOrId: string): string {
    const agents = this.target.agents();
    const a = agents.find((x) => x.agent_id === nameOrId) ?? agents.find((x) => x.is_online && x.agent_name === nameOrId) ?? agents.find((x) => x.agent_name === nameOrId);
    if (!a) throw new Error(`No agent named "${nameOrId}".`);
    return a.agent_id;
  }

  private names(): Map<string, string> {
    // the person at the UI is "You", as in the monitor (not its session id, web_switchboard)
    const you = [HUB_USER_ID, ...(this.target.youIds?.() ?? [])].map((id): [string, string] => [id, 'You']);
    return new Map([...you, ...this.target.agents().map((a): [string, string] => [a.agent_id, a.agent_name])]);
  }
}

/** "FILTER => log line" is a logpoint; a hit condition is a number (">= 3" and "3" both mean from the third hit). */
export function functionBreakpointSpec(bp: DebugProtocol.FunctionBreakpoint): BreakpointSpecT {
  const [filter, log] = bp.name.split(/\s=>\s/, 2) as [string, string | undefined];
  const spec: BreakpointSpecT = { filter: filter.trim() };
  if (log !== undefined && log.trim()) spec.log_message = log.trim();
  if (bp.condition?.trim()) spec.condition = bp.condition.trim();
  const hits = bp.hitCondition ? Number(/\d+/.exec(bp.hitCondition)?.[0]) : NaN;
  if (Number.isInteger(hits) && hits >= 1) spec.hit_count = hits;
  return spec;
}

/** A breakpoint owner for a person: its name, with the client id when it is one (mon_…, web_…) to tell two apart. */
function ownerLabel(name: string | undefined, owner: string | undefined): string {
  if (name && owner && /^[a-z]+_[0-9a-f]{6,}$/.test(owner)) return `${name} (${owner})`;
  return name ?? owner ?? 'another debugger';
}

function idNumber(breakpointId: string): number {
  return Number(breakpointId.replace(/\D/g, '')) || 0;
}

function describe(m: Msg, names: Map<string, string>): string {
  const who = (v: unknown): string => (typeof v === 'string' && v ? (names.get(v) ?? v) : '?');
  const text = typeof m.text_payload === 'string' ? m.text_payload : typeof m.tool === 'string' ? `${m.tool} ${JSON.stringify(m.arguments ?? null)}` : '';
  return `${String(m.message_type)} ${who(m.sender_id)} → ${who(m.receiver_id)}: ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`;
}
