// The Debug Agents adapter driven by a DAP client in plain Node (issue 20): agents as threads, a function breakpoint
// stops a message with a "breakpoint" stopped event, the stack and Variables show it, setVariable edits it, continue
// delivers the edited text, next steps to the agent's answer, the Debug Console evaluates filters and sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { AgentDebugAdapter } from '../../src/cli/debugAdapter';
import { WireDebugTarget } from '../../src/cli/debugTarget';
import { createLogger } from '../../src/protocol/logger';
import { agent, closeAll, frontend, startHub, waitUntil } from './hubHarness';

class DapClient {
  private seq = 1;
  readonly messages: DebugProtocol.ProtocolMessage[] = [];
  private waiters: { pred: (m: DebugProtocol.ProtocolMessage) => boolean; resolve: (m: DebugProtocol.ProtocolMessage) => void }[] = [];

  constructor(readonly adapter: AgentDebugAdapter) {
    adapter.onDidSendMessage((m) => {
      const msg = m as DebugProtocol.ProtocolMessage;
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => (w.pred(msg) ? (w.resolve(msg), false) : true));
    });
  }

  private wait<T extends DebugProtocol.ProtocolMessage>(pred: (m: DebugProtocol.ProtocolMessage) => boolean, from = 0): Promise<T> {
    const found = this.messages.slice(from).find(pred);
    if (found) return Promise.resolve(found as T);
    return new Promise((resolve) => this.waiters.push({ pred, resolve: resolve as (m: DebugProtocol.ProtocolMessage) => void }));
  }

  async request<R extends DebugProtocol.Response>(command: string, args?: unknown): Promise<R> {
    const seq = this.seq++;
    const p = this.wait<R>((m) => m.type === 'response' && (m as DebugProtocol.Response).request_seq === seq);
    this.adapter.handleMessage({ seq, type: 'request', command, arguments: args } as DebugProtocol.Request);
    return p;
  }

  /** The next event of this kind after `from` messages. */
  event<E extends DebugProtocol.Event>(name: string, from = 0): Promise<E> {
    return this.wait<E>((m) => m.type === 'event' && (m as DebugProtocol.Event).event === name, from);
  }
}

