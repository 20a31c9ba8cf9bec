// The Transports view: the hub (local or attached) and its bus, with state, reconnects and message rates.

import type { HubManager } from './model/hubManager';
import { RateTracker, busDetailItems, busItem, hubItem } from './model/transportViewModel';
import { CachedTreeProvider, type TreeNode } from './treeItems';

export class TransportsTreeProvider extends CachedTreeProvider {
  private readonly rates = new RateTracker();
  private sampledAt = 0;

  constructor(manager: HubManager) {
    super(manager, new Set(['transport', 'state']));
  }

  protected override tickEnabled(): boolean {
    // rates come from sampling the bus counters once a second while visible
    return true;
  }

  protected override needsTick(): boolean {
    return this.manager.connection?.mode === 'local';
  }

  /** The 1 s tick used to refresh the whole tree, which cancelled every hover: only changed rows are redrawn (CachedTreeProvider). */
  protected childrenOf(node?: TreeNode): TreeNode[] | undefined {
    if (!node) return this.topRows();
    if (node.model.id === 'bus') return this.manager.connection ? this.busRows() : undefined;
    return [];
  }

  private topRows(): TreeNode[] {
    const conn = this.manager.connection;
    const rows: TreeNode[] = [{ model: hubItem(conn?.info()) }];
    if (conn) rows.push({ model: busItem(conn.transport()) });
    return rows;
  }

  private busRows(): TreeNode[] {
    const conn = this.manager.connection;
    if (!conn) return [];
    const t = conn.transport();
    // VS Code fetches an expanded row's children again right after that row is redrawn: a second sample a few ms
    // after the tick's would make a rate out of a blip
    const now = Date.now();
    const fresh = now - this.sampledAt >= 500;
    if (fresh) this.sampledAt = now;
    return busDetailItems(t, fresh ? this.rates.sample(t, now) : this.rates.current()).map((model) => ({ model }));
  }
}
