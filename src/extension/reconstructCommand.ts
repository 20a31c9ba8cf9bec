// "Reconstruct Agent Context" in VS Code: pick an agent (offline first), ask its peers with a cancellable progress
// notification, show the report in the Monitor, then copy/save it, hand it to a replacement agent, or summarise it with
// a language model (only with the person's consent, and only where VS Code has one). Also keeps reconstruction attached
// to the hub this window owns, so REGISTER_AGENT {restore_from} is answered, and can offer a reconstruction when an
// agent drops offline without deregistering.

import * as vscode from 'vscode';
import type { Hub } from '../hub/hub';
import type { Logger } from '../protocol/logger';
import type { ReconstructionT } from '../protocol/contextSchemas';
import { SwitchboardError, errorMessage } from '../protocol/errors';
// the reconstruction code pulls in the broker clients (kafkajs, amqplib): loaded on first use, not at activation
import type { HubReconstruction } from '../reconstruction/hubReconstruction';
import type { ReconstructOptions } from '../reconstruction/reconstructor';
import { HostNotification, type ReconstructionActionCommand, type ReconstructionSummary } from '../protocol/webviewMessages';
import type { HubManager } from './model/hubManager';
import type { AgentView, HubConnection } from './model/hubConnection';
import { agentIdFrom, rowLost } from './commandArgs';
import { showCommandError, showRowLost } from './errors';
import { Commands, ReconstructCommands, Settings } from './constants';
import { MonitorPanel } from './monitorPanel';
import { DropDetector } from './reconstructOffer';
import { buildSummaryPrompt } from './reconstructPrompt';

/** Results kept for the Monitor's buttons (each report's buttons name its request id); the oldest go first. */
const MAX_RECENT = 10;
/** A DEREGISTER_AGENT this recent means the agent left on purpose: no offer to reconstruct it. */
const DEREGISTER_GRACE_MS = 30_000;

/** What "Summarise" came to: the summary, or why there is none (said plainly to the person too). */
export interface SummariseOutcome {
  ok: boolean;
  model?: string;
  text?: string;
  message?: string;
}

export interface ReconstructDeps {
  manager: HubManager;
  logger: Logger;
}

interface RunOptions {
  timeoutMs?: number;
  threadId?: string;
  /** false: no report document, no notification (tests, other extensions). */
  show?: boolean;
}

export function registerReconstruction(deps: ReconstructDeps): vscode.Disposable[] {
  const ctl = new ReconstructController(deps);
  return [
    ctl,
    vscode.commands.registerCommand(ReconstructCommands.reconstructAgent, (...args: unknown[]) => {
      // from an agent row's menu: that agent, never a pick of another (see rowLost)
      if (rowLost(args)) {
        deps.logger.warn('reconstructAgent: run from a tree row VS Code no longer held; nothing done');
        showRowLost('Reconstruct Agent Context');
        return undefined;
      }
      return ctl.command(args[0], (args[1] ?? undefined) as RunOptions | undefined);
    }),
    vscode.commands.registerCommand(ReconstructCommands.handOverReconstruction, (result?: ReconstructionT, agentId?: unknown) =>
      ctl.handOverCommand(result, agentId),
    ),
    vscode.commands.registerCommand(ReconstructCommands.summariseReconstruction, (result?: ReconstructionT) => ctl.summariseCommand(result)),
  ];
}

class ReconstructController implements vscode.Disposable {
  private local: { hub: Hub; attached: Promise<HubReconstruction> } | undefined;
  private last: ReconstructionT | undefined;
  private readonly recent = new Map<string, { r: ReconstructionT; summary?: ReconstructionSummary }>();
  private readonly unsubs: (() => void)[] = [];
  private watched: (() => void) | undefined;
  private readonly drops = new DropDetector();

  constructor(private readonly deps: ReconstructDeps) {
    this.unsubs.push(this.deps.manager.onDidSwapConnection((conn) => this.swapped(conn)));
    this.swapped(this.deps.manager.connection);
    MonitorPanel.reconstructionActions = (cmd) => this.monitorAction(cmd);
  }

  dispose(): void {
    if (MonitorPanel.reconstructionActions) MonitorPanel.reconstructionActions = undefined;
    for (const u of this.unsubs.splice(0)) u();
    this.watched?.();
    void this.releaseLocal();
  }

