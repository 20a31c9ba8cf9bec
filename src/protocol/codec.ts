// Decoding and validation of inbound frames: JSON text → a validated Envelope, or a SwitchboardError that names the
// problem precisely enough for a person to fix their client. Validators are compiled once at load.

import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import { MESSAGE_SCHEMAS, type Envelope } from './schemas';
import { SwitchboardError } from './errors';

const validators = new Map<string, TypeCheck<TSchema>>();
for (const [type, schema] of Object.entries(MESSAGE_SCHEMAS)) validators.set(type, TypeCompiler.Compile(schema));

/** Lets later slices (context, topics, streams) add message types without touching this file. */
export function registerMessageSchema(type: string, schema: TSchema): void {
  validators.set(type, TypeCompiler.Compile(schema));
}

export function isKnownMessageType(type: string): boolean {
  return validators.has(type);
}

export type DecodeResult = { ok: true; message: Envelope } | { ok: false; error: SwitchboardError; message_type?: string };

function fail(code: ConstructorParameters<typeof SwitchboardError>[0], text: string, type?: string): DecodeResult {
  return { ok: false, error: new SwitchboardError(code, text), message_type: type };
}

/** Decode one WebSocket frame. Never throws. */
export function decodeFrame(data: string | Buffer | ArrayBuffer | Buffer[], isBinary = false): DecodeResult {
  if (isBinary) return fail('binary_frame', 'Binary frames are not accepted: send each message as a JSON text frame.');
  let text: string;
  if (typeof data === 'string') text = data;
  else if (Array.isArray(data)) text = Buffer.concat(data).toString('utf8');
  else if (data instanceof ArrayBuffer) text = Buffer.from(data).toString('utf8');
  else text = data.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return fail('invalid_json', `Invalid JSON: ${(err as Error).message}. Send one JSON object per text frame.`);
  }
  return validateMessage(parsed);
}

/** Validate an already-parsed value (bus payloads, tests). Never throws. */
export function validateMessage(parsed: unknown): DecodeResult {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('not_an_object', 'A message must be a JSON object with a "message_type" field.');
  }
  const type = (parsed as { message_type?: unknown }).message_type;
  if (type === undefined) return fail('missing_message_type', 'The message has no "message_type" field.');
  if (typeof type !== 'string') return fail('invalid_message', '"message_type" must be a string.');
  const check = validators.get(type);
  if (!check) return fail('unknown_message_type', `Unknown message_type "${truncate(type, 64)}".`, type);
  if (!check.Check(parsed)) {
    const first = check.Errors(parsed).First();
    const where = first ? first.path.replace(/^\//, '').replace(/\//g, '.') : '';
    const detail = first ? describeError(where, first.message, first.value) : 'does not match its schema';
    return fail('invalid_message', `${type}: ${detail}`, type);
  }
  return { ok: true, message: parsed as Envelope };
}

function describeError(field: string, message: string, value: unknown): string {
  if (!field) return message;
  if (value === undefined) return `"${field}" is required (${message.toLowerCase()})`;
  return `"${field}" is invalid: ${message.toLowerCase()}`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}

export function encodeFrame(message: Envelope): string {
  return JSON.stringify(message);
}
