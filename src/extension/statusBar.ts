// The status bar item ("$(radio-tower) 3 agents") and the context keys menus and welcome views depend on; both follow
// the manager, debounced like the trees.

import * as vscode from 'vscode';
import { Commands, ContextKeys, TREE_REFRESH_DEBOUNCE_MS } from './constants';
import { DisposableBase, toDisposable } from './lifecycle';
import { countAgents } from './model/agentViewModel';
import { Debouncer } from './model/debouncer';
import type { DemoController } from './model/demoController';
import type { HubManager } from './model/hubManager';
import { statusBarModel, type StatusBarModel } from './model/statusBarModel';

export class StatusPresenter extends DisposableBase {
  private readonly item: vscode.StatusBarItem;
  private readonly debouncer: Debouncer<string>;
  private lastContext = new Map<string, unknown>();
  current: StatusBarModel | undefined;

  constructor(
    private readonly manager: HubManager,
    private readonly demo: DemoController,
  ) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem('switchboard.status', vscode.StatusBarAlignment.Left, 50));
    this.item.name = 'Agent Switchboard';
    this.debouncer = new Debouncer<string>(TREE_REFRESH_DEBOUNCE_MS, () => this.update());
    this._register(toDisposable(() => this.debouncer.dispose()));
    this._register(
      toDisposable(
        manager.onDidChange((kind) => {
          if (kind === 'state' || kind === 'agents') this.debouncer.push(kind);
        }),
      ),
    );
    this._register(toDisposable(demo.onDidChange(() => this.update())));
    this.update();
    this.item.show();
  }

  update(): void {
    const conn = this.manager.connection;
    const counts = countAgents(conn?.agents() ?? []);
    const m = statusBarModel(conn?.info(), counts, this.manager.busy);
    this.current = m;
    this.item.text = m.text;
    this.item.tooltip = this.manager.problem && !conn ? `${m.tooltip}\n\nLast problem: ${this.manager.problem}` : m.tooltip;
    this.item.command = m.action === 'monitor' ? Commands.openMonitor : Commands.startHub;
    this.item.backgroundColor = m.background ? new vscode.ThemeColor(m.background) : undefined;
    // while starting or attaching there is no connection yet: say "starting" so the welcome view does not flash
    // "not running" during activation
    const busy = this.manager.busy;
    this.setContext(ContextKeys.hubState, busy === 'attaching' ? 'starting' : (busy ?? conn?.state ?? 'stopped'));
    this.setContext(ContextKeys.hubMode, conn?.mode ?? 'none');
    this.setContext(ContextKeys.hasAgents, counts.total > 0);
    this.setContext(ContextKeys.demoRunning, this.demo.running);
  }

  /** setContext round-trips to the renderer: only send values that changed. */
  private setContext(key: string, value: unknown): void {
    if (this.lastContext.get(key) === value) return;
    this.lastContext.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  }
}
