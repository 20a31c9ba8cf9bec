// The "Debug Agents" debug type (`switchboard`, issue 20): VS Code's Run and Debug view over the hub's message
// debugger. The adapter (src/cli/debugAdapter.ts) runs in process (DebugAdapterInlineImplementation): over the hub
// this window runs, or — in a window attached to another window's hub or to `switchboard hub` in a terminal — over
// the wire (WireDebugTarget, its own monitor socket to that hub). A launch configuration starts the hub (and, with
// "demo": true, the demo fleet) when none runs.
// "Hold Messages Matching…" adds a function breakpoint from the palette and starts a session if none is active.

import * as vscode from 'vscode';
import type { Hub } from '../../hub/hub';
import type { Logger } from '../../protocol/logger';
import { parseMessageFilter } from '../../protocol/filter';
import { Commands, DebugCommands } from '../constants';
import { replayRecordedSession } from './replaySession';

export const DEBUG_TYPE = 'switchboard';

export interface DebugAgentsDeps {
  /** The hub this window runs in process, if any. */
  hub(): Hub | undefined;
  /** The ws://…/ws?token=… of the hub this window is attached to (runs in another window or a terminal), if any. */
  attachedUrl?(): string | undefined;
  /** This window's client ids on the attached hub (its monitor connection sends the window's messages): "You". */
  attachedClientIds?(): readonly string[];
  logger?: Logger;
  /** Whether the demo fleet runs. */
  demoRunning(): boolean;
  /** The agent URL of the hub this window uses (for a replay). */
  agentUrl(): string | undefined;
  /** Settles when the window's startup attach-or-start attempt has (a launch pressed during it waits for it). */
  ready?(): Promise<void>;
}

interface DebugAgentsConfiguration extends vscode.DebugConfiguration {
  /** Start the demo fleet when it does not run. */
  demo?: boolean;
}

export const DEFAULT_DEBUG_CONFIGURATION: DebugAgentsConfiguration = { type: DEBUG_TYPE, request: 'attach', name: 'Debug Agents' };

export function registerDebugAgents(deps: DebugAgentsDeps): vscode.Disposable[] {
  const factory: vscode.DebugAdapterDescriptorFactory = {
    async createDebugAdapterDescriptor(session) {
      const { AgentDebugAdapter } = await import('../../cli/debugAdapter');
      const hub = deps.hub();
      const ownerName = 'Debug Agents in VS Code';
      if (hub) return new vscode.DebugAdapterInlineImplementation(new AgentDebugAdapter(hub, { owner: `vscode_${session.id}`, ownerName }));
      const url = deps.attachedUrl?.();
      if (!url || !deps.logger) throw new Error('Debug Agents needs a hub: start one (Switchboard: Start Hub) or attach to a running one, then debug again.');
      const { WireDebugTarget } = await import('../../cli/debugTarget');
      const youIds = deps.attachedClientIds;
      const target = new WireDebugTarget({ url, logger: deps.logger, name: `${ownerName} (pid ${process.pid})`, ...(youIds ? { youIds } : {}) });
      try {
        await target.connect();
      } catch (err) {
        target.close(session.id);
        throw new Error(`Debug Agents could not attach to the hub's debugger: ${err instanceof Error ? err.message : String(err)}`);
      }
      return new vscode.DebugAdapterInlineImplementation(new AgentDebugAdapter(target, { owner: `vscode_${session.id}` }));
    },
  };

  const provider: vscode.DebugConfigurationProvider = {
    provideDebugConfigurations: () => [DEFAULT_DEBUG_CONFIGURATION, { ...DEFAULT_DEBUG_CONFIGURATION, request: 'launch', name: 'Debug Agents (demo fleet)', demo: true }],
    async resolveDebugConfiguration(_folder, config: DebugAgentsConfiguration) {
      // pressed while the window's hub was still starting, "Start Demo Agents" failed with "no hub is running"
      await deps.ready?.();
      const resolved: DebugAgentsConfiguration = config.type ? config : { ...DEFAULT_DEBUG_CONFIGURATION };
      if (!deps.hub() && !deps.attachedUrl?.()) await vscode.commands.executeCommand(Commands.startHub);
      if (resolved.demo === true && !deps.demoRunning()) await vscode.commands.executeCommand(Commands.startDemo);
      return resolved;
    },
  };

  const holdMatching = vscode.commands.registerCommand(DebugCommands.holdMessagesMatching, async (preset?: string) => {
    const filter =
      typeof preset === 'string'
        ? preset
        : await vscode.window.showInputBox({
            title: 'Hold Messages Matching…',
            prompt: 'A filter: type:, from:, to:, text:, thread:, id:, payload.<field>: — every term must hold',
            placeHolder: 'type:TEXT to:planner text:refund',
            validateInput: (v) => {
              const r = parseMessageFilter(v);
              return r.ok ? undefined : r.error;
            },
          });
    if (!filter) return;
    const parsed = parseMessageFilter(filter);
    if (!parsed.ok) throw new Error(parsed.error);
    vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint(filter)]);
    if (!vscode.debug.activeDebugSession || vscode.debug.activeDebugSession.type !== DEBUG_TYPE) {
      await vscode.debug.startDebugging(undefined, DEFAULT_DEBUG_CONFIGURATION);
    }
  });

  const replay = vscode.commands.registerCommand(DebugCommands.replaySession, (file?: vscode.Uri) => replayRecordedSession(deps, file));

  return [
    replay,
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, factory),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    holdMatching,
  ];
}
