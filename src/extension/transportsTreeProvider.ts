// The Transports view: the hub (local or attached) and its bus, with state, reconnects and message rates.

import type { HubManager } from './model/hubManager';
import { RateTracker, busDetailItems, busItem, hubItem } from './model/transportViewModel';
import { RowCache } from './model/rowCache';
import { SwitchboardTreeProvider, type TreeNode } from './treeItems';

type Row = { model: TreeNode['model'] };

export class TransportsTreeProvider extends SwitchboardTreeProvider {
  private readonly rates = new RateTracker();
  /** The rows VS Code holds, so the once-a-second rates redraw only the rows that changed (see RowCache). */
  private readonly rows = new RowCache<Row>();
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

  /** The 1 s tick used to refresh the whole tree, which cancelled every hover: now only changed rows are redrawn. */
  override refresh(): void {
    if (this.rows.has('')) {
      const top = this.rows.changed('', this.topRows());
      const bus = this.rows.has('bus') ? this.rows.changed('bus', this.busRows()) : [];
      if (top && bus) {
        this.refreshRows([...top, ...bus]);
        return;
      }
    }
    super.refresh();
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.rows.give('', this.topRows());
    if (node.model.id === 'bus' && this.manager.connection) return this.rows.give('bus', this.busRows());
    return [];
  }

  private topRows(): Row[] {
    const conn = this.manager.connection;
    const rows: Row[] = [{ model: hubItem(conn?.info()) }];
    if (conn) rows.push({ model: busItem(conn.transport()) });
    return rows;
  }

  private busRows(): Row[] {
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
