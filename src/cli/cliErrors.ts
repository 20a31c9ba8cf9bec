// How the CLI fails: every error a person sees says what happened and what to do, and the process exits non-zero.
// Also where client commands find the hub (--url, then SWITCHBOARD_URL, then the hub file).

import { SwitchboardError, errorMessage } from '../protocol/errors';
import { readEnv } from '../protocol/envOptions';
import { DEFAULT_HUB_PORT } from '../protocol/messageTypes';
import { checkHubUrl } from '../sdk/hubUrl';
import { agentUrlFromHubFile, defaultHubFileDir } from '../hub/hubFile';

/** A failure the CLI reports in plain words; exitCode 1 unless said otherwise. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Hints by SwitchboardError code: the "what to do" half of a message that only says what happened. */
const HINTS: Partial<Record<SwitchboardError['code'], string>> = {
  not_connected: 'Start a hub with `switchboard hub` (or `npm start`) and pass its URL with --url or SWITCHBOARD_URL.',
  unauthorized: 'Copy the agent URL the hub printed, token included: export SWITCHBOARD_URL=\'ws://127.0.0.1:PORT/ws?token=…\'.',
  timeout: 'The hub is slow or busy; try again, or raise --timeout.',
};

/** Print an error for a person and choose the exit code. */
export function reportError(err: unknown, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): number {
  if (err instanceof CliError) {
    write(`switchboard: ${err.message}`);
    if (err.hint) write(`  → ${err.hint}`);
    return err.exitCode;
  }
  if (err instanceof SwitchboardError) {
    write(`switchboard: ${err.message}`);
    const hint = HINTS[err.code];
    if (hint && !err.message.includes(hint)) write(`  → ${hint}`);
    return 1;
  }
  write(`switchboard: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}`);
  write('  → This is a bug; please report it with the command you ran.');
  return 1;
}

/**
 * The hub URL for client commands: --url, else SWITCHBOARD_URL, else the hub file a running `switchboard hub`, demo or
 * VS Code window wrote for the configured port (SWITCHBOARD_PORT, default DEFAULT_HUB_PORT); checked so a typo fails
 * before any socket opens. A SWITCHBOARD_PORT that is not a number fails with a message naming it.
 */
export function resolveHubUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const vars = envOrCliError(() => readEnv(env, ['url', 'port']));
  const port = vars.port ?? DEFAULT_HUB_PORT;
  const raw = flag ?? vars.url ?? agentUrlFromHubFile(port, defaultHubFileDir(env));
  if (!raw) {
    throw new CliError(
      `No hub URL: this command talks to a running hub, and none is recorded for port ${port}.`,
      'Start one with `switchboard hub` (or `npm start`) in another terminal, or pass the agent URL it prints with --url or SWITCHBOARD_URL=ws://127.0.0.1:PORT/ws?token=….',
    );
  }
  try {
    checkHubUrl(raw);
  } catch (err) {
    throw new CliError(errorMessage(err), flag ? 'Fix the --url value.' : vars.url ? 'Fix SWITCHBOARD_URL.' : 'The hub file is damaged: restart the hub.');
  }
  return raw;
}

/** Parse a positive integer flag (timeouts, counts). */
export function intFlag(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const s = String(value).trim();
  if (!/^\d+$/.test(s)) throw new CliError(`${name} must be a whole number, got "${s}".`);
  return Number(s);
}

/** Runs a read of settings and turns a value that does not parse into a CliError (its message names the variable). */
export function envOrCliError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof SwitchboardError && err.code === 'invalid_config') throw new CliError(err.message);
    throw err;
  }
}
