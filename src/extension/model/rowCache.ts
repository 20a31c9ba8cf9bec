// Tree rows that keep their identity between refreshes: VS Code is handed the same object for a row every time, and
// a refresh names only the rows whose text changed. A whole-tree refresh drops every row handle (a menu command run
// in that gap gets no row) and redraws the row under the mouse (its tooltip never appears). Pure: tested in Node.

import type { TreeItemModel } from './treeItemModel';

export interface CachedRow {
  model: TreeItemModel;
}

export class RowCache<T extends CachedRow> {
  private readonly rows = new Map<string, T>();
  private readonly seen = new Map<string, string>();
  private readonly shapes = new Map<string, string>();

  /** The rows getChildren hands VS Code under `parent` ('' for the top level): known objects, with fresh models. */
  give(parent: string, fresh: readonly T[]): T[] {
    const out = fresh.map((f) => this.adopt(f));
    for (const r of out) this.seen.set(r.model.id, signature(r.model));
    this.shapes.set(parent, shapeOf(fresh));
    return out;
  }

  /** Whether rows were handed out under `parent` (a collapsed node's children never were). */
  has(parent: string): boolean {
    return this.shapes.has(parent);
  }

  /**
   * The rows under `parent` whose text changed, updated in place; undefined when the rows themselves changed (one
   * came, went or moved, or can now expand): then only a whole refresh will do.
   */
  changed(parent: string, fresh: readonly T[]): T[] | undefined {
    if (this.shapes.get(parent) !== shapeOf(fresh)) return undefined;
    const out: T[] = [];
    for (const f of fresh) {
      const sig = signature(f.model);
      if (this.seen.get(f.model.id) === sig) continue;
      this.seen.set(f.model.id, sig);
      out.push(this.adopt(f));
    }
    return out;
  }

  clear(): void {
    this.rows.clear();
    this.seen.clear();
    this.shapes.clear();
  }

  private adopt(fresh: T): T {
    const known = this.rows.get(fresh.model.id);
    if (!known) {
      this.rows.set(fresh.model.id, fresh);
      return fresh;
    }
    known.model = fresh.model;
    return known;
  }
}

function signature(m: TreeItemModel): string {
  return JSON.stringify(m);
}

/** Which rows, in which order, and which can expand. */
function shapeOf(rows: readonly CachedRow[]): string {
  return rows.map((r) => `${r.model.id}:${r.model.collapsible}`).join('\n');
}
