// Tree rows that keep their identity between refreshes: VS Code is handed the same object for a row every time, and
// a refresh names only the rows that changed. Why it matters (VS Code 1.100's ExtHostTreeView): a whole-tree refresh
// drops every row handle, and redrawing a row drops the handles of all rows below it, until VS Code has fetched them
// again — a menu or inline command run in that gap gets no row — and a redrawn row under the mouse loses its tooltip.
// So a row whose text changed, or which can newly expand or no longer expand, is redrawn alone (VS Code applies the
// new collapsible state to the redrawn row: AsyncDataTree.render → setCollapsible); a parent whose children came,
// went or moved is redrawn (VS Code fetches its children again), not the tree; only a change of the top level itself
// needs a whole refresh. Pure: tested in Node.

import type { TreeItemModel } from './treeItemModel';

export interface CachedRow {
  model: TreeItemModel;
}

/** The top level's parent key. */
export const TOP = '';

export class RowCache<T extends CachedRow> {
  /** By row id: the one object VS Code is handed for that row. */
  private readonly rows = new Map<string, T>();
  /** By row id: the row's model as VS Code last drew it. */
  private readonly seen = new Map<string, string>();
  /** By parent key (a row id, or TOP): the ids of the children VS Code was last handed, in order. */
  private readonly shapes = new Map<string, string>();
  /** By parent key: the ids handed out under it, kept after a redraw so rows that went can be forgotten. */
  private readonly kids = new Map<string, readonly string[]>();

  /** The rows getChildren hands VS Code under `parent` (TOP for the top level): known objects, with fresh contents. */
  give(parent: string, fresh: readonly T[]): T[] {
    const out = fresh.map((f) => this.adopt(f));
    for (const r of out) this.seen.set(r.model.id, signature(r.model));
    const ids = fresh.map((f) => f.model.id);
    const keep = new Set(ids);
    for (const old of this.kids.get(parent) ?? []) if (!keep.has(old)) this.forgetRow(old);
    this.kids.set(parent, ids);
    this.shapes.set(parent, ids.join('\n'));
    return out;
  }

  /** Whether rows were handed out under `parent` (a collapsed node's children never were). */
  has(parent: string): boolean {
    return this.shapes.has(parent);
  }

  /** The object handed out for a row id. */
  row(id: string): T | undefined {
    return this.rows.get(id);
  }

  /**
   * What to redraw so VS Code shows `childrenOf(parent)` under every parent it was handed rows for: the rows whose
   * own model changed (text, icon, menus, or whether it can expand), updated in place, and the parent rows whose
   * children came, went or moved; 'all' only when the top level's rows came, went or moved. `childrenOf` answers
   * undefined for a parent that is gone (its own parent's change covers it).
   */
  changes(childrenOf: (parent: string) => readonly T[] | undefined): T[] | 'all' {
    const topShape = this.shapes.get(TOP);
    const top = topShape === undefined ? undefined : childrenOf(TOP) ?? [];
    if (top && shapeOf(top) !== topShape) return 'all';
    const out = new Set<T>();
    // the top level first: its rows carry what the providers read their children from
    for (const [parent, shape] of [...this.shapes].sort(([a], [b]) => Number(b === TOP) - Number(a === TOP))) {
      const fresh = parent === TOP ? top : childrenOf(parent);
      if (fresh === undefined) {
        this.forgetChildren(parent);
        continue;
      }
      if (shapeOf(fresh) !== shape) {
        const row = this.rows.get(parent);
        // redrawn, VS Code asks for the children again if it shows them; until it does, they are not compared
        this.shapes.delete(parent);
        if (row) out.add(row);
        continue;
      }
      for (const f of fresh) {
        const row = this.adopt(f);
        const sig = signature(f.model);
        if (this.seen.get(f.model.id) === sig) continue;
        this.seen.set(f.model.id, sig);
        out.add(row);
      }
    }
    return [...out];
  }

  clear(): void {
    this.rows.clear();
    this.seen.clear();
    this.shapes.clear();
    this.kids.clear();
  }

  /** How many rows are kept (a test checks that rows which went are not kept for ever). */
  get size(): number {
    return this.rows.size;
  }

  private forgetRow(id: string): void {
    this.rows.delete(id);
    this.seen.delete(id);
    this.forgetChildren(id);
  }

  private forgetChildren(parent: string): void {
    const ids = this.kids.get(parent) ?? [];
    this.kids.delete(parent);
    this.shapes.delete(parent);
    for (const id of ids) this.forgetRow(id);
  }

  private adopt(fresh: T): T {
    const known = this.rows.get(fresh.model.id);
    if (!known) {
      this.rows.set(fresh.model.id, fresh);
      return fresh;
    }
    // the model and whatever else the provider keeps on a row (a topic namespace's children) are the fresh ones
    Object.assign(known, fresh);
    return known;
  }
}

function signature(m: TreeItemModel): string {
  return JSON.stringify(m);
}

/** Which rows, in which order. (Whether one can expand is its own model's business: it is redrawn alone.) */
function shapeOf(rows: readonly CachedRow[]): string {
  return rows.map((r) => r.model.id).join('\n');
}
