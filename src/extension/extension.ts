// Activation: starts (or attaches to) the hub, registers the views, commands, status bar and settings handling.
//
// Test API — `await vscode.extensions.getExtension('agent-switchboard.agent-switchboard')!.activate()` resolves to a
// SwitchboardApi (the extension-host mocha suite in test/extension/ uses it):
//   ready()             resolves when the startup attach-or-start attempt has settled (never rejects)
//   hub()               the in-process Hub when this window owns it, else undefined
//   connection()        the HubConnection the views render (local hub or another window's hub), or undefined
//   manager             the HubManager (startOrAttach/stop/restart, onDidChange)
//   agentsProvider, sessionsProvider, transportsProvider
//                       tree providers: getChildren() gives TreeNodes ({ model: { label, description, icon, … },
//                       agentId? }); flushPending() applies a debounced refresh at once
//   commands            the handlers; `lastFailure` holds the last error a command turned into a notification
//   lastRowLostNotice() what a row command run without its row (see below) said instead of acting
//   statusBar()         the status bar model ({ text, tooltip, action })
//   activationMs        how long activate() took
//   openSecondWindow()  runs the startup logic once more as a second VS Code window would (its own HubManager, the
//                       same settings and hub file) and returns it, e.g. to prove it attaches instead of starting a
//                       rival; dispose() it afterwards
// Commands take their inputs as arguments when given: switchboard.sendMessage(agentId?, text?) → message id,
// switchboard.broadcast(text?), switchboard.pauseAgent(agentId?), switchboard.exportLog(format?, uriOrPath?),
// switchboard.clearLog(skipConfirm?), switchboard.demo.start(count?) → agent ids. Leave a missing agent argument out
// rather than passing undefined beside a second one: (undefined, undefined) is what a tree row's menu delivers when VS
// Code lost the row, and the row commands then do nothing (commandArgs.rowLost).

import * as vscode from 'vscode';
import type { Hub } from '../hub/hub';
import { errorMessage } from '../protocol/errors';
import type { Logger } from '../protocol/logger';
import { AgentsTreeProvider } from './agentsTreeProvider';
import { SwitchboardCommands } from './commands';
import { Commands, OUTPUT_CHANNEL_NAME, Settings, Views } from './constants';
import { lastRowLostNotice, showCommandError } from './errors';
import { toDisposable } from './lifecycle';
import { DemoController } from './model/demoController';
import { defaultHubFileDir } from './model/hubFile';
import type { HubConnection } from './model/hubConnection';
import { HubManager, type HubManagerDeps } from './model/hubManager';
import { ManagerMonitorSource } from './model/managerMonitorSource';
import { changedRestartKeys } from './model/settingsModel';
import type { StatusBarModel } from './model/statusBarModel';
import { externalMonitorUrl, openMonitorInBrowser, openMonitorPanel, registerMonitorPanel } from './monitorHost';
import { outputChannelLogger } from './outputLogger';
import { registerReconstruction } from './reconstructCommand';
import { SessionsTreeProvider } from './sessionsTreeProvider';
import { TopicsTreeProvider } from './topicsTreeProvider';
import { registerTopicCommands } from './topicsCommands';
import { SettingsReader } from './settings';
import { StatusPresenter } from './statusBar';
import { TransportsTreeProvider } from './transportsTreeProvider';
import type { TreeNode } from './treeItems';
import { ApprovalsPresenter } from './approvals';
import { registerDebugAgents } from './debug/debugAgents';

export interface SecondWindow {
  mode: 'local' | 'attached' | undefined;
  manager: HubManager;
  dispose(): Promise<void>;
}

