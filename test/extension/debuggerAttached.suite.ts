// Debug Agents in a window attached to a hub it does not run (issue 20), in a real extension host: the window lets go
// of its own hub, `switchboard hub` runs in another process on the same port (as in a terminal), the window attaches
// to it, and "Debug Agents" debugs that hub over the wire (WireDebugTarget): a function breakpoint holds a message,
// Variables show it, setVariable edits it, continue delivers the edited text; a message another debugger released
// shows its thread running, and a continue after that is an error. The window gets its own hub back afterwards.

import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SwitchboardApi } from '../../src/extension/extension';
import { Commands, EXTENSION_ID } from '../../src/extension/constants';
import { FrontendClient } from '../../src/sdk/frontendClient';
import { sendDebugAction } from '../../src/sdk/debugActions';
import { RawAgent, waitFor } from './rawAgent';

interface DapMessage {
  type: string;
  event?: string;
  command?: string;
  success?: boolean;
  body?: Record<string, unknown>;
}

/** Starts `node dist/cli.js hub --port PORT` and resolves once it printed its agent URL (it is listening then). */
async function terminalHub(extensionPath: string, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  // the extension host is Node: its binary runs the CLI. The child inherits SWITCHBOARD_HUB_FILE_DIR, so it writes the
  // hub file (with its token) where the window looks, as `switchboard hub` in a terminal does in ~/.agent-switchboard
  const child = spawn(process.execPath, [join(extensionPath, 'dist', 'cli.js'), 'hub', '--port', String(port)], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await waitFor('the terminal hub to print its agent URL', () => {
    if (child.exitCode !== null) throw new Error(`switchboard hub exited with ${child.exitCode}: ${out}`);
    return /ws:\/\/127\.0\.0\.1:\d+\/ws\?token=/.test(out);
  }, 20_000);
  return { child, output: () => out };
}

/**
 * Puts the runner's hub port back into the user settings when the extension host no longer sees it: in code-server,
 * once a debug session has started, the host's configuration lost the user value (seen in this suite: inspect() keeps
 * only the default, 8765), so the window would look for its hub on the default port, where another run may be.
 */
async function keepConfiguredPort(port: number): Promise<void> {
  const cfg = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('switchboard');
  if (cfg().get('hub.port') === port) return;
  await cfg().update('hub.port', port, vscode.ConfigurationTarget.Global);
  await waitFor(`switchboard.hub.port back at ${port}`, () => cfg().get('hub.port') === port);
}

export function registerAttachedDebuggerSuite(): void {
  suite('Debug Agents in a window attached to a hub in another process', () => {
    const configuredPort = Number(process.env.SWITCHBOARD_TEST_HUB_PORT);
    const agents: RawAgent[] = [];
    const clients: FrontendClient[] = [];
    const fromAdapter: DapMessage[] = [];
    const disposables: vscode.Disposable[] = [];
    let hubProcess: ChildProcess | undefined;
    let api: SwitchboardApi;

    suiteTeardown(async function () {
      this.timeout(30_000);
      if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging(vscode.debug.activeDebugSession);
      vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
      for (const d of disposables) d.dispose();
      await Promise.all([...agents.map((a) => a.close()), ...clients.map((c) => c.close())]);
      // let go of the terminal's hub before it stops (no takeover), then the window runs its own hub again
      await vscode.commands.executeCommand(Commands.stopHub);
      if (hubProcess && hubProcess.exitCode === null) {
        const exited = new Promise((r) => hubProcess!.once('exit', r));
        hubProcess.kill('SIGTERM');
        await exited;
      }
      await keepConfiguredPort(configuredPort);
      await vscode.commands.executeCommand(Commands.startHub);
      await waitFor('the window running its own hub again', () => api.connection()?.mode === 'local' && api.connection()?.state === 'running', 20_000);
      assert.equal(api.connection()!.info().port, configuredPort);
    });

    test('attached to a terminal hub: a function breakpoint holds a message, Variables edit it, continue delivers the edit, another debugger\'s release shows the thread running', async function () {
      this.timeout(60_000);
      const ext = vscode.extensions.getExtension<SwitchboardApi>(EXTENSION_ID)!;
      api = await ext.activate();
      await api.ready();
      assert.ok(Number.isInteger(configuredPort) && configuredPort > 0, 'the runner must set SWITCHBOARD_TEST_HUB_PORT');

      // the window lets go of its hub; a hub in another process takes the port; the window attaches to it
      await keepConfiguredPort(configuredPort);
      await vscode.commands.executeCommand(Commands.stopHub);
      await waitFor('the window\'s hub stopped', () => !api.connection() || api.connection()!.state === 'stopped');
      const terminal = await terminalHub(ext.extensionPath, configuredPort);
      hubProcess = terminal.child;
      await vscode.commands.executeCommand(Commands.startHub);
      const conn = await waitFor('the window attached', () => (api.connection()?.mode === 'attached' && api.connection()?.state === 'running' ? api.connection() : undefined));
      assert.equal(api.hub(), undefined, 'this window runs no hub');
      assert.equal(conn.info().port, configuredPort);

      disposables.push(
        vscode.debug.registerDebugAdapterTrackerFactory('switchboard', {
          createDebugAdapterTracker: () => ({ onDidSendMessage: (m: DapMessage) => void fromAdapter.push(m) }),
        }),
      );
      const planner = new RawAgent('attached-planner');
      agents.push(planner);
      await planner.register(conn.info().agentUrl);
      await waitFor('the planner in the window', () => conn.agent(planner.agentId));

      vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint('type:TEXT to:attached-planner text:refund')]);
      assert.equal(await vscode.debug.startDebugging(undefined, { type: 'switchboard', request: 'attach', name: 'Debug Agents' }), true);
      const session = await waitFor('the Debug Agents session', () => (vscode.debug.activeDebugSession?.type === 'switchboard' ? vscode.debug.activeDebugSession : undefined));
      const set = await waitFor('the breakpoint set in the terminal hub', () =>
        fromAdapter.find((m) => m.type === 'response' && m.command === 'setFunctionBreakpoints' && (m.body?.breakpoints as unknown[] | undefined)?.length),
      );
      assert.deepEqual((set.body!.breakpoints as { verified: boolean }[]).map((b) => b.verified), [true], 'verified by the hub');

      // the message goes through the window's own connection (Send Message), to the planner on the terminal's hub
      let mark = fromAdapter.length;
      await vscode.commands.executeCommand(Commands.sendMessage, planner.agentId, 'refund 10 EUR');
      const stopped = await waitFor('a stopped event', () => fromAdapter.slice(mark).find((m) => m.type === 'event' && m.event === 'stopped'));
      assert.equal(stopped.body?.reason, 'breakpoint');
      const threadId = stopped.body?.threadId as number;
      const threads = (await session.customRequest('threads')) as { threads: { id: number; name: string }[] };
      assert.match(threads.threads.find((t) => t.id === threadId)?.name ?? '', /^attached-planner /, 'the planner\'s thread stopped');
      assert.equal(planner.received('refund 10 EUR'), undefined, 'held before delivery');

      const stack = (await session.customRequest('stackTrace', { threadId })) as { stackFrames: { id: number; name: string }[] };
      assert.match(stack.stackFrames[0]!.name, /^held: TEXT You → attached-planner: refund 10 EUR/, 'the window\'s own message is "You" there too');
      const scopes = (await session.customRequest('scopes', { frameId: stack.stackFrames[0]!.id })) as { scopes: { variablesReference: number }[] };
      const ref = scopes.scopes[0]!.variablesReference;
      const vars = (await session.customRequest('variables', { variablesReference: ref })) as { variables: { name: string; value: string }[] };
      assert.equal(vars.variables.find((v) => v.name === 'text_payload')?.value, '"refund 10 EUR"');
      await assert.rejects(async () => session.customRequest('setVariable', { variablesReference: ref, name: 'sender_id', value: '"someone_else"' }), /cannot be edited/);
      await session.customRequest('setVariable', { variablesReference: ref, name: 'text_payload', value: '"refund 100 EUR"' });
      await session.customRequest('continue', { threadId });
      const got = await waitFor('the edited message at the planner', () => planner.received('refund 100 EUR'));
      assert.equal(planner.received('refund 10 EUR'), undefined, 'the original was never delivered');
      planner.reply(got, 'refunded: refund 100 EUR');
      await waitFor('the answer in the window', () => conn.recentEntries(200).find((e) => e.message_type === 'REPLY' && e.body.text_payload === 'refunded: refund 100 EUR'));

      // another debugger of the same hub (a terminal's, a monitor page) releases it: the thread runs again in VS Code,
      // and a Continue pressed after that is refused, not answered "done"
      mark = fromAdapter.length;
      await vscode.commands.executeCommand(Commands.sendMessage, planner.agentId, 'refund 20 EUR');
      const again = await waitFor('a second stop', () => fromAdapter.slice(mark).find((m) => m.type === 'event' && m.event === 'stopped'));
      const other = new FrontendClient({ url: conn.info().agentUrl, name: 'another-debugger', reconnect: false });
      clients.push(other);
      await other.connect();
      mark = fromAdapter.length;
      await sendDebugAction(other, { action: 'release_all' });
      await waitFor('the second message at the planner', () => planner.received('refund 20 EUR'));
      const ran = await waitFor('the thread running again', () => fromAdapter.slice(mark).find((m) => m.type === 'event' && m.event === 'continued'));
      assert.equal(ran.body?.threadId, again.body?.threadId);
      await assert.rejects(async () => session.customRequest('continue', { threadId: again.body?.threadId }), /Nothing is held on this thread/);

      await vscode.debug.stopDebugging(session);
      await waitFor('the session ended', () => !vscode.debug.activeDebugSession || undefined);
    });
  });
}
