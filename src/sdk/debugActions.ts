// Acting on a held message over the wire (issue 20): send a DEBUG_ACTION and wait for the hub's DEBUG_ACTION_RESULT
// naming it. A refusal (the message was released meanwhile, the edit is not valid at the hub) becomes an error that
// says what the hub said; no answer within the timeout (a hub older than DEBUG_ACTION_RESULT, a stalled one) too.

import type { DebugActionNameT } from '../protocol/debugger';
import { SwitchboardError, type ErrorCode } from '../protocol/errors';
import { newMessageId } from '../protocol/ids';
import type { Envelope } from '../protocol/schemas';
import type { ObserverClient } from './observerClient';

/** How long an action waits for the hub's answer by default. */
export const DEBUG_ACTION_TIMEOUT_MS = 10_000;

export interface DebugActionRequest {
  action: DebugActionNameT;
  held_id?: string;
  agent_id?: string;
  fields?: Record<string, unknown>;
  error_to_sender?: string;
}

const ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>(['invalid_message', 'forbidden', 'unknown_receiver', 'timeout', 'shutdown', 'internal']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A DEBUG_ACTION frame (from a webview: untrusted) as a request; sendRaw validates the frame it becomes against the schema. */
export function debugActionRequest(frame: Readonly<Record<string, unknown>>): DebugActionRequest {
  const req: DebugActionRequest = { action: String(frame.action) as DebugActionNameT };
  if (typeof frame.held_id === 'string') req.held_id = frame.held_id;
  if (typeof frame.agent_id === 'string') req.agent_id = frame.agent_id;
  if (isRecord(frame.fields)) req.fields = frame.fields;
  if (typeof frame.error_to_sender === 'string') req.error_to_sender = frame.error_to_sender;
  return req;
}

/** What an action is called in a sentence ("continue held_3", "pause agent_1"). */
function named(req: DebugActionRequest): string {
  const on = req.held_id ?? req.agent_id;
  return on ? `${req.action} ${on}` : req.action;
}

/** Sends the action; resolves when the hub did it, rejects with the hub's reason when it refused or did not answer. */
export async function sendDebugAction(client: ObserverClient, req: DebugActionRequest, timeoutMs = DEBUG_ACTION_TIMEOUT_MS): Promise<void> {
  const messageId = newMessageId();
  let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const offFrame = client.onFrame((m) => {
    if (m.message_type !== 'DEBUG_ACTION_RESULT' || m.in_reply_to_message_id !== messageId) return;
    if (m.ok === true) return settle?.resolve();
    const code = typeof m.code === 'string' && ERROR_CODES.has(m.code) ? (m.code as ErrorCode) : 'invalid_message';
    settle?.reject(new SwitchboardError(code, `The hub refused to ${named(req)}: ${typeof m.error === 'string' ? m.error : 'no reason given'}`));
  });
  const offState = client.onState((state, detail) => {
    if (state === 'closed') settle?.reject(new SwitchboardError('not_connected', `The connection to the hub closed before it answered ${named(req)} (${detail}).`));
  });
  const timer = setTimeout(
    () =>
      settle?.reject(
        new SwitchboardError(
          'timeout',
          `The hub did not answer ${named(req)} within ${Math.round(timeoutMs / 1000)} s: it may be busy, or older than this client (it answers no debugger action); the debugger's state is reloaded from the hub.`,
          { retriable: true },
        ),
      ),
    timeoutMs,
  );
  try {
    const frame: Envelope = { message_type: 'DEBUG_ACTION', message_id: messageId, action: req.action };
    for (const k of ['held_id', 'agent_id', 'fields', 'error_to_sender'] as const) if (req[k] !== undefined) frame[k] = req[k];
    await client.sendRaw(frame);
    await done;
  } finally {
    clearTimeout(timer);
    offFrame();
    offState();
  }
}
