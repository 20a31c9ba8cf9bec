// Tool approvals in VS Code (seed 003): a notification for each new request (Approve / Deny / Show), the "Approve
// Tool Call" and "Deny Tool Call" commands (an id, a tree row, or a quick pick of what is pending), and a status bar
// item with the count while any wait. The Agents tree shows them through the same ApprovalsModel.

import * as vscode from 'vscode';
import { errorMessage } from '../protocol/errors';
import type { PendingApprovalT } from '../protocol/agentStreams';
import type { Logger } from '../protocol/logger';
import { ApprovalCommands } from './constants';
import { DisposableBase, toDisposable } from './lifecycle';
import { rowLost } from './commandArgs';
import { showRowLost } from './errors';
import { ApprovalsModel, approvalIdOf, approvalNotice, describeCall } from './model/approvalsModel';
import type { HubManager } from './model/hubManager';

export interface ApprovalsDeps {
  manager: HubManager;
  logger: Logger;
  /** The approvals changed: the Agents tree redraws its "Pending approvals" nodes. */
  onChanged(): void;
}

export class ApprovalsPresenter extends DisposableBase {
  readonly model: ApprovalsModel;
  private readonly item: vscode.StatusBarItem;
  /** Approval ids a notification was shown for (the extension-host test reads it). */
  readonly notified: string[] = [];

  constructor(private readonly deps: ApprovalsDeps) {
    super();
    this.model = new ApprovalsModel(deps.manager, (err) => deps.logger.warn(`approvals: ${errorMessage(err)}`));
    this._register(toDisposable(() => this.model.dispose()));
    this.item = this._register(vscode.window.createStatusBarItem('switchboard.approvals', vscode.StatusBarAlignment.Left, 49));
    this.item.name = 'Switchboard tool approvals';
    this.item.command = ApprovalCommands.approveToolCall;
    this._register(toDisposable(this.model.onDidChange((c) => {
      this.update();
      deps.onChanged();
      if (c.kind === 'requested') void this.notify(c.approval);
    })));
    this._register(toDisposable(deps.manager.onDidSwapConnection(() => {
      this.update();
      deps.onChanged();
    })));
    this._register(vscode.commands.registerCommand(ApprovalCommands.approveToolCall, (...args: unknown[]) => this.command(true, args)));
    this._register(vscode.commands.registerCommand(ApprovalCommands.denyToolCall, (...args: unknown[]) => this.command(false, args)));
    this.update();
  }

  /** Pending approvals now (the status bar shows this count). */
  get count(): number {
    return this.model.pending().length;
  }

  /** The status bar text while approvals wait, else undefined (hidden). */
  get statusText(): string | undefined {
    const n = this.count;
    return n > 0 ? `$(shield) ${n} approval${n === 1 ? '' : 's'}` : undefined;
  }

  private update(): void {
    const text = this.statusText;
    if (!text) {
      this.item.hide();
      return;
    }
    this.item.text = text;
    this.item.tooltip = `Agents wait on ${this.count} tool call(s): click to approve one (or use "Deny Tool Call").`;
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    this.item.show();
  }

  private agentName(agentId: string): string {
    return this.deps.manager.connection?.agent(agentId)?.agent_name ?? agentId;
  }

  private async notify(p: PendingApprovalT): Promise<void> {
    this.notified.push(p.approval_id);
    if (this.notified.length > 1000) this.notified.shift();
    const pick = await vscode.window.showWarningMessage(approvalNotice(p, this.agentName(p.agent_id)), 'Approve', 'Deny', 'Show');
    if (pick === 'Approve' || pick === 'Deny') {
      void this.decide(p.approval_id, pick === 'Approve');
    } else if (pick === 'Show') {
      const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify({ ...p, agent_name: this.agentName(p.agent_id) }, null, 2) });
      await vscode.window.showTextDocument(doc, { preview: true });
      if (this.model.get(p.approval_id)) void this.notify(p); // still pending: ask again beside the details
    }
  }

  private async command(approved: boolean, args: readonly unknown[]): Promise<boolean> {
    const verb = approved ? 'Approve' : 'Deny';
    const [arg, note] = args;
    if (rowLost(args)) {
      // the inline button of an approval row: deciding another call (or asking which) would not be what was clicked
      this.deps.logger.warn(`${verb} Tool Call: run from a tree row VS Code no longer held; nothing done`);
      showRowLost(`${verb} Tool Call`);
      return false;
    }
    let id = approvalIdOf(arg);
    if (!id) {
      const pending = this.model.pending();
      if (pending.length === 0) {
        void vscode.window.showInformationMessage(this.model.available ? 'No tool calls are waiting for a decision.' : 'No hub is running or attached: start one first.');
        return false;
      }
      const pick = await vscode.window.showQuickPick(
        pending.map((p) => ({ label: describeCall(p), description: this.agentName(p.agent_id), detail: p.approval_id, id: p.approval_id })),
        { title: `${verb} Tool Call`, placeHolder: 'Which tool call?', ignoreFocusOut: true },
      );
      if (!pick) return false;
      id = pick.id;
    }
    return this.decide(id, approved, typeof note === 'string' ? note : undefined);
  }

  private async decide(approvalId: string, approved: boolean, note?: string): Promise<boolean> {
    try {
      await this.model.decide(approvalId, approved, note);
      return true;
    } catch (err) {
      this.deps.logger.warn(`deciding ${approvalId}: ${errorMessage(err)}`);
      void vscode.window.showWarningMessage(`Switchboard: ${errorMessage(err)}`);
      return false;
    }
  }
}
