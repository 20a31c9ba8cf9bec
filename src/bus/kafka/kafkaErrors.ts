// How the Kafka bus reads kafkajs's errors: which ones need a new producer, which mean a topic is gone, which are a
// broker's final refusal, and one line of text with the kafkajs type and cause for the logs.

import { errorMessage } from '../../protocol/errors';

/** Errors after which the idempotent producer's id/sequence state is useless: start with a new producer. */
export function needsNewProducer(err: unknown): boolean {
  return /OUT_OF_ORDER_SEQUENCE|UNKNOWN_PRODUCER_ID|INVALID_PRODUCER_EPOCH|PRODUCER_FENCED|out of order sequence|producer id|producer epoch|fenced/i.test(
    errorText(err),
  );
}

/** A send that failed because a topic is not there (deleted under the producer), kafkajs's retries included. */
export function isUnknownTopic(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    if ((e as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return /UNKNOWN_TOPIC_OR_PARTITION|does not host this topic-partition/i.test(errorText(err));
}

/** The broker's error type when it refused the request for good (a non-retriable protocol error), else undefined. */
export function refusalOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const x = e as { name?: unknown; type?: unknown; retriable?: unknown; cause?: unknown };
    if (x.name === 'KafkaJSProtocolError' && x.retriable === false && typeof x.type === 'string') return x.type;
    e = x.cause;
  }
  return undefined;
}

/** An error with its kafkajs type (code) and cause, for logs and for recognising it. */
export function errorText(err: unknown): string {
  const e = err as { name?: unknown; type?: unknown; cause?: unknown } | undefined;
  const cause = e?.cause === undefined ? '' : ` (cause: ${errorMessage(e.cause)}${typeof (e.cause as { type?: unknown }).type === 'string' ? ` ${(e.cause as { type: string }).type}` : ''})`;
  return `${typeof e?.name === 'string' ? e.name + ': ' : ''}${errorMessage(err)}${typeof e?.type === 'string' ? ` [${e.type}]` : ''}${cause}`;
}

export function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return '';
  }
}