test('threads, a stopped event on a function breakpoint, stack, variables, setVariable, continue, next, console', async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  const ui = await frontend(hub, 'ui');
  const dap = new DapClient(new AgentDebugAdapter(hub));
  try {
    const init = await dap.request<DebugProtocol.InitializeResponse>('initialize', { adapterID: 'switchboard', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
    assert.equal(init.body?.supportsFunctionBreakpoints, true);
    assert.equal(init.body?.supportsSetVariable, true);
    await dap.request('attach', {});
    await dap.event('initialized');
    const fbs = await dap.request<DebugProtocol.SetFunctionBreakpointsResponse>('setFunctionBreakpoints', {
      breakpoints: [{ name: 'type:TEXT to:planner text:refund' }, { name: 'nonsense:x' }, { name: 'to:planner => {from} asked {to}: {text}' }],
    });
    assert.deepEqual(fbs.body.breakpoints.map((b) => b.verified), [true, false, true]);
    await dap.request('configurationDone');

    const threads = await dap.request<DebugProtocol.ThreadsResponse>('threads');
    const plannerThread = threads.body.threads.find((t) => t.name.startsWith('planner'));
    assert.ok(plannerThread, JSON.stringify(threads.body.threads));

    const mark = dap.messages.length;
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'a refund of 10 EUR', thread: 't-1' });
    const stopped = await dap.event<DebugProtocol.StoppedEvent>('stopped', mark);
    assert.equal(stopped.body.reason, 'breakpoint');
    assert.equal(stopped.body.threadId, plannerThread.id);
    const log = await dap.event<DebugProtocol.OutputEvent>('output', mark);
    assert.equal(log.body.output, 'ui asked planner: a refund of 10 EUR\n'.replace('ui', ui.id));

    const stack = await dap.request<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: plannerThread.id });
    const top = stack.body.stackFrames[0]!;
    assert.match(top.name, /TEXT .* → planner: a refund of 10 EUR/);
    // its source is the message as JSON (VS Code focuses only a frame with an available source, and opens it)
    const src = await dap.request<DebugProtocol.SourceResponse>('source', { source: top.source, sourceReference: top.source!.sourceReference! });
    assert.equal(JSON.parse(src.body.content).text_payload, 'a refund of 10 EUR');
    const scopes = await dap.request<DebugProtocol.ScopesResponse>('scopes', { frameId: top.id });
    const ref = scopes.body.scopes[0]!.variablesReference;
    const vars = await dap.request<DebugProtocol.VariablesResponse>('variables', { variablesReference: ref });
    const text = vars.body.variables.find((v) => v.name === 'text_payload');
    assert.equal(text?.value, '"a refund of 10 EUR"');

    const bad = await dap.request<DebugProtocol.SetVariableResponse>('setVariable', { variablesReference: ref, name: 'text_payload', value: '12' });
    assert.equal(bad.success, false);
    assert.match(bad.message ?? '', /not valid/);
    const set = await dap.request<DebugProtocol.SetVariableResponse>('setVariable', { variablesReference: ref, name: 'text_payload', value: '"a refund of 100 EUR"' });
    assert.equal(set.success, true);

    const yes = await dap.request<DebugProtocol.EvaluateResponse>('evaluate', { expression: 'text:"100 EUR" to:planner', frameId: top.id, context: 'repl' });
    assert.equal(yes.body.result, 'true');
    const no = await dap.request<DebugProtocol.EvaluateResponse>('evaluate', { expression: 'type:REPLY', frameId: top.id, context: 'repl' });
    assert.equal(no.body.result, 'false');
    assert.equal(planner.c.ofType('TEXT').length, 0, 'held until continue');

    await dap.request('continue', { threadId: plannerThread.id });
    const delivered = await planner.c.waitType('TEXT');
    assert.equal(delivered.text_payload, 'a refund of 100 EUR');

    // next: the second refund stops, Step Over releases it and stops at the planner's answer
    const mark2 = dap.messages.length;
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'another refund', thread: 't-1' });
    await dap.event<DebugProtocol.StoppedEvent>('stopped', mark2);
    const mark3 = dap.messages.length;
    await dap.request('next', { threadId: plannerThread.id });
    const asked = await planner.c.waitFor((m) => m.text_payload === 'another refund');
    planner.c.send({ message_type: 'REPLY', receiver_id: ui.id, text_payload: 'refunded', thread: 't-1', in_reply_to_message_id: asked.message_id });
    const stepStop = await dap.event<DebugProtocol.StoppedEvent>('stopped', mark3);
    assert.equal(stepStop.body.reason, 'step');
    assert.equal(stepStop.body.threadId, plannerThread.id, "an agent's answer stops its own thread");
    const stack2 = await dap.request<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: plannerThread.id });
    assert.match(stack2.body.stackFrames[0]!.name, /REPLY planner → .*: refunded/);
    assert.ok(stack2.body.stackFrames.slice(1).some((f) => /another refund/.test(f.name)), 'the conversation that led to it is on the stack');

    // every ERROR: reported in the console (an ERROR is not chat and is never held)
    await dap.request('setExceptionBreakpoints', { filters: ['error'] });
    const mark4 = dap.messages.length;
    ui.c.send({ message_type: 'TEXT', receiver_id: 'agent_nobody', text_payload: 'anyone?' });
    const errOut = await dap.event<DebugProtocol.OutputEvent>('output', mark4);
    assert.equal(errOut.body.category, 'stderr');
    assert.match(errOut.body.output, /^ERROR .*Unknown receiver/);

    // the console sends; disconnect releases what is held
    const sent = await dap.request<DebugProtocol.EvaluateResponse>('evaluate', { expression: 'send planner hello there', context: 'repl' });
    assert.match(sent.body.result, /^sent /);
    await dap.request('disconnect', {});
    await ui.c.waitFor((m) => m.message_type === 'REPLY' && m.text_payload === 'refunded');
    await planner.c.waitFor((m) => m.text_payload === 'hello there');
    assert.equal(hub.debugger.held().length, 0);
    assert.equal(hub.debugger.breakpointInfos().length, 0);
  } finally {
    await closeAll(hub, planner, ui);
  }
});

