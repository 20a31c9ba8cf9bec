// `switchboard hub`: run a hub in the foreground. Prints the agent URL when ready (the one thing a person needs to
// point agents at it) plus the monitor URL, logs to stderr, and stops cleanly on SIGINT/SIGTERM.

import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { Hub } from '../hub/hub';
import type { HubOptions } from '../hub/options';
import { SwitchboardError, errorMessage } from '../protocol/errors';
import type { Logger } from '../protocol/logger';
import { DEFAULT_HUB_PORT } from '../protocol/messageTypes';
import { CliError } from './cliErrors';
import { addHubOptionFlags, hubOptionsFrom } from './hubOptionSpecs';
import { cliLogger } from './terminal';
import { HubReconstruction } from '../reconstruction/hubReconstruction';
import { HubFile, defaultHubFileDir, processAlive } from '../hub/hubFile';

export function registerHubCommand(program: Command, run: (fn: () => Promise<void>) => Promise<void>): void {
  const cmd = program
    .command('hub')
    .description('run a hub in the foreground; prints the agent URL (ws://127.0.0.1:PORT/ws?token=…) when ready')
    .option('--verbose', 'log debug detail to stderr');
  addHubOptionFlags(cmd);
  cmd.action((flags: Record<string, unknown>) =>
    run(async () => {
      const logger = cliLogger(flags.verbose ? 'debug' : 'info');
      // Listen before announcing readiness: whoever reads the ready line may signal at once.
      const stopped = waitForSignal();
      const options = hubOptionsFrom(flags);
      const hub = await startHub(options, logger);
      const unpublish = await publishHubFile(hub, options.port, logger);
      printReady(hub, (l) => process.stdout.write(l + '\n'), logger);
      const signal = await stopped;
      logger.info(`${signal}: stopping the hub…`);
      await hub.stop(`Server shutdown (${signal})`);
      await unpublish();
      logger.info('hub stopped');
    }),
  );
}

/** Start a hub with these options; a failure becomes a CliError that says what to do. */
export async function startHub(options: Partial<HubOptions>, logger: Logger): Promise<Hub> {
  const hub = new Hub(options, { logger, webviewDir: findWebviewDir() });
  hub.events.on('warning', (message) => logger.warn(message));
  // A broker bus: say once when it is up and once when it is lost (reconnect attempts in between stay quiet).
  let busWas = '';
  hub.events.on('bus', (s) => {
    if (s.kind === 'memory' || s.state === 'connecting' || s.state === busWas) return;
    busWas = s.state;
    if (s.state === 'up') logger.info(`bus ${s.kind} up at ${s.url}`);
    else logger.warn(`bus ${s.kind} unreachable at ${s.url}${s.lastError ? ` (${s.lastError})` : ''}; retrying in the background`);
  });
  try {
    await hub.start();
  } catch (err) {
    const port = options.port ?? DEFAULT_HUB_PORT;
    if (err instanceof SwitchboardError && err.code === 'invalid_message') {
      throw new CliError(`The hub could not start: ${err.message}`, 'Check --bus (memory, rabbitmq or kafka) and the broker settings.');
    }
    if (err instanceof SwitchboardError) {
      throw new CliError(`The hub could not start: ${err.message}`, `Choose another port with --port (or SWITCHBOARD_PORT), or --port 0 for any free one. Port asked for: ${port}.`);
    }
    throw new CliError(`The hub could not start: ${errorMessage(err)}`);
  }
  // seed 002: REGISTER_AGENT {restore_from} is answered with RESTORE_CONTEXT; never delays the start, closes on stop
  void HubReconstruction.attachUntilStopped(hub, { logger });
  if (options.port !== undefined && options.port !== 0 && hub.port !== options.port) {
    logger.warn(`port ${options.port} was taken; listening on ${hub.port} instead`);
  }
  return hub;
}

/**
 * Writes the hub file (~/.agent-switchboard/hub-<configured port>.json, 0600) so VS Code windows attach to this hub
 * instead of starting a rival, and so `switchboard tail|send|agents` find it without SWITCHBOARD_URL. Skipped for
 * --port 0, and when we fell back to another port because a live hub of someone else's owns the record. Returns
 * the cleanup that removes the file if it still describes this hub.
 */
export async function publishHubFile(hub: Hub, configuredPort: number | undefined, logger: Logger): Promise<() => Promise<void>> {
  const port = configuredPort ?? DEFAULT_HUB_PORT;
  if (port === 0) return async () => undefined;
  const file = new HubFile(defaultHubFileDir(), port);
  const existing = await file.read();
  if (existing && existing.hubId !== hub.id && hub.port !== port && processAlive(existing.pid)) {
    logger.info(`hub file ${file.path} belongs to hub ${existing.hubId} (pid ${existing.pid}); not replacing it`);
    return async () => undefined;
  }
  try {
    await file.write({ port: hub.port, host: hub.host, token: hub.token, pid: process.pid, hubId: hub.id, startedAt: new Date().toISOString() });
  } catch (err) {
    logger.warn(`could not write the hub file ${file.path}: ${errorMessage(err)}; VS Code and client commands will need the URL`);
    return async () => undefined;
  }
  logger.debug(`hub file ${file.path}`);
  return async () => {
    await file.removeIfOwned(hub.id).catch(() => false);
  };
}

/** The ready lines: the agent URL first (tests and scripts match ws://…), then the monitor page. */
export function printReady(hub: Hub, write: (line: string) => void, logger: Logger): void {
  write(`Switchboard hub ${hub.id} ready — agents connect to: ${hub.agentUrl}`);
  write(`Monitor: ${hub.monitorUrl}`);
  const me = invocation();
  logger.info(`In another terminal try \`${me} agents\`, \`${me} tail\`, \`${me} send <agent> hello\` (they find this hub on its own; from elsewhere export SWITCHBOARD_URL='${hub.agentUrl}').`);
}

/** How this CLI was started, for hints a person can paste: `switchboard`, or `node dist/cli.js` from a checkout. */
export function invocation(argv: readonly string[] = process.argv): string {
  const script = argv[1] ?? '';
  if (!/\.(c?js|ts)$/.test(script)) return 'switchboard';
  const rel = relative(process.cwd(), script);
  const path = rel.startsWith('..') || isAbsolute(rel) ? script : rel;
  return script.endsWith('.ts') ? `node --import tsx ${path}` : `node ${path}`;
}

/** The built monitor bundle: beside the CLI bundle (dist/webview) or, when run from source, in the repo's dist/. */
export function findWebviewDir(): string | undefined {
  const candidates = [join(__dirname, 'webview'), join(__dirname, '..', '..', 'dist', 'webview')];
  return candidates.find((d) => existsSync(d));
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once (a person pressing Ctrl-C twice). */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (seen) {
        process.stderr.write(`${signal} again: exiting without waiting\n`);
        process.exit(130);
      }
      seen = true;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
