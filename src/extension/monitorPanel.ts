// The Monitor as a VS Code WebviewPanel: renders the shared monitor document under a strict CSP, waits for the
// webview's `ready` before posting anything, relays the MonitorSource's data in batches and its commands back,
// and survives a window reload through a panel serializer.

import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../protocol/logger';
import { errorMessage } from '../protocol/errors';
import {
  HostNotification,
  parseWebviewCommand,
  WebviewCommand,
  type HostToWebview,
  type MonitorSource,
  type ReconstructionActionCommand,
  type ReconstructionNotification,
  type WebviewToHost,
} from '../protocol/webviewMessages';
import { monitorWebviewCsp, renderMonitorDocument } from '../hub/monitorPage';
import { DisposableBase, toDisposable } from './lifecycle';
import { EntryBatcher } from './monitorPanelBatcher';

export const MONITOR_VIEW_TYPE = 'switchboard.monitor';
const TITLE = 'Switchboard Monitor';
/** Entries in the snapshot a (re)loaded webview starts from; live entries follow in batches. */
const SNAPSHOT_ENTRIES = 5_000;

/** Carries out a button of the reconstruction report; resolves with a short result for the webview's toast. */
export type ReconstructionActionHandler = (cmd: ReconstructionActionCommand) => Promise<string | undefined>;

export class MonitorPanel extends DisposableBase {
  private static current: MonitorPanel | undefined;
  private ready = false;
  private readonly batcher: EntryBatcher;
  private pendingReveal: string | undefined;
  /** Every agent's stream while the webview is ready; renewed with each snapshot so a (re)loaded webview starts fresh. */
  private streamSub: { dispose(): void } | undefined;
  private debugSub: { dispose(): void } | undefined;
  /** The report shown (re-sent after the webview reloads); `focus` until the webview has switched to it once. */
  private reconstruction: ReconstructionNotification | undefined;
  /** Set by the reconstruction commands (reconstructCommand.ts). */
  static reconstructionActions: ReconstructionActionHandler | undefined;

  /** Shows the one Monitor panel, creating it in the active column if needed. */
  static createOrShow(context: vscode.ExtensionContext, source: MonitorSource, logger?: Logger): MonitorPanel {
    if (MonitorPanel.current) {
      MonitorPanel.current.panel.reveal(undefined, false);
      return MonitorPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      MONITOR_VIEW_TYPE,
      TITLE,
      { viewColumn: vscode.window.activeTextEditor?.viewColumn ?? vscode.ViewColumn.One, preserveFocus: false },
      webviewOptions(context.extensionUri),
    );
    MonitorPanel.current = new MonitorPanel(panel, context.extensionUri, source, logger);
    return MonitorPanel.current;
  }

  /** The open panel, if any (e.g. for "Reveal in Monitor" without stealing focus). */
  static get instance(): MonitorPanel | undefined {
    return MonitorPanel.current;
  }