test('"every tool approval" holds an approval request before a person sees it: edit its arguments, continue, or drop it', async () => {
  const hub = await startHub();
  const coder = await agent(hub, 'coder');
  const ui = await frontend(hub, 'ui');
  const dap = new DapClient(new AgentDebugAdapter(hub));
  try {
    const init = await dap.request<DebugProtocol.InitializeResponse>('initialize', { adapterID: 'switchboard', pathFormat: 'path' });
    assert.ok(init.body?.exceptionBreakpointFilters?.some((f) => f.filter === 'tool_approval' && f.label === 'every tool approval'), JSON.stringify(init));
    await dap.request('attach', {});
    await dap.event('initialized');
    await dap.request('setExceptionBreakpoints', { filters: ['tool_approval'] });
    await dap.request('configurationDone');
    const threads = await dap.request<DebugProtocol.ThreadsResponse>('threads');
    const coderThread = threads.body.threads.find((t) => t.name.startsWith('coder'))!;

    const mark = dap.messages.length;
    coder.c.send({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: 'ap_held1', tool: 'write_file', arguments: { files: ['a.ts'] } });
    const stopped = await dap.event<DebugProtocol.StoppedEvent>('stopped', mark);
    assert.equal(stopped.body.reason, 'breakpoint');
    assert.equal(stopped.body.threadId, coderThread.id, "the asking agent's thread stops");
    assert.equal(hub.agentStreams.pendingApprovals().length, 0, 'held: no person has it to decide yet');

    const stack = await dap.request<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: coderThread.id });
    const top = stack.body.stackFrames[0]!;
    assert.match(top.name, /^held: TOOL_APPROVAL_REQUEST coder → \?: write_file \{"files":\["a.ts"\]\}/);
    const scopes = await dap.request<DebugProtocol.ScopesResponse>('scopes', { frameId: top.id });
    const ref = scopes.body.scopes[0]!.variablesReference;
    const retype = await dap.request<DebugProtocol.SetVariableResponse>('setVariable', { variablesReference: ref, name: 'message_type', value: 'TEXT' });
    assert.equal(retype.success, false, 'an approval request stays one');
    assert.match(retype.message ?? '', /stays TOOL_APPROVAL_REQUEST/);
    const set = await dap.request<DebugProtocol.SetVariableResponse>('setVariable', { variablesReference: ref, name: 'arguments', value: '{"files":["b.ts"]}' });
    assert.equal(set.success, true, set.message);

    await dap.request('continue', { threadId: coderThread.id });
    await waitUntil(() => hub.agentStreams.pendingApprovals().length === 1, 5000, 'the released approval pending');
    const pending = hub.agentStreams.pendingApprovals()[0]!;
    assert.equal(pending.approval_id, 'ap_held1');
    assert.deepEqual(pending.arguments, { files: ['b.ts'] }, 'the person decides on the edited arguments');

    // a dropped request never reaches a person; the agent hears why
    const mark2 = dap.messages.length;
    coder.c.send({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: 'ap_held2', tool: 'rm_rf', arguments: { path: '/' } });
    await dap.event<DebugProtocol.StoppedEvent>('stopped', mark2);
    const held = hub.debugger.held().find((h) => h.message.approval_id === 'ap_held2')!;
    hub.debugger.drop(held.held_id, 'dropped by the developer');
    const err = await coder.c.waitType('ERROR');
    assert.match(String(err.text_payload ?? err.error_message ?? JSON.stringify(err)), /dropped by the developer/);
    assert.deepEqual(hub.agentStreams.pendingApprovals().map((a) => a.approval_id), ['ap_held1']);

    // an agent that leaves while its request is held: released, nothing is put before a person
    const leaver = await agent(hub, 'leaver');
    const mark3 = dap.messages.length;
    leaver.c.send({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: 'ap_gone', tool: 'deploy' });
    await dap.event<DebugProtocol.StoppedEvent>('stopped', mark3);
    const gone = hub.debugger.held().find((h) => h.message.approval_id === 'ap_gone')!;
    await leaver.c.close();
    await waitUntil(() => hub.agents().some((a) => a.agent_id === leaver.id && !a.is_online), 5000, 'the agent gone');
    hub.debugger.continue(gone.held_id);
    assert.deepEqual(hub.agentStreams.pendingApprovals().map((a) => a.approval_id), ['ap_held1'], 'no approval for an agent that left');

    // without the filter, requests go straight to the people who decide
    await dap.request('setExceptionBreakpoints', { filters: [] });
    coder.c.send({ message_type: 'TOOL_APPROVAL_REQUEST', approval_id: 'ap_free', tool: 'read_file' });
    await waitUntil(() => hub.agentStreams.pendingApprovals().length === 2, 5000, 'the unheld approval pending');
    assert.equal(hub.debugger.held().length, 0);
    await dap.request('disconnect', {});
  } finally {
    await closeAll(hub, coder, ui);
  }
});

