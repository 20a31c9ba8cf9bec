// Every Switchboard command: small handlers that accept their inputs as arguments (tests, menus, other extensions)
// and ask through the UI only for what is missing. Each is wrapped so an error becomes a notification saying what
// to do, and is remembered for the test API.

import { distinctNames } from '../protocol/agentNames';
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { SwitchboardError, errorMessage } from '../protocol/errors';
import type { Logger } from '../protocol/logger';
import { agentIdFrom, rowLost, textFrom } from './commandArgs';
import { Commands, type CommandId } from './constants';
import { showCommandError, showRowLost } from './errors';
import type { DemoController } from './model/demoController';
import type { ControlAction } from '../protocol/messageTypes';
import type { AgentView, ExportFormat, HubConnection } from './model/hubConnection';
import { ReplyWatcher, broadcastSummary } from './model/replyWatcher';
import { youSession, type Conversation } from './model/youSession';
import { countPresence } from '../protocol/agentNames';
import type { HubManager } from './model/hubManager';
import type { SettingsReader } from './settings';

export interface CommandDeps {
  context: vscode.ExtensionContext;
  manager: HubManager;
  demo: DemoController;
  settings: SettingsReader;
  logger: Logger;
  output: vscode.LogOutputChannel;
  /** Opens (or focuses) the monitor panel, optionally on one agent. */
  openMonitor: (agentId?: string) => Promise<void>;
  /** Opens the hub's /monitor page in the browser; resolves with the address opened. */
  openMonitorInBrowser: () => Promise<string>;
  /** The monitor page's URL as the browser reaches it (forwarded in a remote window). */
  externalMonitorUrl: () => Promise<string>;
}

export interface CommandFailure {
  command: string;
  message: string;
  at: number;
}

/** Commands the Agents view's rows run (package.json view/item/context): run with a row VS Code lost, they do nothing. */
const ROW_COMMANDS: ReadonlySet<CommandId> = new Set([
  Commands.sendMessage,
  Commands.pauseAgent,
  Commands.resumeAgent,
  Commands.deregisterAgent,
  Commands.copyAgentId,
  Commands.revealInMonitor,
]);

const TITLES: Record<CommandId, string> = {
  [Commands.startHub]: 'Start Hub',
  [Commands.stopHub]: 'Stop Hub',
  [Commands.restartHub]: 'Restart Hub',
  [Commands.openMonitor]: 'Open Monitor',
  [Commands.openMonitorInBrowser]: 'Open Monitor in Browser',
  [Commands.sendMessage]: 'Send Message to Agent',
  [Commands.broadcast]: 'Broadcast Message',
  [Commands.pauseAgent]: 'Pause Agent',
  [Commands.resumeAgent]: 'Resume Agent',
  [Commands.deregisterAgent]: 'Deregister Agent',
  [Commands.copyAgentId]: 'Copy Agent Id',
  [Commands.revealInMonitor]: 'Reveal in Monitor',
  [Commands.startDemo]: 'Start Demo Agents',
  [Commands.stopDemo]: 'Stop Demo Agents',
  [Commands.copyAgentUrl]: 'Copy Agent Connection URL',
  [Commands.copyMonitorUrl]: 'Copy Monitor URL',
  [Commands.exportLog]: 'Export Event Log',
  [Commands.clearLog]: 'Clear Event Log',
  [Commands.setToken]: 'Set Hub Token',
  [Commands.showOutput]: 'Show Log',
  [Commands.openDocs]: 'Open Docs',
};

export class SwitchboardCommands {
  /** The last failure of any command (the extension-host tests read it through the test API). */
  lastFailure: CommandFailure | undefined;
  /** The text of the last reply notification Send showed ("coder: done"), for the extension-host tests. */
  lastReplyNotice: string | undefined;

  constructor(private readonly deps: CommandDeps) {}

