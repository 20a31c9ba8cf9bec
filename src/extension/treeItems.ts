// The one place plain TreeItemModels become vscode.TreeItems, and the base every Switchboard tree provider shares:
// debounced refresh on manager changes, a once-a-second tick only while the view is visible, and (CachedTreeProvider)
// refreshes that redraw only the rows that changed.

import * as vscode from 'vscode';
import { TREE_REFRESH_DEBOUNCE_MS } from './constants';
import { DisposableBase, toDisposable } from './lifecycle';
import { Debouncer } from './model/debouncer';
import type { ChangeKind } from './model/hubConnection';
import type { HubManager } from './model/hubManager';
import { RowCache, TOP } from './model/rowCache';
import type { Collapsible, TreeItemModel } from './model/treeItemModel';

const COLLAPSIBLE: Record<Collapsible, vscode.TreeItemCollapsibleState> = {
  none: vscode.TreeItemCollapsibleState.None,
  collapsed: vscode.TreeItemCollapsibleState.Collapsed,
  expanded: vscode.TreeItemCollapsibleState.Expanded,
};

export function toTreeItem(m: TreeItemModel): vscode.TreeItem {
  const item = new vscode.TreeItem(m.label, COLLAPSIBLE[m.collapsible]);
  item.id = m.id;
  if (m.description !== undefined) item.description = m.description;
  if (m.tooltip !== undefined) item.tooltip = m.tooltip;
  if (m.icon) item.iconPath = new vscode.ThemeIcon(m.icon.id, m.icon.color ? new vscode.ThemeColor(m.icon.color) : undefined);
  if (m.contextValue !== undefined) item.contextValue = m.contextValue;
  if (m.command) item.command = { command: m.command.id, title: m.command.title, arguments: m.command.args };
  return item;
}

/** A row of a Switchboard tree: its plain model plus what menus and commands need to know about it. */
export interface TreeNode {
  readonly model: TreeItemModel;
  /** Set on agent rows (and their children), so context-menu commands know which agent. */
  readonly agentId?: string;
  readonly sessionId?: string;
}

export abstract class SwitchboardTreeProvider extends DisposableBase implements vscode.TreeDataProvider<TreeNode> {
  private readonly emitter = this._register(new vscode.EventEmitter<TreeNode | TreeNode[] | undefined | void>());
  readonly onDidChangeTreeData = this.emitter.event;
  private tick: ReturnType<typeof setInterval> | undefined;
  private readonly debouncer: Debouncer<ChangeKind>;

  constructor(
    protected readonly manager: HubManager,
    /** Change kinds that make this view refresh. */
    private readonly relevant: ReadonlySet<ChangeKind>,
  ) {
    super();
    this.debouncer = new Debouncer<ChangeKind>(TREE_REFRESH_DEBOUNCE_MS, () => this.refresh());
    this._register(toDisposable(() => this.debouncer.dispose()));
    this._register(
      toDisposable(
        manager.onDidChange((kind) => {
          if (this.relevant.has(kind)) this.debouncer.push(kind);
        }),
      ),
    );
    this._register(toDisposable(() => this.setTicking(false)));
  }

  /** Binds the view's visibility: the 1 s tick runs only while someone can see the view. */
  attachView(view: vscode.TreeView<TreeNode>): void {
    this._register(view.onDidChangeVisibility((e) => this.setTicking(e.visible)));
    this.setTicking(view.visible);
  }

  private setTicking(on: boolean): void {
    if (on && !this.tick && this.tickEnabled()) {
      this.tick = setInterval(() => {
        if (this.needsTick()) this.refresh();
      }, 1000);
    } else if (!on && this.tick) {
      clearInterval(this.tick);
      this.tick = undefined;
    }
  }

  /** Whether this view wants the 1 s tick at all (e.g. "last seen 4 s ago" descriptions). */
  protected tickEnabled(): boolean {
    return false;
  }

  /** Called each tick; return false to skip the refresh (nothing time-dependent is shown). */
  protected needsTick(): boolean {
    return true;
  }

  refresh(): void {
    this.emitter.fire();
  }

  /**
   * Redraws just these rows (the same objects getChildren handed out). A whole-tree refresh makes VS Code forget every
   * row's handle until it has fetched the rows again, and a menu command run in that gap gets no row as its argument.
   */
  protected refreshRows(rows: TreeNode[]): void {
    if (rows.length) this.emitter.fire(rows);
  }

  /** Runs a pending debounced refresh now (tests use it instead of waiting). */
  flushPending(): void {
    this.debouncer.flushNow();
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return toTreeItem(node.model);
  }

  abstract getChildren(node?: TreeNode): TreeNode[];
}

/**
 * A tree whose rows keep their identity (RowCache): a refresh redraws the rows whose text changed and the rows whose
 * children came, went or moved, and refreshes the whole tree only when the top level's rows did. So a row's handle
 * survives its own children appearing or disappearing and every change elsewhere in the tree: a context-menu or
 * inline command run on it gets that row (a whole refresh, or redrawing a row's parent, makes VS Code forget the
 * handle until it has fetched the rows again), and a hovered row keeps its tooltip.
 */
export abstract class CachedTreeProvider<N extends TreeNode = TreeNode> extends SwitchboardTreeProvider {
  /**
   * The rows as getChildren last handed them out: in the product only VS Code calls getChildren, so this is what it
   * holds. (A caller that reads the rows without running a pending refresh first, flushPending(), would record a list
   * VS Code has not seen.)
   */
  protected readonly rows = new RowCache<N>();

  /** The rows under `node` (the top level without one) as they are now; undefined when `node` has no children any more. */
  protected abstract childrenOf(node?: N): N[] | undefined;

  override refresh(): void {
    if (this.rows.has(TOP)) {
      const redraw = this.rows.changes((key) => {
        if (key === TOP) return this.childrenOf();
        const node = this.rows.row(key);
        return node ? this.childrenOf(node) : undefined;
      });
      if (redraw !== 'all') {
        this.refreshRows(redraw);
        return;
      }
    }
    super.refresh();
  }

  getChildren(node?: N): N[] {
    return this.rows.give(node ? node.model.id : TOP, this.childrenOf(node) ?? []);
  }
}