  /** Adopts a panel VS Code restored after a reload. */
  static revive(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, source: MonitorSource, logger?: Logger): MonitorPanel {
    MonitorPanel.current?.dispose();
    panel.webview.options = webviewOptions(context.extensionUri);
    MonitorPanel.current = new MonitorPanel(panel, context.extensionUri, source, logger);
    return MonitorPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly source: MonitorSource,
    private readonly logger?: Logger,
  ) {
    super();
    this.batcher = new EntryBatcher((entries, dropped) =>
      this.post({ type: HostNotification.Entries, entries, ...(dropped ? { dropped } : {}) }),
    );
    this._register(toDisposable(() => this.batcher.dispose()));
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    // Without retainContextWhenHidden a hidden webview is torn down; it says `ready` again when shown.
    this._register(
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.setReady(false);
      }),
    );
    this._register(source.onEntries((entries) => this.batcher.push(entries)));
    this._register(source.onAgents((agents, full) => this.ready && this.post({ type: HostNotification.Agents, agents, full })));
    this._register(source.onHub(() => this.ready && this.postSnapshot()));
    this._register(toDisposable(() => this.streamSub?.dispose()));
    this._register(toDisposable(() => this.debugSub?.dispose()));
    panel.webview.html = this.html();
  }

  /** Opens an agent's detail pane (now if the webview is ready, else right after its snapshot). */
  revealAgent(agentId: string): void {
    if (this.ready) this.post({ type: HostNotification.RevealAgent, agent_id: agentId });
    else this.pendingReveal = agentId;
  }

  /** Shows a reconstruction report in the monitor (now if the webview is ready, else right after its snapshot). */
  showReconstruction(n: ReconstructionNotification): void {
    this.reconstruction = { ...n, focus: n.focus !== false };
    if (this.ready) {
      this.post(this.reconstruction);
      this.reconstruction = { ...this.reconstruction, focus: false };
    }
  }

  override dispose(): void {
    if (MonitorPanel.current === this) MonitorPanel.current = undefined;
    const wasDisposed = this.isDisposed;
    super.dispose();
    if (!wasDisposed) this.panel.dispose();
  }

  private setReady(ready: boolean): void {
    this.ready = ready;
    this.batcher.setOpen(ready);
    if (ready) this.subscribeStreams();
    else {
      this.streamSub?.dispose();
      this.streamSub = undefined;
      this.debugSub?.dispose();
      this.debugSub = undefined;
    }
  }

  /** (Re)subscribes to every agent's stream: SNAPSHOTs come at once, then DIFFs, events and RESYNCs. */
  private subscribeStreams(): void {
    this.streamSub?.dispose();
    this.streamSub = this.source.onAgentStream?.((frame) => {
      if (this.ready) this.post({ type: HostNotification.AgentStream, frame });
    });
    this.debugSub?.dispose();
    this.debugSub = this.source.onDebugger?.((frame) => {
      if (this.ready) this.post({ type: HostNotification.Debugger, frame });
    });
  }

  private post(n: HostToWebview): void {
    if (this.isDisposed) return;
    void this.panel.webview.postMessage(n).then(undefined, (err: unknown) => {
      this.logger?.warn(`monitor: postMessage failed: ${errorMessage(err)}`);
    });
  }

  private postSnapshot(): void {
    this.batcher.reset();
    try {
      const snap = this.source.snapshot(SNAPSHOT_ENTRIES);
      this.post({ type: HostNotification.Snapshot, hub: snap.hub, agents: snap.agents, entries: snap.entries });
      // the webview forgets its streams on a Snapshot: send fresh ones after it
      if (this.ready) this.subscribeStreams();
    } catch (err) {
      // the panel still works with live data; the person sees the hub state from the next change
      this.logger?.warn(`monitor: could not read the hub's snapshot: ${errorMessage(err)}`);
    }
  }

  private onMessage(raw: unknown): void {
    const cmd = parseWebviewCommand(raw);
    if (!cmd) {
      this.logger?.warn('monitor: ignored a malformed message from the webview');
      return;
    }
    void this.handle(cmd);
  }

  private async handle(cmd: WebviewToHost): Promise<void> {
    switch (cmd.type) {
      case WebviewCommand.Ready:
        this.setReady(false); // a reloaded webview: drop what was queued for the old one
        this.postSnapshot();
        this.setReady(true);
        if (this.pendingReveal) {
          this.post({ type: HostNotification.RevealAgent, agent_id: this.pendingReveal });
          this.pendingReveal = undefined;
        }
        if (this.reconstruction) {
          this.post(this.reconstruction);
          this.reconstruction = { ...this.reconstruction, focus: false };
        }
        return;
      case WebviewCommand.RequestSnapshot:
        if (this.ready) this.postSnapshot();
        return;
      case WebviewCommand.SendMessage:
        try {
          const id = await this.source.sendMessage(cmd.message);
          this.post({ type: HostNotification.CommandResult, request_id: cmd.request_id, ok: true, detail: id });
        } catch (err) {
          this.post({ type: HostNotification.CommandResult, request_id: cmd.request_id, ok: false, detail: errorMessage(err) });
        }
        return;
      case WebviewCommand.ControlAgent:
        try {
          await this.source.controlAgent(cmd.action, cmd.agent_id);
          this.post({ type: HostNotification.CommandResult, request_id: cmd.request_id, ok: true });
        } catch (err) {
          this.post({ type: HostNotification.CommandResult, request_id: cmd.request_id, ok: false, detail: errorMessage(err) });
        }
        return;
      case WebviewCommand.ReportError:
        this.logger?.warn(`monitor webview: ${cmd.message}`);
        return;
      case WebviewCommand.DecideApproval:
        try {
          if (!this.source.decideApproval) throw new Error('Tool approvals are not available in this window.');
          await this.source.decideApproval(cmd.approval_id, cmd.approved, cmd.note);
          this.post({ type: HostNotification.CommandResult, request_id: cmd.request_id, ok: true, detail: cmd.approved ? 'approved' : 'denied' });
        } catch (err) {
          this.post({ type: HostNotification.CommandResult, request_id: cmd.request_id, ok: false, detail: errorMessage(err) });
        }
        return;
      case WebviewCommand.Debug:
        try {
          if (!this.source.debugCommand) throw new Error('The message debugger is not available in this window.');
          await this.source.debugCommand(cmd.frame);
          this.post({ type: HostNotification.CommandResult, request_id: cmd.request_id, ok: true, detail: 'done' });
        } catch (err) {
          this.post({ type: HostNotification.CommandResult, request_id: cmd.request_id, ok: false, detail: errorMessage(err) });
        }
        return;
      case WebviewCommand.LoadTopicHistory:
        try {
          if (!this.source.topicHistory) throw new Error('Topic history is not available in this window.');
          const messages = await this.source.topicHistory(cmd.topic, cmd.before_id, cmd.limit);
          this.post({ type: HostNotification.TopicHistory, request_id: cmd.request_id, topic: cmd.topic, limit: cmd.limit, messages });
        } catch (err) {
          this.post({ type: HostNotification.CommandResult, request_id: cmd.request_id, ok: false, detail: errorMessage(err) });
        }
        return;
      case WebviewCommand.ReconstructionAction:
        try {
          const handler = MonitorPanel.reconstructionActions;
          if (!handler) throw new Error('Reconstruction is not available in this window.');
          const detail = await handler(cmd);
          this.post({ type: HostNotification.CommandResult, request_id: cmd.request_id, ok: true, ...(detail ? { detail } : {}) });
        } catch (err) {
          this.post({ type: HostNotification.CommandResult, request_id: cmd.request_id, ok: false, detail: errorMessage(err) });
        }
        return;
    }
  }

  private html(): string {
    const webview = this.panel.webview;
    const asset = (file: string): string => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', file)).toString();
    const nonce = randomBytes(16).toString('base64');
    return renderMonitorDocument({
      title: TITLE,
      nonce,
      csp: monitorWebviewCsp(webview.cspSource, nonce),
      scriptSrc: asset('monitor.js'),
      styleHrefs: { codicons: asset('codicon.css'), monitor: asset('monitor.css') },
    });
  }
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/** Restores the Monitor after a window reload (needs "onWebviewPanel:switchboard.monitor" in activationEvents). */
export function registerMonitorSerializer(context: vscode.ExtensionContext, source: MonitorSource, logger?: Logger): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(MONITOR_VIEW_TYPE, {
    deserializeWebviewPanel: async (panel: vscode.WebviewPanel): Promise<void> => {
      MonitorPanel.revive(panel, context, source, logger);
    },
  });
}
