// One error type for the whole product: a stable code, a human message that says what to do, whether a retry can help.

export type ErrorCode =
  | 'invalid_json'
  | 'binary_frame'
  | 'invalid_utf8'
  | 'not_an_object'
  | 'missing_message_type'
  | 'unknown_message_type'
  | 'invalid_message'
  | 'frame_too_large'
  | 'not_registered'
  | 'already_registered'
  | 'id_in_use'
  | 'unknown_receiver'
  | 'forbidden'
  | 'rate_limited'
  | 'slow_consumer'
  | 'unauthorized'
  | 'origin_refused'
  | 'bus_down'
  | 'timeout'
  | 'shutdown'
  /** SDK: no hub answered at the URL, or the connection dropped and the client is not reconnecting. */
  | 'not_connected'
  /** A setting (environment variable, flag) has a value that does not parse. */
  | 'invalid_config'
  | 'internal';

export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  override readonly cause?: unknown;

  constructor(code: ErrorCode, message: string, opts: { retriable?: boolean; cause?: unknown } = {}) {
    super(message);
    this.name = 'SwitchboardError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.cause = opts.cause;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
