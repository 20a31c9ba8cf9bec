// The hub's bookkeeping — registrations, disconnects, inactivity, reconstruction requests and answers — as one
// readable line each ("planner went offline: silent 15 s"), and which message types count as bookkeeping (hidden by
// default in the monitor). Shared by the webview and `tail`, so both say the same thing.

/** Frames about the system rather than the conversation: a person widens the view to see them. */
export function isBookkeeping(type: string): boolean {
  return type.startsWith('REGISTER_') || BOOKKEEPING_TYPES.has(type);
}

const BOOKKEEPING_TYPES: ReadonlySet<string> = new Set([
  'CLIENT_DISCONNECTED',
  'AGENT_INACTIVE',
  'REQUEST_AGENT_STATUS',
  'MONITOR_EVENTS',
  'REQUEST_CONTEXT',
  'PROVIDE_CONTEXT',
  'RESTORE_CONTEXT',
  'REQUEST_CONTEXT_ACK',
  // a monitor's or debugger's own subscriptions and state: the held rows, approvals and live context show the substance
  'MONITOR_SUBSCRIBE',
  'MONITOR_UNSUBSCRIBE',
  'DEBUG_ATTACH',
  'DEBUG_STATE',
  'DEBUG_BREAKPOINTS',
]);

type NameOf = (id: string) => string;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** One line for a bookkeeping frame, or undefined when the type is not one (or the body lacks what it needs). */
export function bookkeepingPreview(type: string, body: Readonly<Record<string, unknown>>, nameOf: NameOf = (id) => id): string | undefined {
  const who = (v: unknown): string => (str(v) ? nameOf(v as string) : '?');
  switch (type) {
    case 'REGISTER_AGENT': {
      const asks = str(body.agent_id) ? ` (asks for id ${body.agent_id as string})` : '';
      const restore = str(body.restore_from) ? `, restoring ${who(body.restore_from)}` : '';
      return `agent ${str(body.agent_name) ?? '?'} registers${asks}${restore}`;
    }
    case 'REGISTER_FRONTEND':
      return `front-end ${str(body.frontend_name) ?? '?'} registers`;
    case 'REGISTER_MONITOR':
      return `monitor ${str(body.monitor_name) ?? '?'} registers${typeof body.backlog === 'number' ? ` (backlog ${body.backlog})` : ''}`;
    case 'REGISTER_BROKER':
      return `broker ${str(body.broker_name) ?? '?'} registers`;
    case 'REGISTER_AGENT_RESPONSE':
    case 'REGISTER_FRONTEND_RESPONSE':
    case 'REGISTER_MONITOR_RESPONSE':
    case 'REGISTER_BROKER_RESPONSE': {
      const kind = type.slice('REGISTER_'.length, -'_RESPONSE'.length).toLowerCase();
      const id = str(body[`${kind}_id`]);
      const name = str(body[`${kind}_name`]);
      if (body.status !== undefined && body.status !== 'success') return `registration refused: ${str(body.message) ?? String(body.status)}`;
      return `${name ?? '?'} registered as ${id ?? '?'}`;
    }
    case 'CLIENT_DISCONNECTED': {
      const kind = str(body.connection_type);
      const why = str(body.reason) ?? (typeof body.code === 'number' ? `code ${body.code}` : '');
      return `${who(body.client_id)}${kind && kind !== 'agent' ? ` (${kind})` : ''} disconnected${why ? `: ${why}` : ''}`;
    }
    case 'AGENT_INACTIVE': {
      const ms = typeof body.silent_ms === 'number' ? body.silent_ms : undefined;
      return `${who(body.agent_id)} went offline${ms !== undefined ? `: silent ${Math.round(ms / 1000)} s` : ''}`;
    }
    case 'REQUEST_CONTEXT':
      return `${who(body.requester_id)} asks peers what they exchanged with ${who(body.failed_agent_id)}`;
    case 'REQUEST_CONTEXT_ACK': {
      const n = Array.isArray(body.peer_agents_queried) ? body.peer_agents_queried.length : 0;
      return `context request ${str(body.request_id) ?? ''} relayed to ${n} peer${n === 1 ? '' : 's'}`.replace('  ', ' ');
    }
    case 'PROVIDE_CONTEXT': {
      const n = Array.isArray(body.interactions) ? body.interactions.length : 0;
      return `${who(body.responder_id)} answers about ${who(body.failed_agent_id)}: ${n} interaction${n === 1 ? '' : 's'}`;
    }
    case 'RESTORE_CONTEXT': {
      const r = body.reconstruction as Record<string, unknown> | undefined;
      const n = r && Array.isArray(r.timeline) ? r.timeline.length : 0;
      return `context of ${who(body.failed_agent_id ?? r?.failed_agent_id)} handed over: ${n} message${n === 1 ? '' : 's'}`;
    }
    // not hidden (rare, and they explain what follows), but a sentence too
    case 'HUB_STARTED':
      return `hub ${str(body.hub_id) ?? ''} started${str(body.host) && typeof body.port === 'number' ? ` on ${body.host as string}:${body.port}` : ''}`;
    case 'HUB_STOPPED':
      return `hub ${str(body.hub_id) ?? ''} stopped${str(body.reason) ? `: ${body.reason as string}` : ''}`;
    default:
      return undefined;
  }
}
