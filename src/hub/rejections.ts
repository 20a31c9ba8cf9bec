// Frames the hub refused, from a socket or from the bus alike: each logged as an inbound entry that names the error
// and counted by error code, so a bad frame is visible the same way wherever it came from.

import type { ErrorCode } from '../protocol/errors';
import type { ClientRole } from '../protocol/messageTypes';
import type { EventLog } from './eventLog';

export interface RejectedFrom {
  /** The connection's id, or `bus:<channel>` for a frame from the bus. */
  client_id: string;
  role?: ClientRole;
}

export class Rejections {
  /** Refused frames by error code (socket and bus together). */
  readonly byCode: Partial<Record<ErrorCode, number>> = {};
  /** Of those, the frames that came from the bus. */
  fromBus = 0;

  constructor(private readonly log: EventLog) {}

  /** `detail` undefined: logged with an empty body (a socket's frame over the size limit, as before). */
  record(from: RejectedFrom, messageType: string, size: number, code: ErrorCode, detail?: string): void {
    this.byCode[code] = (this.byCode[code] ?? 0) + 1;
    if (from.client_id.startsWith(BUS_CLIENT_PREFIX)) this.fromBus++;
    this.log.append({
      direction: 'in',
      message_type: messageType,
      client_id: from.client_id,
      ...(from.role ? { role: from.role } : {}),
      size,
      body: detail === undefined ? {} : { error: code, detail },
    });
  }
}

/** Log entries of frames from the bus carry `bus:<channel>` as their client id. */
export const BUS_CLIENT_PREFIX = 'bus:';
