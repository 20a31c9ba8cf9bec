// The message debugger as a message family: attachDebugger(port) — one line in the façade — installs the wire side
// (DEBUG_ATTACH, DEBUG_SET_BREAKPOINTS, DEBUG_ACTION from debugger clients; DEBUG_STATE, DEBUG_BREAKPOINTS,
// DEBUG_ACTION_RESULT, DEBUG_HELD, DEBUG_RELEASED, DEBUG_LOG to them) over the in-process MessageDebugger the
// extension and tests use directly.
// Debugger clients are front-ends and monitors; an agent or a routing broker may not debug the system it is part of.

import type { Envelope } from '../../protocol/schemas';
import type { ClientRole } from '../../protocol/messageTypes';
import { DebuggerMessageType as D, type DebugActionMsg, type DebugSetBreakpointsMsg } from '../../protocol/debugger';
import { SwitchboardError } from '../../protocol/errors';
import { isoNow } from '../../protocol/ids';
import type { ClientContext, HubPort } from '../port';
import { MessageDebugger } from './messageDebugger';

export { MessageDebugger, DEFAULT_DEBUGGER_LIMITS, type DebuggerLimits, type DebuggerEventMap } from './messageDebugger';

const DEBUGGER_ROLES: ReadonlySet<ClientRole> = new Set<ClientRole>(['frontend', 'monitor']);

export function attachDebugger(port: HubPort): MessageDebugger {
  const dbg = new MessageDebugger(port);
  /** Client ids of attached debugger clients. */
  const clients = new Set<string>();

  const toClients = (frame: Envelope): void => {
    for (const id of clients) if (!port.sendToClient(id, { ...frame, timestamp: isoNow() })) clients.delete(id);
  };
  dbg.events.on('held', (held, count) => toClients({ message_type: D.DEBUG_HELD, held, held_count: count }));
  dbg.events.on('released', (r) => toClients({ message_type: D.DEBUG_RELEASED, ...r }));
  dbg.events.on('log', (l) => toClients({ message_type: D.DEBUG_LOG, ...l }));
  // each debugger sees every owner's breakpoints (its own list is its own; a hold stops a message for all of them)
  dbg.events.on('breakpoints', () => toClients({ message_type: D.DEBUG_ALL_BREAKPOINTS, breakpoints: dbg.breakpointInfos() }));

  const allowed = (client: ClientContext, type: string): boolean => {
    if (client.role !== undefined && DEBUGGER_ROLES.has(client.role)) return true;
    client.error('forbidden', `${type} is accepted from front-ends and monitors only: an agent or broker may not hold other agents' messages.`);
    return false;
  };

  port.handle(D.DEBUG_ATTACH, (_m, client) => {
    if (!allowed(client, D.DEBUG_ATTACH)) return;
    clients.add(client.id);
    client.send({ message_type: D.DEBUG_STATE, breakpoints: dbg.breakpointInfos(), held: dbg.held(), timestamp: isoNow() });
  });

  port.handle(D.DEBUG_SET_BREAKPOINTS, (m, client) => {
    if (!allowed(client, D.DEBUG_SET_BREAKPOINTS)) return;
    clients.add(client.id);
    const infos = dbg.setBreakpoints(client.id, (m as unknown as DebugSetBreakpointsMsg).breakpoints, client.name || undefined);
    client.send({ message_type: D.DEBUG_BREAKPOINTS, breakpoints: infos, timestamp: isoNow() });
  });

  // every DEBUG_ACTION from a debugger client is answered, done or refused, naming the action's message_id: a client
  // (the Debug Agents adapter over the wire) tells the person the truth instead of assuming the hub did it
  port.handle(D.DEBUG_ACTION, (m, client) => {
    if (!allowed(client, D.DEBUG_ACTION)) return;
    clients.add(client.id);
    const action = m as unknown as DebugActionMsg;
    const result: Envelope = { message_type: D.DEBUG_ACTION_RESULT, action: action.action, ok: true, timestamp: isoNow() };
    if (m.message_id !== undefined && m.message_id !== null) result.in_reply_to_message_id = m.message_id;
    if (action.held_id !== undefined) result.held_id = action.held_id;
    try {
      act(dbg, action);
    } catch (err) {
      if (!(err instanceof SwitchboardError)) throw err;
      result.ok = false;
      result.code = err.code;
      result.error = err.message;
    }
    client.send(result);
  });

  port.onLifecycle({
    released: (_role, id) => {
      if (!clients.delete(id)) return;
      dbg.removeOwner(id);
    },
  });
  return dbg;
}

function act(dbg: MessageDebugger, m: DebugActionMsg): void {
  if (m.action === 'release_all') return dbg.releaseAll();
  if (m.action === 'pause') {
    if (!m.agent_id) throw new SwitchboardError('invalid_message', 'DEBUG_ACTION pause needs "agent_id".');
    return dbg.pause(m.agent_id);
  }
  if (!m.held_id) throw new SwitchboardError('invalid_message', `DEBUG_ACTION ${m.action} needs "held_id".`);
  switch (m.action) {
    case 'continue':
      return dbg.continue(m.held_id);
    case 'step':
      // a step may carry the edit made before it: amended and stepped together, or (the edit refused) neither
      if (m.fields) dbg.amend(m.held_id, m.fields);
      return dbg.step(m.held_id);
    case 'drop':
      return dbg.drop(m.held_id, m.error_to_sender);
    case 'edit':
      if (!m.fields) throw new SwitchboardError('invalid_message', 'DEBUG_ACTION edit needs "fields".');
      dbg.edit(m.held_id, m.fields);
      return;
  }
}
