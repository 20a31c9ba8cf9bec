// An edit of a message the debugger holds (issue 20), checked the same way wherever it is made: in the hub
// (messageDebugger.amend) and in a debug session attached over the wire (debugTarget's WireDebugTarget, which keeps the
// edit and sends it on continue).

import type { Envelope } from './schemas';
import { validateMessage } from './codec';
import { CHAT_TYPES } from './messageTypes';
import { SwitchboardError } from './errors';

/**
 * `current` with `fields` replaced (a field set to null or undefined is removed, except in_reply_to_message_id):
 * message_id and sender_id cannot change; the message stays chat (`stays: 'chat'`: TEXT, REPLY or SYSTEM) or keeps
 * its type (`'type'`); the codec validates `view(edited)` (the message as it goes on the wire). Throws a
 * SwitchboardError naming what is wrong.
 */
export function editHeldMessage(current: Envelope, fields: Record<string, unknown>, stays: 'chat' | 'type', view: (m: Envelope) => Envelope = (m) => m): Envelope {
  for (const k of ['message_id', 'sender_id']) {
    if (Object.hasOwn(fields, k) && fields[k] !== current[k]) throw new SwitchboardError('invalid_message', `"${k}" of a held message cannot be edited.`);
  }
  const edited: Envelope = { ...current, ...fields };
  for (const [k, v] of Object.entries(fields)) if ((v === undefined || v === null) && k !== 'in_reply_to_message_id') delete edited[k];
  if (stays === 'chat' ? !CHAT_TYPES.has(String(edited.message_type)) : edited.message_type !== current.message_type) {
    const what = stays === 'chat' ? 'chat (TEXT, REPLY or SYSTEM)' : String(current.message_type);
    throw new SwitchboardError('invalid_message', `An edited message stays ${what}, not "${String(edited.message_type)}".`);
  }
  const checked = validateMessage(view(edited));
  if (!checked.ok) throw new SwitchboardError(checked.error.code, `The edited message is not valid: ${checked.error.message}`);
  return edited;
}