test('over the wire (a window attached to a hub it does not run): threads, a stop, variables, setVariable, continue delivers the edit, disconnect releases all', async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  const ui = await frontend(hub, 'ui');
  const warnings: string[] = [];
  const target = new WireDebugTarget({ url: `ws://127.0.0.1:${hub.port}/ws?token=${encodeURIComponent(hub.token ?? '')}`, logger: createLogger((_l, line) => warnings.push(line), 'warn') });
  await target.connect();
  const dap = new DapClient(new AgentDebugAdapter(target));
  try {
    await dap.request('initialize', { adapterID: 'switchboard', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
    await dap.request('attach', {});
    await dap.event('initialized');
    const fbs = await dap.request<DebugProtocol.SetFunctionBreakpointsResponse>('setFunctionBreakpoints', {
      breakpoints: [{ name: 'type:TEXT to:planner text:refund' }, { name: 'nonsense:x' }],
    });
    assert.deepEqual(fbs.body.breakpoints.map((b) => b.verified), [true, false]);
    assert.equal(hub.debugger.breakpointInfos().length, 2, 'set in the hub, owned by the wire client');
    await dap.request('configurationDone');

    const threads = await dap.request<DebugProtocol.ThreadsResponse>('threads');
    const plannerThread = threads.body.threads.find((t) => t.name.startsWith('planner'));
    assert.ok(plannerThread, JSON.stringify(threads.body.threads));

    // an earlier message of the conversation, for the stack
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'hello planner', thread: 't-w' });
    const first = await planner.c.waitFor((m) => m.text_payload === 'hello planner');
    // the log entry of the held message arrives in a monitor batch after DEBUG_HELD; the adapter waits for it (bounded),
    // the test waits for it without a bound so a loaded machine cannot turn the wait into a missing frame
    const logged = new Promise<void>((resolve) => {
      const off = target.onLogEntry((e) => {
        if (e.direction === 'in' && e.body.text_payload === 'a refund of 10 EUR') {
          off();
          resolve();
        }
      });
    });
    const mark = dap.messages.length;
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'a refund of 10 EUR', thread: 't-w', in_reply_to_message_id: first.message_id });
    const stopped = await dap.event<DebugProtocol.StoppedEvent>('stopped', mark);
    assert.equal(stopped.body.reason, 'breakpoint');
    assert.equal(stopped.body.threadId, plannerThread.id);

    await logged;
    const stack = await dap.request<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: plannerThread.id });
    const top = stack.body.stackFrames[0]!;
    assert.match(top.name, /TEXT .* → planner: a refund of 10 EUR/);
    assert.ok(stack.body.stackFrames.slice(1).some((f) => /hello planner/.test(f.name)), `the conversation from the monitor's log entries: ${JSON.stringify(stack.body.stackFrames.map((f) => f.name))}`);
    const scopes = await dap.request<DebugProtocol.ScopesResponse>('scopes', { frameId: top.id });
    const ref = scopes.body.scopes[0]!.variablesReference;
    const vars = await dap.request<DebugProtocol.VariablesResponse>('variables', { variablesReference: ref });
    assert.equal(vars.body.variables.find((v) => v.name === 'text_payload')?.value, '"a refund of 10 EUR"');

    const bad = await dap.request<DebugProtocol.SetVariableResponse>('setVariable', { variablesReference: ref, name: 'text_payload', value: '12' });
    assert.equal(bad.success, false);
    assert.match(bad.message ?? '', /not valid/);
    const set = await dap.request<DebugProtocol.SetVariableResponse>('setVariable', { variablesReference: ref, name: 'text_payload', value: '"a refund of 100 EUR"' });
    assert.equal(set.success, true, set.message);
    const vars2 = await dap.request<DebugProtocol.VariablesResponse>('variables', { variablesReference: ref });
    assert.equal(vars2.body.variables.find((v) => v.name === 'text_payload')?.value, '"a refund of 100 EUR"', 'Variables show what will be delivered');
    assert.equal(hub.debugger.held().length, 1, 'still held in the hub');
    assert.equal(planner.c.ofType('TEXT').length, 1, 'only the first message delivered');

    await dap.request('continue', { threadId: plannerThread.id });
    const delivered = await planner.c.waitFor((m) => /refund/.test(String(m.text_payload)));
    assert.equal(delivered.text_payload, 'a refund of 100 EUR');

    // every ERROR: reported from the log entries the monitor socket receives
    await dap.request('setExceptionBreakpoints', { filters: ['error'] });
    const markErr = dap.messages.length;
    ui.c.send({ message_type: 'TEXT', receiver_id: 'agent_nobody', text_payload: 'anyone?' });
    const errOut = await dap.event<DebugProtocol.OutputEvent>('output', markErr);
    assert.equal(errOut.body.category, 'stderr');
    assert.match(errOut.body.output, /^ERROR .*Unknown receiver/);

    // two more held; disconnect releases both and the hub forgets this session's breakpoints
    const mark2 = dap.messages.length;
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'refund one' });
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'refund two' });
    await dap.event<DebugProtocol.StoppedEvent>('stopped', mark2);
    await waitUntil(() => hub.debugger.held().length === 2, 5000, 'both held');
    const sent = await dap.request<DebugProtocol.EvaluateResponse>('evaluate', { expression: 'send planner hello over the wire', context: 'repl' });
    assert.match(sent.body.result, /^sent /);
    await dap.request('disconnect', {});
    await planner.c.waitFor((m) => m.text_payload === 'refund two');
    await planner.c.waitFor((m) => m.text_payload === 'hello over the wire');
    assert.deepEqual(planner.c.ofType('TEXT').map((m) => m.text_payload).filter((t) => /refund one|refund two/.test(String(t))), ['refund one', 'refund two']);
    await waitUntil(() => hub.debugger.breakpointInfos().length === 0, 5000, 'the session\'s breakpoints removed');
    assert.equal(hub.debugger.held().length, 0);
    assert.deepEqual(warnings, []);
  } finally {
    await closeAll(hub, planner, ui);
  }
});