export interface SwitchboardApi {
  ready(): Promise<void>;
  hub(): Hub | undefined;
  connection(): HubConnection | undefined;
  manager: HubManager;
  agentsProvider: AgentsTreeProvider;
  sessionsProvider: SessionsTreeProvider;
  transportsProvider: TransportsTreeProvider;
  topicsProvider: TopicsTreeProvider;
  commands: SwitchboardCommands;
  statusBar(): StatusBarModel | undefined;
  activationMs: number;
  openSecondWindow(): Promise<SecondWindow>;
  /** Seed 003 tool approvals: notifications shown, the status bar count, the model the tree reads. */
  approvals: ApprovalsPresenter;
  /** What the last row command run on a row VS Code no longer held said instead of acting (commandArgs.rowLost). */
  lastRowLostNotice(): string | undefined;
}

let teardown: (() => Promise<void>) | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<SwitchboardApi> {
  const t0 = performance.now();
  const output = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  context.subscriptions.push(output);
  const root = outputChannelLogger(output);
  const log = root.child('extension');

  const settings = new SettingsReader(context.secrets, vscode.Uri.joinPath(context.globalStorageUri, 'logs').fsPath, log);
  // SecretStorage is read after activate() returns (the first start awaits it), to keep activation short
  const webviewDir = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview').fsPath;

  const managerDeps = (logger: Logger): HubManagerDeps => ({
    settings: () => settings.read(),
    beforeStart: () => settings.ready(),
    logger: logger.child('manager'),
    hubFileDir: defaultHubFileDir(),
    // loaded on first start, not with the extension: the hub pulls in the broker clients (amqplib, kafkajs), and
    // requiring them would count against activation time
    createHub: async (options) => {
      const { Hub: HubClass } = await import('../hub/hub');
      return new HubClass(options, { logger, webviewDir });
    },
    attach: async (target) => {
      // the SDK's socket client (ws, the protocol codec) loads only when a window attaches
      const { attachAsMonitor } = await import('./model/monitorConnection');
      return attachAsMonitor(target, logger.child('attached'));
    },
  });
  const manager = new HubManager(managerDeps(root));
  const demo = new DemoController(root.child('demo'));
  const source = new ManagerMonitorSource(manager);

  const agentsProvider = new AgentsTreeProvider(manager);
  const sessionsProvider = new SessionsTreeProvider(manager);
  const transportsProvider = new TransportsTreeProvider(manager);
  context.subscriptions.push(agentsProvider, sessionsProvider, transportsProvider);
  const agentsView = vscode.window.createTreeView<TreeNode>(Views.agents, { treeDataProvider: agentsProvider, showCollapseAll: true });
  const sessionsView = vscode.window.createTreeView<TreeNode>(Views.sessions, { treeDataProvider: sessionsProvider, showCollapseAll: true });
  const transportsView = vscode.window.createTreeView<TreeNode>(Views.transports, { treeDataProvider: transportsProvider });
  context.subscriptions.push(agentsView, sessionsView, transportsView);
  agentsProvider.attachView(agentsView);
  sessionsProvider.attachView(sessionsView);
  transportsProvider.attachView(transportsView);
  const topicsProvider = new TopicsTreeProvider(manager);
  const topicsView = vscode.window.createTreeView<TreeNode>(Views.topics, { treeDataProvider: topicsProvider, showCollapseAll: true });
  context.subscriptions.push(topicsProvider, topicsView, ...registerTopicCommands(manager, topicsProvider));
  topicsProvider.attachView(topicsView);

  const status = new StatusPresenter(manager, demo);
  context.subscriptions.push(status);

  const monitorLog = root.child('monitor');
  const openMonitor = (agentId?: string): Promise<void> => openMonitorPanel(context, source, monitorLog, agentId);
  context.subscriptions.push(...registerMonitorPanel(context, source, monitorLog));

  const commands = new SwitchboardCommands({
    context,
    manager,
    demo,
    settings,
    logger: log,
    output,
    openMonitor,
    openMonitorInBrowser: () => openMonitorInBrowser(manager),
    externalMonitorUrl: () => externalMonitorUrl(manager),
  });
  context.subscriptions.push(...commands.register());
  context.subscriptions.push(...registerReconstruction({ manager, logger: root.child('reconstruct') }));
  const approvals = new ApprovalsPresenter({ manager, logger: root.child('approvals'), onChanged: () => agentsProvider.approvalsChanged() });
  agentsProvider.setApprovals(approvals.model);
  context.subscriptions.push(approvals);
  context.subscriptions.push(
    ...registerDebugAgents({
      hub: () => manager.hub as Hub | undefined,
      attachedUrl: () => (manager.connection?.mode === 'attached' && manager.connection.state === 'running' ? manager.connection.info().agentUrl || undefined : undefined),
      attachedClientIds: () => {
        const id = (manager.connection as { streamClient?: { id?: string | undefined } } | undefined)?.streamClient?.id;
        return id ? [id] : [];
      },
      logger: root.child('debug'),
      demoRunning: () => demo.running,
      agentUrl: () => manager.connection?.info().agentUrl,
      ready: () => ready,
    }),
  );

  // the demo fleet belongs to the hub it was started on: stop it when this window lets go of that hub
  context.subscriptions.push(
    toDisposable(
      manager.onDidSwapConnection((conn) => {
        if (!conn && demo.running) void demo.stop();
      }),
    ),
  );

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('switchboard')) return;
      try {
        // a secret typed into settings is moved out at once; clearing the setting fires a second, empty change
        const moved = await settings.migrateSecretSettings();
        const secretKeys = [Settings.token, Settings.rabbitmqUrl] as string[];
        const keys = changedRestartKeys((k) => !secretKeys.includes(k) && e.affectsConfiguration(`switchboard.${k}`));
        keys.push(...moved);
        const conn = manager.connection;
        if (keys.length && conn) {
          // attached: a new host or port means looking for the hub there (or starting one), which a restart does
          const what = conn.mode === 'local' ? 'Restart the hub to apply?' : 'Reconnect to apply?';
          const pick = await vscode.window.showInformationMessage(
            `Switchboard: ${keys.map((k) => `"${k}"`).join(', ')} changed. ${what}`,
            'Restart Hub',
          );
          if (pick === 'Restart Hub') await vscode.commands.executeCommand(Commands.restartHub);
        }
        if (e.affectsConfiguration('switchboard.hub.autoStart') && settings.read().autoStart && !manager.connection) {
          await vscode.commands.executeCommand(Commands.startHub);
        }
      } catch (err) {
        log.error(`applying a settings change failed: ${errorMessage(err)}`);
      }
    }),
  );
  const hubStart = performance.now();
  const ready: Promise<void> = settings
    .ready()
    .then(() => manager.startOrAttach(settings.read().autoStart))
    .then(
      (mode) => log.info(`startup: ${mode ?? 'no hub (autoStart is off)'} after ${Math.round(performance.now() - hubStart)} ms`),
      (err: unknown) => {
        log.error(`startup failed: ${errorMessage(err)}`);
        void showCommandError('Starting the Switchboard hub', err);
      },
    );

  teardown = async () => {
    await demo.stop().catch(() => undefined);
    await manager.dispose();
  };

  const activationMs = Math.round((performance.now() - t0) * 10) / 10;
  log.info(`activated in ${activationMs} ms`);

  return {
    ready: () => ready,
    // the manager only ever creates Hub instances (createHub above); HubLike is the part of Hub it relies on
    hub: () => manager.hub as Hub | undefined,
    connection: () => manager.connection,
    manager,
    agentsProvider,
    sessionsProvider,
    transportsProvider,
    topicsProvider,
    commands,
    statusBar: () => status.current,
    activationMs,
    approvals,
    lastRowLostNotice,
    openSecondWindow: async () => {
      const second = new HubManager(managerDeps(root.child('window2')));
      const mode = await second.startOrAttach(settings.read().autoStart);
      return { mode, manager: second, dispose: () => second.dispose() };
    },
  };
}

/** Stops the hub this window owns (agents get SHUTDOWN) and the demo fleet, and removes the hub file. */
export async function deactivate(): Promise<void> {
  const t = teardown;
  teardown = undefined;
  await t?.();
}
