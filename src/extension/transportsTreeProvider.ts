// The Transports view: the hub (local or attached) and its bus, with state, reconnects and message rates.

import type { HubManager } from './model/hubManager';
import { RateTracker, busDetailItems, busItem, hubItem } from './model/transportViewModel';
import { SwitchboardTreeProvider, type TreeNode } from './treeItems';

export class TransportsTreeProvider extends SwitchboardTreeProvider {
  private readonly rates = new RateTracker();

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

  getChildren(node?: TreeNode): TreeNode[] {
    const conn = this.manager.connection;
    if (!node) {
      const rows: TreeNode[] = [{ model: hubItem(conn?.info()) }];
      if (conn) rows.push({ model: busItem(conn.transport()) });
      return rows;
    }
    if (node.model.id === 'bus' && conn) {
      const t = conn.transport();
      const rates = this.rates.sample(t, Date.now());
      return busDetailItems(t, rates).map((model) => ({ model }));
    }
    return [];
  }
}