/** A wire target to the hub (as an attached window has), its adapter initialized and attached. */
async function wireSession(hub: Awaited<ReturnType<typeof startHub>>): Promise<{ target: WireDebugTarget; dap: DapClient }> {
  const target = new WireDebugTarget({ url: `ws://127.0.0.1:${hub.port}/ws?token=${encodeURIComponent(hub.token ?? '')}`, logger: createLogger(() => undefined, 'error') });
  await target.connect();
  const dap = new DapClient(new AgentDebugAdapter(target));
  await dap.request('initialize', { adapterID: 'switchboard', pathFormat: 'path' });
  await dap.request('attach', {});
  return { target, dap };
}

test('over the wire: a hub that stops ends the session (terminated), it does not hang', async () => {
  const hub = await startHub();
  const { dap } = await wireSession(hub);
  try {
    await dap.request('configurationDone');
    const mark = dap.messages.length;
    await hub.stop();
    const out = await dap.event<DebugProtocol.OutputEvent>('output', mark);
    assert.match(out.body.output, /The hub went away/);
    await dap.event('terminated', mark);
  } finally {
    await hub.stop();
  }
});

test('over the wire: an action the hub refuses is an error response that says why, and the thread shows what the hub holds', async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  const ui = await frontend(hub, 'ui');
  const { target, dap } = await wireSession(hub);
  try {
    await dap.request('setFunctionBreakpoints', { breakpoints: [{ name: 'to:planner' }] });
    await dap.request('configurationDone');
    const threads = await dap.request<DebugProtocol.ThreadsResponse>('threads');
    const plannerThread = threads.body.threads.find((t) => t.name.startsWith('planner'))!;

    // released at the hub (another debugger, auto-release) while this session's continue is on its way: in this tick
    // the wire target has not yet heard DEBUG_RELEASED, so it asks the hub, and the hub refuses
    let mark = dap.messages.length;
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'first' });
    await dap.event<DebugProtocol.StoppedEvent>('stopped', mark);
    const first = hub.debugger.held()[0]!;
    mark = dap.messages.length;
    hub.debugger.continue(first.held_id);
    const refused = await dap.request<DebugProtocol.ContinueResponse>('continue', { threadId: plannerThread.id });
    assert.equal(refused.success, false, 'the DAP answer says the hub refused');
    assert.match(refused.message ?? '', /no longer holds it/);
    assert.match(refused.message ?? '', /already released/);
    const ran = await dap.event<DebugProtocol.ContinuedEvent>('continued', mark);
    assert.equal(ran.body.threadId, plannerThread.id, 'the thread no longer looks stopped');
    await planner.c.waitFor((m) => m.text_payload === 'first');
    assert.equal(target.held().length, 0);

    // released at the hub and heard first: the thread runs at once, a continue after it finds nothing held
    mark = dap.messages.length;
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'second' });
    await dap.event<DebugProtocol.StoppedEvent>('stopped', mark);
    mark = dap.messages.length;
    hub.debugger.continue(hub.debugger.held()[0]!.held_id);
    assert.equal((await dap.event<DebugProtocol.ContinuedEvent>('continued', mark)).body.threadId, plannerThread.id);
    const nothing = await dap.request<DebugProtocol.ContinueResponse>('continue', { threadId: plannerThread.id });
    assert.equal(nothing.success, false);
    assert.match(nothing.message ?? '', /Nothing is held/);

    // an action the hub does: its answer comes back before the DAP response
    mark = dap.messages.length;
    ui.c.send({ message_type: 'TEXT', receiver_id: planner.id, text_payload: 'third' });
    await dap.event<DebugProtocol.StoppedEvent>('stopped', mark);
    const ok = await dap.request<DebugProtocol.ContinueResponse>('continue', { threadId: plannerThread.id });
    assert.equal(ok.success, true, ok.message);
    assert.equal(hub.debugger.held().length, 0, 'released at the hub by the time the response came');
    await planner.c.waitFor((m) => m.text_payload === 'third');
    await dap.request('disconnect', {});
  } finally {
    await closeAll(hub, planner, ui);
  }
});

