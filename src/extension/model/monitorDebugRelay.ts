// The Monitor panel's debugger commands applied to the in-process hub's debugger (issue 20): the same frames the
// /monitor page sends over its WebSocket (DEBUG_SET_BREAKPOINTS, DEBUG_ACTION), checked here because they come from
// a webview, then given to hub.debugger's API.

import type { MessageDebugger } from '../../hub/debugger';
import { SwitchboardError } from '../../protocol/errors';

/** How other debuggers (Debug Agents, /monitor pages) see the panel's breakpoints. */
export const PANEL_OWNER_NAME = 'Monitor panel in VS Code';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function relayDebugCommand(dbg: MessageDebugger, owner: string, frame: Record<string, unknown>): void {
  if (frame.message_type === 'DEBUG_SET_BREAKPOINTS') {
    if (!Array.isArray(frame.breakpoints)) throw new SwitchboardError('invalid_message', 'DEBUG_SET_BREAKPOINTS needs "breakpoints".');
    const specs = frame.breakpoints.filter(isRecord).flatMap((b) => (typeof b.filter === 'string' ? [{ filter: b.filter.slice(0, 1024) }] : []));
    dbg.setBreakpoints(owner, specs.slice(0, 1000), PANEL_OWNER_NAME);
    return;
  }
  if (frame.message_type !== 'DEBUG_ACTION') throw new SwitchboardError('invalid_message', `The monitor cannot send ${String(frame.message_type)}.`);
  if (frame.action === 'release_all') return dbg.releaseAll();
  const heldId = frame.held_id;
  if (typeof heldId !== 'string' || !heldId) throw new SwitchboardError('invalid_message', `DEBUG_ACTION ${String(frame.action)} needs "held_id".`);
  switch (frame.action) {
    case 'continue':
      return dbg.continue(heldId);
    case 'step':
      return dbg.step(heldId);
    case 'drop':
      return dbg.drop(heldId);
    case 'edit':
      if (!isRecord(frame.fields)) throw new SwitchboardError('invalid_message', 'DEBUG_ACTION edit needs "fields".');
      dbg.edit(heldId, frame.fields);
      return;
    default:
      throw new SwitchboardError('invalid_message', `Unknown debugger action ${String(frame.action)}.`);
  }
}
