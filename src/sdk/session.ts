// Which front-end session the current work is for, carried implicitly through async calls with AsyncLocalStorage —
// the Node form of seed 000's contextvars idiom, so a tool deep inside an agent calls status('…') with no session id.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Envelope } from '../protocol/schemas';

const sessionStore = new AsyncLocalStorage<string>();

/** Run fn (and everything it awaits or schedules) as work for front-end session sessionId. */
export function withSession<T>(sessionId: string, fn: () => T): T {
  return sessionStore.run(sessionId, fn);
}

/** The session of the work in progress, if any. */
export function currentSession(): string | undefined {
  return sessionStore.getStore();
}

/** Sender ids of front-ends: ours and later seed UIs register `web_…`; the early seed UI uses unregistered `user_…`. */
export function isFrontendId(id: string | null | undefined): id is string {
  return typeof id === 'string' && (id.startsWith('web_') || id.startsWith('user_'));
}

/**
 * The session an inbound message belongs to: an explicit `session_id` (set by an agent that forwards work it does
 * for a session, see AgentClient.send), else the sender itself when the sender is a front-end.
 */
export function sessionOf(message: Envelope): string | undefined {
  const explicit = message.session_id;
  if (typeof explicit === 'string' && explicit.length > 0) return explicit;
  return isFrontendId(message.sender_id) ? message.sender_id : undefined;
}