test("another debugger's breakpoint: the stop names its owner, and the Debug Console lists every owner's breakpoints", async () => {
  const hub = await startHub();
  const planner = await agent(hub, 'planner');
  const monitor = await frontend(hub, 'a monitor page');
  const dap = new DapClient(new AgentDebugAdapter(hub, { owner: 'vscode_s1', ownerName: 'Debug Agents in VS Code' }));
  const { dap: wire } = await wireSession(hub);
  try {
    await dap.request('initialize', { adapterID: 'switchboard', pathFormat: 'path' });
    await dap.request('attach', {});
    await dap.request('setFunctionBreakpoints', { breakpoints: [{ name: 'to:nobody' }] });
    await dap.request('configurationDone');
    await wire.request('configurationDone');
    // the panel of this window (in process) and a /monitor page (over the wire) keep breakpoints of their own
    hub.debugger.setBreakpoints('monitor panel', [{ filter: 'to:planner text:refund' }], 'Monitor panel in VS Code');
    monitor.c.send({ message_type: 'DEBUG_SET_BREAKPOINTS', breakpoints: [{ filter: 'type:REPLY' }] });
    await monitor.c.waitType('DEBUG_BREAKPOINTS');

    const mark = dap.messages.length;
    const wireMark = wire.messages.length;
    hub.sendMessage({ receiver_id: planner.id, text_payload: 'refund please' });
    const stopped = await dap.event<DebugProtocol.StoppedEvent>('stopped', mark);
    assert.match(stopped.body.text ?? '', /by Monitor panel in VS Code's breakpoint "to:planner text:refund"/);
    const out = await dap.event<DebugProtocol.OutputEvent>('output', mark);
    assert.match(out.body.output, /^Held by Monitor panel in VS Code's breakpoint "to:planner text:refund", not one of this session's/);
    // over the wire the hold carries the owner too
    const wireOut = await wire.event<DebugProtocol.OutputEvent>('output', wireMark);
    assert.match(wireOut.body.output, /^Held by Monitor panel in VS Code's breakpoint/);

    const listed = await dap.request<DebugProtocol.EvaluateResponse>('evaluate', { expression: 'breakpoints', context: 'repl' });
    assert.match(listed.body.result, /^This session \(1\):\n  to:nobody\n/);
    assert.match(listed.body.result, /Monitor panel in VS Code \(read-only here; it holds messages for everyone\):\n  to:planner text:refund/);
    assert.match(listed.body.result, new RegExp(`a monitor page \\(${monitor.id}\\) \\(read-only here[^\\n]*\\n  type:REPLY`));
    // on the wire socket the hub's DEBUG_ALL_BREAKPOINTS for both sets came before the DEBUG_HELD behind wireOut
    const wireListed = await wire.request<DebugProtocol.EvaluateResponse>('evaluate', { expression: 'breakpoints', context: 'repl' });
    assert.match(wireListed.body.result, /^This session \(0\):\n/);
    assert.match(wireListed.body.result, /Debug Agents in VS Code \(read-only[^\n]*\n  to:nobody/);
    assert.match(wireListed.body.result, new RegExp(`a monitor page \\(${monitor.id}\\) \\(read-only here[^\\n]*\\n  type:REPLY`));
    await dap.request('disconnect', {});
    await wire.request('disconnect', {});
  } finally {
    await closeAll(hub, planner, monitor);
  }
});
