// The hub's agent URL (ws://127.0.0.1:PORT/ws?token=…): checked before connecting so a person gets a precise message,
// and redacted wherever it is printed so a token never lands in a log.

import { SwitchboardError } from '../protocol/errors';
import { DEFAULT_HUB_PORT } from '../protocol/messageTypes';

/** Parse and check a hub URL; throws a SwitchboardError that says what is wrong and what the URL should look like. */
export function checkHubUrl(raw: string): URL {
  const example = `ws://127.0.0.1:${DEFAULT_HUB_PORT}/ws?token=… (the line \`switchboard hub\` prints)`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SwitchboardError('invalid_message', `"${raw}" is not a URL. Expected ${example}.`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SwitchboardError('invalid_message', `The hub URL must start with ws:// or wss://, not ${url.protocol}//. Expected ${example}.`);
  }
  if (!url.searchParams.get('token')) {
    throw new SwitchboardError('unauthorized', `The hub URL has no ?token=…; the hub refuses connections without one. Expected ${example}.`);
  }
  return url;
}

/** The URL with its token replaced, safe for logs and error messages. */
export function redactUrl(raw: string): string {
  return raw.replace(/([?&]token=)[^&#]*/i, '$1…');
}

/** The http(s) origin of a hub URL, e.g. for /healthz. */
export function httpBase(raw: string): string {
  const url = new URL(raw);
  return `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
}