  async command(arg?: unknown, opts: RunOptions = {}): Promise<ReconstructionT | undefined> {
    try {
      const conn = this.deps.manager.connection;
      if (!conn || conn.state !== 'running') throw new SwitchboardError('not_connected', 'No hub is running in this window. Run "Switchboard: Start Hub" first.');
      const agentId = agentIdFrom(arg) ?? (await this.pick(conn, 'Reconstruct the context of which agent? (offline agents first)', () => true));
      if (!agentId) return undefined;
      const r = await this.withProgress(conn, agentId, opts);
      if (!r) return undefined;
      this.remember(r);
      if (opts.show !== false) await this.present(r);
      return r;
    } catch (err) {
      if (opts.show === false) throw err;
      await showCommandError('Reconstructing the agent context', err);
      return undefined;
    }
  }

  async handOverCommand(result?: ReconstructionT, agentArg?: unknown): Promise<boolean> {
    try {
      const r = result ?? this.last;
      if (!r) throw new SwitchboardError('invalid_message', 'Nothing to hand over yet: run "Reconstruct Agent Context" first.');
      const conn = this.deps.manager.connection;
      const hub = this.deps.manager.hub as Hub | undefined;
      if (!conn || !hub || conn.mode !== 'local') {
        throw new SwitchboardError('forbidden', 'Handing over needs the hub to run in this window (this window only watches another one).');
      }
      const target =
        agentIdFrom(agentArg) ??
        (await this.pick(conn, `Hand the context of ${r.failed_agent_id} to which agent?`, (a) => a.status !== 'offline' && a.agent_id !== r.failed_agent_id));
      if (!target) return false;
      (await this.localReconstruction(hub)).handOver(r, target);
      const label = (id: string): string => conn.agent(id)?.agent_name || id;
      void vscode.window.showInformationMessage(
        `Switchboard: sent the context of ${label(r.failed_agent_id)} (${r.failed_agent_id}) to ${label(target)} (${target}) as RESTORE_CONTEXT.`,
      );
      return true;
    } catch (err) {
      await showCommandError('Handing over the reconstruction', err);
      return false;
    }
  }

