// The hub's bus as its plugins see it (PortBus): every frame a subscription delivers goes through the codec and the
// frame size limit first, with the same error codes and counters as a frame from a socket. Anyone who can publish on
// the broker can put bytes in front of the hub; only validated messages get further.

import type { Bus, BusHandler } from '../bus/bus';
import type { Envelope } from '../protocol/schemas';
import type { Logger } from '../protocol/logger';
import { validateMessage } from '../protocol/codec';
import type { PortBus } from './port';
import { BUS_CLIENT_PREFIX, type Rejections } from './rejections';

export function portBus(bus: Bus, rejections: Rejections, maxPayloadBytes: number, logger: Logger): PortBus {
  const reject: PortBus['reject'] = (channel, messageType, code, detail) => {
    // Like a socket's bad frame: an event-log entry (below), not a log line per frame an intruder can multiply.
    logger.debug(`dropped a frame from the bus on ${channel}: ${detail}`);
    rejections.record({ client_id: BUS_CLIENT_PREFIX + channel }, messageType ?? '(invalid)', 0, code, detail);
  };
  const intake = (channel: string, handler: (m: Envelope) => void): BusHandler => {
    return (m: Envelope): void => {
      const size = jsonSizeOver(m, maxPayloadBytes);
      if (size !== undefined) {
        reject(channel, '(too large)', 'frame_too_large', `Frame of ${size} bytes exceeds the ${maxPayloadBytes}-byte limit; it was dropped.`);
        return;
      }
      const checked = validateMessage(m);
      if (!checked.ok) return reject(channel, checked.message_type, checked.error.code, checked.error.message);
      handler(checked.message);
    };
  };
  return {
    capabilities: bus.capabilities,
    publish: (channel, message) => bus.publish(channel, message),
    subscribe: (channel, handler, opts) =>
      bus.subscribe(channel, intake(channel, handler), {
        ...opts,
        // a body the bus could not even decode is refused and counted here like a socket's bad frame
        onUndecodable: (info) => {
          opts?.onUndecodable?.(info);
          const what = info.reason === 'invalid_json' ? 'Invalid JSON' : 'A JSON value that is not an object with a message_type';
          reject(channel, undefined, info.reason === 'invalid_json' ? 'invalid_json' : 'invalid_message', `${what} (${info.bytes} bytes): ${info.preview.slice(0, 80)}`);
        },
      }),
    reject,
    ...(bus.declareQueues ? { declareQueues: (names: string[]) => bus.declareQueues!(names) } : {}),
    ...(bus.purgeQueue ? { purgeQueue: (name: string) => bus.purgeQueue!(name) } : {}),
  };
}

/**
 * The frame's JSON size in bytes when it is over `limit`, else undefined. The bus hands over parsed messages, so
 * the size is bounded from above by walking the value (a string's character is at most 6 bytes of JSON, \uXXXX);
 * only a message whose bound passes the limit is serialised to be measured exactly. Small frames cost a walk.
 */
export function jsonSizeOver(m: unknown, limit: number): number | undefined {
  if (upperBound(m, limit) <= limit) return undefined;
  const exact = Buffer.byteLength(JSON.stringify(m) ?? '');
  return exact > limit ? exact : undefined;
}

function upperBound(v: unknown, budget: number): number {
  switch (typeof v) {
    case 'string':
      return 6 * v.length + 2;
    case 'number':
    case 'bigint':
      return 24;
    case 'boolean':
      return 5;
    case 'object': {
      if (v === null) return 4;
      let n = 2;
      if (Array.isArray(v)) {
        for (const x of v) {
          n += upperBound(x, budget - n) + 1;
          if (n > budget) return n;
        }
        return n;
      }
      for (const k in v) {
        n += 6 * k.length + 4 + upperBound((v as Record<string, unknown>)[k], budget - n);
        if (n > budget) return n;
      }
      return n;
    }
    default:
      return 0;
  }
}