  /** Registers every command; the returned disposables go into context.subscriptions. */
  register(): vscode.Disposable[] {
    const handlers: Record<CommandId, (...args: unknown[]) => Promise<unknown>> = {
      [Commands.startHub]: () => this.startHub(),
      [Commands.stopHub]: () => this.stopHub(),
      [Commands.restartHub]: () => this.restartHub(),
      [Commands.openMonitor]: (a) => this.deps.openMonitor(agentIdFrom(a)),
      [Commands.openMonitorInBrowser]: () => this.deps.openMonitorInBrowser(),
      [Commands.sendMessage]: (a, t) => this.sendMessage(a, t),
      [Commands.broadcast]: (t) => this.broadcast(t),
      [Commands.pauseAgent]: (a) => this.control('pause', a),
      [Commands.resumeAgent]: (a) => this.control('resume', a),
      [Commands.deregisterAgent]: (a) => this.control('deregister', a),
      [Commands.copyAgentId]: (a) => this.copyAgentId(a),
      [Commands.revealInMonitor]: (a) => this.revealInMonitor(a),
      [Commands.startDemo]: (n) => this.startDemo(n),
      [Commands.stopDemo]: () => this.stopDemo(),
      [Commands.copyAgentUrl]: () => this.copyAgentUrl(),
      [Commands.copyMonitorUrl]: () => this.copyMonitorUrl(),
      [Commands.exportLog]: (f, u) => this.exportLog(f, u),
      [Commands.clearLog]: (c) => this.clearLog(c),
      [Commands.setToken]: (t) => this.setToken(t),
      [Commands.showOutput]: async () => this.deps.output.show(true),
      [Commands.openDocs]: () => this.openDocs(),
    };
    return (Object.keys(handlers) as CommandId[]).map((id) =>
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        if (ROW_COMMANDS.has(id) && rowLost(args)) {
          this.deps.logger.warn(`${id}: run from a tree row VS Code no longer held; nothing done`);
          showRowLost(TITLES[id]);
          return undefined;
        }
        try {
          return await handlers[id](...args);
        } catch (err) {
          this.lastFailure = { command: id, message: errorMessage(err), at: Date.now() };
          this.deps.logger.error(`${id} failed: ${errorMessage(err)}`);
          void showCommandError(TITLES[id], err);
          return undefined;
        }
      }),
    );
  }

  private running(what: string): HubConnection {
    const conn = this.deps.manager.connection;
    if (!conn || conn.state !== 'running') {
      throw new SwitchboardError('shutdown', `Cannot ${what}: no hub is running. Run "Switchboard: Start Hub" first.`);
    }
    return conn;
  }

  async startHub(): Promise<string | undefined> {
    const mode = await this.deps.manager.startOrAttach(true);
    const info = this.deps.manager.connection?.info();
    if (mode === 'attached' && info) {
      void vscode.window.showInformationMessage(
        `A Switchboard hub already runs on port ${info.port}${info.ownerPid ? ` (pid ${info.ownerPid})` : ''}; this window shows its agents.`,
      );
    }
    return mode;
  }

  async stopHub(): Promise<void> {
    const conn = this.deps.manager.connection;
    await this.deps.demo.stop();
    await this.deps.manager.stop();
    if (conn?.mode === 'attached') {
      void vscode.window.showInformationMessage(
        'Detached from the hub of another window; that hub keeps running. Stop it from its own window.',
      );
    }
  }

  async restartHub(): Promise<string | undefined> {
    const wasDemo = this.deps.demo.running;
    const mode = await this.deps.manager.restart();
    // the agent URL survives a restart (stable port and token), so the demo agents reconnect on their own
    if (wasDemo && !this.deps.manager.connection) await this.deps.demo.stop();
    return mode;
  }

  /** Online (and paused, whose messages are held) agents for a quick pick; says so (information) when there are none. */
  private async pickAgent(
    conn: HubConnection,
    placeHolder: string,
    filter: (a: AgentView) => boolean,
    none: string,
  ): Promise<string | undefined> {
    const candidates = conn.agents().filter(filter);
    if (candidates.length === 0) {
      // nothing went wrong: there is just no agent to choose; offer the demo only when there are no agents at all
      if (conn.agents().length === 0) {
        void vscode.window.showInformationMessage(none, 'Start Demo Agents').then((b) => {
          if (b) void vscode.commands.executeCommand(Commands.startDemo);
        });
      } else void vscode.window.showInformationMessage(none);
      return undefined;
    }
    // same-named agents (old ones linger offline after a restart) told apart as in the tree
    const names = distinctNames(conn.agents());
    const picked = await vscode.window.showQuickPick(
      candidates.map((a) => ({
        label: names.get(a.agent_id) ?? (a.agent_name || a.agent_id),
        description: a.agent_id,
        detail: [a.status, a.last_status_text].filter(Boolean).join(' · '),
        agentId: a.agent_id,
      })),
      // kept open when focus moves: run from the monitor's webview, the picker otherwise closes as the webview takes the
      // focus back (seen in the workbench e2e: the Send picker vanished before anyone could pick)
      { placeHolder, matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true },
    );
    return picked?.agentId;
  }

  /** `switchboard.sendMessage(agentId?, text?)`: skips the UI for whatever is given; resolves with the message id. */
  async sendMessage(agentArg?: unknown, textArg?: unknown): Promise<string | undefined> {
    const conn = this.running('send a message');
    const agentId =
      agentIdFrom(agentArg) ??
      (await this.pickAgent(
        conn,
        'Send a message to which agent?',
        (a) => a.status !== 'offline',
        'No agent is online. Start your agents (or "Switchboard: Start Demo Agents") and try again.',
      ));
    if (!agentId) return undefined;
    const name = conn.agent(agentId)?.agent_name ?? agentId;
    const text =
      textFrom(textArg) ??
      (await vscode.window.showInputBox({ prompt: `Message to ${name}`, placeHolder: 'What should the agent do?', ignoreFocusOut: true }));
    if (text === undefined || text === '') return undefined;
    // the conversation is kept in the Sessions view under "You": the message, the agent's status lines, its reply
    const conversation = youSession.start(agentId, name, text);
    // listening before the send, so a reply quicker than the send's acknowledgement is not missed
    const status: { report?: (line: string) => void; last?: string } = {};
    const watcher = new ReplyWatcher(conn, agentId, (line) => {
      status.last = line;
      status.report?.(line);
      youSession.status(conversation, line);
    });
    let id: string;
    try {
      id = await conn.send({ receiver_id: agentId, text_payload: text });
    } catch (err) {
      watcher.cancel();
      youSession.fail(conversation, err instanceof Error ? err.message : String(err));
      throw err;
    }
    this.deps.logger.info(`sent ${id} to ${agentId}`);
    youSession.sent(conversation, id);
    watcher.expect(id);
    // resolves with the id at once (callers and tests do not wait for the agent); the reply shows when it comes
    void this.showReply(watcher, status, agentId, name, conversation);
    return id;
  }

  /** Progress with the agent's status lines while it works, then its reply with "Open in Monitor". */
  private async showReply(
    watcher: ReplyWatcher,
    status: { report?: (line: string) => void; last?: string },
    agentId: string,
    name: string,
    conversation: Conversation,
  ): Promise<void> {
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Waiting for ${name}`, cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => watcher.cancel());
        status.report = (line) => progress.report({ message: line });
        if (status.last) status.report(status.last);
        return watcher.wait(REPLY_WAIT_MS);
      },
    );
    status.report = undefined;
    youSession.settle(conversation, outcome);
    const open = 'Open in Monitor';
    let shown: Thenable<string | undefined> | undefined;
    if (outcome.kind === 'reply') {
      this.lastReplyNotice = `${name}: ${oneLine(outcome.text, 400)}`;
      shown = vscode.window.showInformationMessage(this.lastReplyNotice, open);
    }
    else if (outcome.kind === 'failed') shown = vscode.window.showWarningMessage(`Not delivered to ${name}: ${outcome.text}`, open);
    else if (outcome.kind === 'timeout')
      shown = vscode.window.showInformationMessage(`No reply from ${name} within ${REPLY_WAIT_MS / 1000} s; it will show in the monitor when it comes.`, open);
    if (shown && (await shown) === open) await this.deps.openMonitor(agentId);
  }

  async broadcast(textArg?: unknown): Promise<boolean> {
    const conn = this.running('broadcast');
    const text =
      textFrom(textArg) ?? (await vscode.window.showInputBox({ prompt: 'Message to every agent', ignoreFocusOut: true }));
    if (!text) return false;
    // who gets it is decided now: the online agents (paused and offline ones are skipped by the hub)
    const counts = countPresence(conn.agents());
    await conn.broadcast(text);
    void vscode.window.showInformationMessage(broadcastSummary(counts));
    return true;
  }

  async control(action: ControlAction, agentArg?: unknown): Promise<string | undefined> {
    const conn = this.running(`${action} an agent`);
    const filter: (a: AgentView) => boolean =
      action === 'pause' ? (a) => a.status === 'online' : action === 'resume' ? (a) => a.status === 'paused' : () => true;
    const agentId =
      agentIdFrom(agentArg) ??
      (await this.pickAgent(conn, `${action[0]!.toUpperCase()}${action.slice(1)} which agent?`, filter, `No agent can be ${action}d right now.`));
    if (!agentId) return undefined;
    if (action === 'deregister' && agentArg === undefined) {
      const ok = await vscode.window.showWarningMessage(
        `Deregister ${conn.agent(agentId)?.agent_name ?? agentId}? It is removed from the hub and must register again.`,
        { modal: true },
        'Deregister',
      );
      if (ok !== 'Deregister') return undefined;
    }
    await conn.control(action, agentId);
    return agentId;
  }

  async copyAgentId(agentArg?: unknown): Promise<string | undefined> {
    const conn = this.running('copy an agent id');
    const id = agentIdFrom(agentArg) ?? (await this.pickAgent(conn, 'Copy the id of which agent?', () => true, 'No agents yet.'));
    if (!id) return undefined;
    await vscode.env.clipboard.writeText(id);
    vscode.window.setStatusBarMessage(`$(copy) Copied ${id}`, 3000);
    return id;
  }

  async revealInMonitor(agentArg?: unknown): Promise<void> {
    await this.deps.openMonitor(agentIdFrom(agentArg));
  }

  async startDemo(countArg?: unknown): Promise<string[]> {
    const conn = this.running('start demo agents');
    const url = conn.info().agentUrl;
    const count = typeof countArg === 'number' && countArg > 0 ? Math.min(50, Math.round(countArg)) : this.deps.settings.demoCount();
    const ids = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Starting demo agents…' },
      () => this.deps.demo.start(url, count),
    );
    vscode.window.setStatusBarMessage(`$(rocket) ${ids.length} demo agents started`, 4000);
    return ids;
  }

  async stopDemo(): Promise<void> {
    await this.deps.demo.stop();
  }

  async copyAgentUrl(): Promise<string> {
    const url = this.running('copy the agent connection URL').info().agentUrl;
    await vscode.env.clipboard.writeText(url);
    void vscode.window.showInformationMessage(
      'Copied the agent connection URL. It contains the hub token: share it only with your own agents (e.g. SWITCHBOARD_URL).',
    );
    return url;
  }

  /** The monitor page's URL (it carries the token), as the browser reaches it: forwarded in a remote window. */
  async copyMonitorUrl(): Promise<string> {
    this.running('copy the monitor URL');
    const external = await this.deps.externalMonitorUrl();
    await vscode.env.clipboard.writeText(external);
    void vscode.window.showInformationMessage('Copied the monitor URL. It contains the hub token: open it in your own browser only.');
    return external;
  }

  /** `switchboard.exportLog(format?, uri?)`: 'ndjson' | 'csv', and a file Uri (or path) to skip the save dialog. */
  async exportLog(formatArg?: unknown, uriArg?: unknown): Promise<string | undefined> {
    const conn = this.deps.manager.connection;
    if (!conn) throw new SwitchboardError('shutdown', 'There is no event log: no hub is running. Run "Switchboard: Start Hub" first.');
    let format: ExportFormat | undefined = formatArg === 'csv' || formatArg === 'ndjson' ? formatArg : undefined;
    if (!format) {
      const pick = await vscode.window.showQuickPick(
        [
          { label: 'NDJSON', description: 'one JSON entry per line (complete)', format: 'ndjson' as const },
          { label: 'CSV', description: 'one row per entry (for spreadsheets)', format: 'csv' as const },
        ],
        { placeHolder: 'Export the event log as…' },
      );
      format = pick?.format;
    }
    if (!format) return undefined;
    let uri: vscode.Uri | undefined =
      uriArg instanceof vscode.Uri ? uriArg : typeof uriArg === 'string' && uriArg ? vscode.Uri.file(uriArg) : undefined;
    if (!uri) {
      const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
      const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
      uri = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.joinPath(base, `switchboard-events-${stamp}.${format}`),
        filters: format === 'csv' ? { CSV: ['csv'] } : { NDJSON: ['ndjson', 'jsonl'] },
        saveLabel: 'Export',
      });
    }
    if (!uri) return undefined;
    const text = await conn.exportLog(format);
    await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
    const lines = text ? text.split('\n').filter(Boolean).length : 0;
    void vscode.window.showInformationMessage(`Exported ${format === 'csv' ? Math.max(0, lines - 1) : lines} entries to ${uri.fsPath}.`);
    return uri.fsPath;
  }

  /** `switchboard.clearLog(skipConfirm?)`. */
  async clearLog(skipConfirm?: unknown): Promise<boolean> {
    const conn = this.deps.manager.connection;
    if (!conn) return false;
    if (skipConfirm !== true) {
      const detail =
        conn.mode === 'local'
          ? 'The in-memory event log is emptied; files already written to the log folder are kept.'
          : 'Only what this window received is forgotten; the owning window keeps its log.';
      const ok = await vscode.window.showWarningMessage('Clear the event log?', { modal: true, detail }, 'Clear');
      if (ok !== 'Clear') return false;
    }
    await conn.clearLog();
    return true;
  }

  async setToken(tokenArg?: unknown): Promise<boolean> {
    const token =
      textFrom(tokenArg) ??
      (await vscode.window.showInputBox({
        prompt: 'Hub token (kept in VS Code SecretStorage). Leave empty to go back to a generated token.',
        password: true,
        ignoreFocusOut: true,
      }));
    if (token === undefined) return false;
    await this.deps.settings.setToken(token.trim());
    const conn = this.deps.manager.connection;
    if (conn?.mode === 'local' || !conn) {
      const pick = await vscode.window.showInformationMessage('Token saved. Restart the hub to use it?', 'Restart Hub');
      if (pick === 'Restart Hub') await this.restartHub();
    } else {
      await this.restartHub();
    }
    return true;
  }

  /** The README shipped with the extension (vsce stores it as readme.md). */
  async openDocs(): Promise<void> {
    for (const name of ['README.md', 'readme.md']) {
      const readme = vscode.Uri.joinPath(this.deps.context.extensionUri, name);
      try {
        await vscode.workspace.fs.stat(readme);
      } catch {
        continue;
      }
      await vscode.commands.executeCommand('markdown.showPreview', readme);
      return;
    }
    throw new SwitchboardError('internal', 'This installation has no README. Reinstall the extension from its .vsix to get the documentation.');
  }
}

/** How long "Send Message to Agent" waits for the reply before it says where the reply will show. */
const REPLY_WAIT_MS = 120_000;

function oneLine(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}