  private withProgress(conn: HubConnection, agentId: string, opts: RunOptions): Promise<ReconstructionT | undefined> {
    const name = conn.agent(agentId)?.agent_name ?? agentId;
    return Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Reconstructing ${name}`, cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          const sub = token.onCancellationRequested(() => abort.abort());
          let shown = 0;
          progress.report({ message: 'asking its peers…' });
          const ro: ReconstructOptions = {
            signal: abort.signal,
            ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
            ...(opts.threadId ? { threadId: opts.threadId } : {}),
            onProgress: (p) => {
              const pct = p.queried > 0 ? (100 * p.answered) / p.queried : 0;
              progress.report({ message: `${p.answered} of ${p.queried} peers answered`, increment: Math.max(0, pct - shown) });
              shown = Math.max(shown, pct);
            },
          };
          try {
            const r = await this.reconstruct(conn, agentId, ro);
            return r.finished === 'cancelled' ? undefined : r;
          } finally {
            sub.dispose();
          }
        },
      ),
    );
  }

  /** The hub in this window reconstructs in-process; an attached window asks the owner's hub over its socket. */
  private async reconstruct(conn: HubConnection, agentId: string, opts: ReconstructOptions): Promise<ReconstructionT> {
    const hub = this.deps.manager.hub as Hub | undefined;
    if (conn.mode === 'local' && hub) return (await this.localReconstruction(hub)).reconstruct(agentId, opts);
    const { WebSocketContextTransport } = await import('../cli/websocketContextTransport');
    const { Reconstructor } = await import('../reconstruction/reconstructor');
    const transport = new WebSocketContextTransport({ url: conn.info().agentUrl, name: 'VS Code reconstruct', logger: this.deps.logger });
    const rec = new Reconstructor({ transport, source: transport.source(), logger: this.deps.logger });
    try {
      return await rec.reconstruct(agentId, opts);
    } finally {
      await rec.close();
    }
  }

  private remember(r: ReconstructionT, summary?: ReconstructionSummary): void {
    this.last = r;
    this.recent.delete(r.request_id);
    this.recent.set(r.request_id, { r, ...(summary ? { summary } : {}) });
    while (this.recent.size > MAX_RECENT) this.recent.delete(this.recent.keys().next().value!);
  }

  /** The report goes to the Monitor's Reconstruction pane (opened if needed), where its buttons act on it. */
  private async present(r: ReconstructionT, summary?: ReconstructionSummary): Promise<void> {
    await vscode.commands.executeCommand(Commands.openMonitor);
    const panel = MonitorPanel.instance;
    if (!panel) throw new SwitchboardError('shutdown', 'The Monitor did not open; run "Switchboard: Open Monitor" and try again.');
    panel.showReconstruction({ type: HostNotification.Reconstruction, reconstruction: r, ...(summary ? { summary } : {}) });
    const n = r.unanswered_messages.length;
    this.deps.logger.info(
      `reconstructed ${r.failed_agent_id}: ${r.peers_answered.length} of ${r.peer_agents_queried.length} peers answered, ` +
        `${n} unanswered, ${r.finished} after ${r.duration_ms} ms`,
    );
  }

  /** A button of the report in the Monitor; the answer becomes the webview's toast. */
  private async monitorAction(cmd: ReconstructionActionCommand): Promise<string | undefined> {
    const held = this.recent.get(cmd.reconstruction_id);
    if (!held) throw new SwitchboardError('invalid_message', 'This report is no longer held; run "Reconstruct Agent Context" again.');
    const r = held.r;
    switch (cmd.action) {
      case 'copyJson':
        await vscode.env.clipboard.writeText(JSON.stringify(r, null, 2));
        return 'copied to the clipboard';
      case 'save': {
        const where = await this.save(r);
        return where ? `saved to ${where}` : 'not saved';
      }
      case 'handOver':
        return (await this.handOverCommand(r)) ? 'RESTORE_CONTEXT sent' : 'not handed over';
      case 'summarise': {
        const out = await this.summariseCommand(r);
        // the notification says it in full; the Monitor's toast needs the gist
        if (!out.ok) throw new Error(/no language model/i.test(out.message ?? '') ? 'No language model is available in this VS Code; nothing was sent.' : (out.message ?? 'no summary'));
        return `summary by ${out.model}`;
      }
    }
  }

  private async save(r: ReconstructionT): Promise<string | undefined> {
    const base = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = await vscode.window.showSaveDialog({
      filters: { JSON: ['json'] },
      saveLabel: 'Save Reconstruction',
      ...(base ? { defaultUri: vscode.Uri.joinPath(base, `reconstruction-${r.failed_agent_id}.json`) } : {}),
    });
    if (!uri) return undefined;
    await vscode.workspace.fs.writeFile(uri, Buffer.from(JSON.stringify(r, null, 2) + '\n', 'utf8'));
    return uri.fsPath;
  }

  /**
   * Asks a VS Code language model for a prose summary — only after the person agrees (a modal that says what is sent
   * and to which model). Where VS Code has no model (code-server, no chat extension) it says so plainly.
   */
  async summariseCommand(result?: ReconstructionT): Promise<SummariseOutcome> {
    const r = result ?? this.last;
    if (!r) {
      const message = 'Nothing to summarise yet: run "Switchboard: Reconstruct Agent Context" first.';
      void vscode.window.showInformationMessage(`Switchboard: ${message}`);
      return { ok: false, message };
    }
    let models: vscode.LanguageModelChat[] = [];
    try {
      // the lm namespace is missing in hosts without language model support
      models = typeof vscode.lm?.selectChatModels === 'function' ? await vscode.lm.selectChatModels() : [];
    } catch (err) {
      this.deps.logger.warn(`language models unavailable: ${errorMessage(err)}`);
    }
    const model = models[0];
    if (!model) {
      const message =
        'No language model is available in this VS Code, so the reconstruction cannot be summarised here. ' +
        'The report in the Monitor is complete without it; a chat extension that provides a model (e.g. GitHub Copilot Chat) enables this.';
      void vscode.window.showInformationMessage(`Switchboard: ${message}`);
      return { ok: false, message };
    }
    const sent = buildSummaryPrompt(r);
    const consent = await vscode.window.showWarningMessage(
      `Send the reconstruction of ${r.failed_agent_id} to the language model "${model.name}" (${model.vendor})?`,
      {
        modal: true,
        detail:
          `What is sent: ${sent.timelineSent} timeline messages with their full text and payloads` +
          `${sent.timelineLeftOut ? ` (the newest; ${sent.timelineLeftOut} older ones are left out to fit)` : ''}, ` +
          `${sent.unansweredSent} unanswered messages, the last status line and ${sent.memoryStates} peer memory states. ` +
          'Nothing is sent unless you choose Send.',
      },
      'Send',
    );
    if (consent !== 'Send') return { ok: false, message: 'Not sent: you declined.' };
    const prompt = sent.prompt;
    const cts = new vscode.CancellationTokenSource();
    try {
      const res = await model.sendRequest([vscode.LanguageModelChatMessage.User(prompt)], {}, cts.token);
      let text = '';
      for await (const chunk of res.text) text += chunk;
      const summary: ReconstructionSummary = { model: model.name, text };
      this.remember(r, summary);
      await this.present(r, summary);
      return { ok: true, model: model.name, text };
    } catch (err) {
      await showCommandError('Summarising the reconstruction', err);
      return { ok: false, message: errorMessage(err) };
    } finally {
      cts.dispose();
    }
  }

  private async pick(conn: HubConnection, placeHolder: string, filter: (a: AgentView) => boolean): Promise<string | undefined> {
    const rank = (a: AgentView): number => (a.status === 'offline' ? 0 : a.status === 'paused' ? 1 : 2);
    const candidates = conn.agents().filter(filter).slice().sort((a, b) => rank(a) - rank(b) || a.agent_name.localeCompare(b.agent_name));
    if (candidates.length === 0) throw new SwitchboardError('unknown_receiver', 'The hub knows no agent to choose from.');
    // The plain name, not the tree's "coder (ebd1)": typing filters and VS Code then sorts matches by label, which
    // would shuffle same-named agents by their id suffix and lose the offline-first order people pick by here. The
    // id and presence in the description tell them apart.
    const picked = await vscode.window.showQuickPick(
      candidates.map((a) => ({
        label: a.agent_name || a.agent_id,
        description: `${a.agent_id} · ${a.status}`,
        detail: a.last_status_text ?? undefined,
        agentId: a.agent_id,
      })),
      { placeHolder, matchOnDescription: true, ignoreFocusOut: true }, // see pickAgent in commands.ts
    );
    return picked?.agentId;
  }

  private localReconstruction(hub: Hub): Promise<HubReconstruction> {
    if (this.local?.hub !== hub) {
      void this.releaseLocal();
      const attached = import('../reconstruction/hubReconstruction').then(({ HubReconstruction }) => HubReconstruction.attach(hub, { logger: this.deps.logger }));
      this.local = { hub, attached };
      this.local.attached.catch((err: unknown) => {
        this.deps.logger.warn(`context reconstruction unavailable: ${errorMessage(err)}`);
        this.local = undefined;
      });
    }
    return this.local.attached;
  }

  private async releaseLocal(): Promise<void> {
    const l = this.local;
    this.local = undefined;
    if (l) await (await l.attached.catch(() => undefined))?.close();
  }

  /** A new connection: attach reconstruction to a local hub (restore_from), and watch for agents dropping. */
  private swapped(conn: HubConnection | undefined): void {
    this.watched?.();
    this.watched = undefined;
    const hub = this.deps.manager.hub as Hub | undefined;
    if (conn?.mode === 'local' && hub) void this.localReconstruction(hub).catch(() => undefined);
    else void this.releaseLocal();
    if (!conn) return;
    this.drops.reset(conn.agents());
    this.watched = conn.onAgents((changed) => {
      const dropped = this.drops.dropped(changed);
      // a stopping hub takes every agent offline with it: that is no crash to reconstruct
      if (dropped.length && conn.state === 'running') void this.offer(dropped);
    });
  }

  /** An agent that sent DEREGISTER_AGENT left on purpose; only the local hub's log can tell. */
  private deregisteredLately(agentId: string): boolean {
    const hub = this.deps.manager.hub as Hub | undefined;
    if (!hub) return false;
    try {
      const since = Date.now() - DEREGISTER_GRACE_MS;
      return hub.log.query({ agent_id: agentId, message_type: ['DEREGISTER_AGENT'], since, limit: 1 }).length > 0;
    } catch {
      return false;
    }
  }

  /** One notification per change, however many agents it took offline (a fleet dropping must not flood the screen). */
  private async offer(dropped: AgentView[]): Promise<void> {
    if (!vscode.workspace.getConfiguration(Settings.section).get<boolean>(Settings.reconstructionOffer, false)) return;
    const crashed = dropped.filter((a) => !this.deregisteredLately(a.agent_id));
    const only = crashed[0];
    if (!only) return;
    if (crashed.length === 1) {
      const pick = await vscode.window.showInformationMessage(
        `Switchboard: ${only.agent_name} (${only.agent_id}) went offline without deregistering. Reconstruct its context from its peers?`,
        'Reconstruct',
      );
      if (pick === 'Reconstruct') await this.command(only.agent_id);
      return;
    }
    const names = crashed.slice(0, 5).map((a) => a.agent_name || a.agent_id).join(', ') + (crashed.length > 5 ? ', …' : '');
    const pick = await vscode.window.showInformationMessage(
      `Switchboard: ${crashed.length} agents went offline without deregistering (${names}). Reconstruct the context of one of them?`,
      'Reconstruct…',
    );
    if (pick === 'Reconstruct…') await this.command();
  }
}
