// Commands are called from the palette (no arguments), from tree menus (the row's TreeNode) and from tests or other
// extensions (plain strings). These helpers accept all three.

import type { TreeNode } from './treeItems';

function isNode(v: unknown): v is TreeNode {
  return typeof v === 'object' && v !== null && 'model' in v;
}

/** An agent id from a string argument, a tree row, or `{ agentId }`. */
export function agentIdFrom(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg.trim() !== '') return arg.trim();
  if (isNode(arg)) return arg.agentId;
  if (typeof arg === 'object' && arg !== null) {
    const v = (arg as Record<string, unknown>).agentId ?? (arg as Record<string, unknown>).agent_id;
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

export function textFrom(arg: unknown): string | undefined {
  return typeof arg === 'string' ? arg : undefined;
}

/**
 * Whether a command was run from a tree row's context menu or inline button whose row VS Code could not hand over.
 * VS Code (1.100, MultipleSelectionActionRunner) runs those with two arguments, the row and the other selected rows
 * (undefined unless several are selected), and the extension host turns a row handle it no longer holds (dropped by
 * a refresh, until the rows are fetched again) into undefined. The palette and keybindings pass no argument, so
 * `(undefined, undefined | rows[])` is that case: the command must not go on as if run from the palette (asking which
 * agent, or acting on another), since the person already chose a row.
 */
export function rowLost(args: readonly unknown[]): boolean {
  return args.length >= 2 && args[0] === undefined && (args[1] === undefined || Array.isArray(args[1]));
}

/** What a command run on a lost row says instead of acting. */
export function rowLostMessage(title: string): string {
  return `"${title}" got no row from the Agents view: it was redrawing that row as you chose the command. Nothing was done; choose it again.`;
}
