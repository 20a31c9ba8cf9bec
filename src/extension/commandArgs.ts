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
