// Debug Agents in a real extension host (issue 20): start the "switchboard" debug type, a function breakpoint stops a
// message to an agent, setVariable (through the session's customRequest, as the Variables view does) edits it,
// continue releases it, and the agent answers the edited text.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SwitchboardApi } from '../../src/extension/extension';
import { EXTENSION_ID } from '../../src/extension/constants';
import { RawAgent, waitFor } from './rawAgent';

interface DapMessage {
  type: string;
  event?: string;
  body?: Record<string, unknown>;
}

export function registerDebuggerSuite(): void {
  suite('Debug Agents (the switchboard debug type)', () => {
    const agents: RawAgent[] = [];
    const fromAdapter: DapMessage[] = [];
    const disposables: vscode.Disposable[] = [];

    suiteTeardown(async () => {
      if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging(vscode.debug.activeDebugSession);
      vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
      for (const d of disposables) d.dispose();
      await Promise.all(agents.map((a) => a.close()));
    });

    test('a function breakpoint stops a message, setVariable edits it, continue delivers it, the agent answers the edit', async () => {
      const api = await vscode.extensions.getExtension<SwitchboardApi>(EXTENSION_ID)!.activate();
      await api.ready();
      const hub = api.hub();
      assert.ok(hub, 'the window runs its hub');
      disposables.push(
        vscode.debug.registerDebugAdapterTrackerFactory('switchboard', {
          createDebugAdapterTracker: () => ({ onDidSendMessage: (m: DapMessage) => void fromAdapter.push(m) }),
        }),
      );
      const planner = new RawAgent('dbg-planner');
      agents.push(planner);
      await planner.register(api.connection()!.info().agentUrl);

      vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint('type:TEXT to:dbg-planner text:refund')]);
      const started = await vscode.debug.startDebugging(undefined, { type: 'switchboard', request: 'attach', name: 'Debug Agents' });
      assert.equal(started, true);
      const session = await waitFor('the Debug Agents session', () => (vscode.debug.activeDebugSession?.type === 'switchboard' ? vscode.debug.activeDebugSession : undefined));
      await waitFor('the breakpoint in the hub', () => hub.debugger.breakpointInfos().some((b) => b.filter === 'type:TEXT to:dbg-planner text:refund') || undefined);

      hub.sendMessage({ receiver_id: planner.agentId, text_payload: 'refund 10 EUR' });
      const stopped = await waitFor('a stopped event', () => fromAdapter.find((m) => m.type === 'event' && m.event === 'stopped'));
      assert.equal(stopped.body?.reason, 'breakpoint');
      const threadId = stopped.body?.threadId as number;
      assert.equal(planner.received('refund 10 EUR'), undefined, 'held before delivery');

      const stack = (await session.customRequest('stackTrace', { threadId })) as { stackFrames: { id: number; name: string }[] };
      assert.match(stack.stackFrames[0]!.name, /refund 10 EUR/);
      const scopes = (await session.customRequest('scopes', { frameId: stack.stackFrames[0]!.id })) as { scopes: { variablesReference: number }[] };
      const ref = scopes.scopes[0]!.variablesReference;
      const vars = (await session.customRequest('variables', { variablesReference: ref })) as { variables: { name: string; value: string }[] };
      assert.equal(vars.variables.find((v) => v.name === 'text_payload')?.value, '"refund 10 EUR"');
      await session.customRequest('setVariable', { variablesReference: ref, name: 'text_payload', value: '"refund 100 EUR"' });
      await session.customRequest('continue', { threadId });

      const got = await waitFor('the edited message at the agent', () => planner.received('refund 100 EUR'));
      planner.reply(got, 'refunded: refund 100 EUR');
      await waitFor('the answer in the log', () => hub.log.recent().find((e) => e.message_type === 'REPLY' && e.body.text_payload === 'refunded: refund 100 EUR'));
      const released = hub.log.recent().find((e) => e.message_type === 'DEBUG_RELEASED' && e.body.outcome === 'edited');
      assert.equal((released?.body.original as { text_payload?: string } | undefined)?.text_payload, 'refund 10 EUR');

      await vscode.debug.stopDebugging(session);
      await waitFor('breakpoints gone with the session', () => hub.debugger.breakpointInfos().length === 0 || undefined);
    });
  });
}
