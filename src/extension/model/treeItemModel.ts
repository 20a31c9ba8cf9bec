// A tree row as plain data: what the thin vscode providers turn into vscode.TreeItem. Keeping it plain lets the
// labels, icons, descriptions and menus be tested in plain Node.

export type Collapsible = 'none' | 'collapsed' | 'expanded';

export interface IconModel {
  /** Codicon id, e.g. 'circle-filled'. */
  id: string;
  /** Theme colour id, e.g. 'charts.green'. */
  color?: string;
}

export interface TreeItemModel {
  /** Stable across refreshes, so VS Code keeps selection and expansion. */
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  icon?: IconModel;
  /** Drives `view/item/context` menus (`viewItem == …`). */
  contextValue?: string;
  collapsible: Collapsible;
  /** Command run on click. */
  command?: { id: string; title: string; args: unknown[] };
}
