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
import { HUB_OPTION_SPECS, addHubOptionFlags, hubOptionsFrom } from './hubOptionSpecs';
import { cliLogger } from './terminal';
import { HubReconstruction } from '../reconstruction/hubReconstruction';
import { HubFile, defaultHubFileDir, processAlive, type HubRecord } from '../hub/hubFile';

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
      const published = await publishHubFile(hub, options.port, logger);
      printReady(hub, (l) => process.stdout.write(l + '\n'), logger, published);
      const signal = await stopped;
      logger.info(`${signal}: stopping the hub…`);
      await hub.stop(`Server shutdown (${signal})`);
      await published.unpublish();
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
    if (err instanceof SwitchboardError && err.code === 'invalid_config') {
      const s = HUB_OPTION_SPECS;
      throw new CliError(`The hub could not start: ${err.message}`, `Drop --${s.host.flag} (or ${s.host.env}) to bind 127.0.0.1, or drop --${s.seedCompat.flag} (and ${s.seedCompat.env}) and give clients the token.`);
    }
    if (err instanceof SwitchboardError && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE') {
      // Only reached with the fallback off (--no-port-fallback or SWITCHBOARD_PORT_FALLBACK=false).
      const holder = await hubHoldingPort(port);
      const fallback = HUB_OPTION_SPECS.portFallback;
      throw new CliError(
        `The hub could not start: port ${port} is in use${holder ? ` by ${describeHolder(holder)}` : ' by another program'}, and --no-${fallback.flag} (or ${fallback.env}=false) keeps this hub from moving to a free port.`,
        holder
          ? `That hub is running: \`${invocation()} agents\` and the other client commands reach it on their own${port === DEFAULT_HUB_PORT ? '' : ` with SWITCHBOARD_PORT=${port} set`}. For a second hub, choose another port with --port (--port 0 picks a free one) or drop --no-${fallback.flag}.`
          : `Choose another port with --port (or SWITCHBOARD_PORT), --port 0 for any free one, or drop --no-${fallback.flag}.`,
      );
    }
    if (err instanceof SwitchboardError) {
      throw new CliError(`The hub could not start: ${err.message}`, `Choose another port with --port (or SWITCHBOARD_PORT), or --port 0 for any free one. Port asked for: ${port}.`);
    }
    throw new CliError(`The hub could not start: ${errorMessage(err)}`);
  }
  // seed 002: REGISTER_AGENT {restore_from} is answered with RESTORE_CONTEXT; never delays the start, closes on stop
  void HubReconstruction.attachUntilStopped(hub, { logger });
  return hub;
}

/** What publishHubFile did: whether client commands can find this hub by its file, and who owns the file if not us. */
export interface HubFilePublication {
  /** The port the hub was configured for (the hub file is named for it); 0 when it was asked for any free port. */
  configuredPort: number;
  /** This hub's record is in the hub file for configuredPort. */
  published: boolean;
  /** The live hub whose record we left in place (it holds the file, and the port if its record says so). */
  holder?: HubRecord;
  /** Removes the file if it still describes this hub. */
  unpublish(): Promise<void>;
}

/**
 * Writes the hub file (~/.agent-switchboard/hub-<configured port>.json, 0600) so VS Code windows attach to this hub
 * instead of starting a rival, and so `switchboard tail|send|agents` find it without SWITCHBOARD_URL. Skipped for
 * --port 0, and when we fell back to another port because a live hub of someone else's owns the record. Returns
 * what it did, for printReady's hint, and the cleanup that removes the file if it still describes this hub.
 */
export async function publishHubFile(hub: Hub, configuredPort: number | undefined, logger: Logger): Promise<HubFilePublication> {
  const port = configuredPort ?? DEFAULT_HUB_PORT;
  const nothing = async (): Promise<void> => undefined;
  if (port === 0) return { configuredPort: 0, published: false, unpublish: nothing };
  const file = new HubFile(defaultHubFileDir(), port);
  const existing = await file.read();
  if (existing && existing.hubId !== hub.id && hub.port !== port && processAlive(existing.pid)) {
    logger.debug(`hub file ${file.path} belongs to hub ${existing.hubId} (pid ${existing.pid}); not replacing it`);
    return { configuredPort: port, published: false, holder: existing, unpublish: nothing };
  }
  try {
    await file.write({ port: hub.port, host: hub.host, token: hub.token, pid: process.pid, hubId: hub.id, startedAt: new Date().toISOString() });
  } catch (err) {
    logger.warn(`could not write the hub file ${file.path}: ${errorMessage(err)}; VS Code and client commands will need the URL`);
    return { configuredPort: port, published: false, unpublish: nothing };
  }
  logger.debug(`hub file ${file.path}`);
  return {
    configuredPort: port,
    published: true,
    unpublish: async () => {
      await file.removeIfOwned(hub.id).catch(() => false);
    },
  };
}

/** The live hub whose hub file says it listens on this port, if any (the likely reason the port is taken). */
export async function hubHoldingPort(port: number): Promise<HubRecord | undefined> {
  if (port === 0) return undefined;
  const rec = await new HubFile(defaultHubFileDir(), port).read();
  return rec && rec.port === port && processAlive(rec.pid) ? rec : undefined;
}

function describeHolder(rec: HubRecord): string {
  return `hub ${rec.hubId} (pid ${rec.pid}${rec.startedAt ? `, started ${rec.startedAt}` : ''})`;
}

/**
 * The ready lines: the agent URL first (tests and scripts match ws://…), then the monitor page; then, on stderr, how
 * client commands reach this hub. They find a hub on their own only through the hub file for SWITCHBOARD_PORT
 * (default 8765): after a port fallback, with --port 0, or on another port, they need the URL, and we say so.
 */
export function printReady(hub: Hub, write: (line: string) => void, logger: Logger, file: HubFilePublication): void {
  write(`Switchboard hub ${hub.id} ready — agents connect to: ${hub.agentUrl}`);
  write(`Monitor: ${hub.monitorUrl}`);
  if (hub.grpcPort) write(`gRPC (the seed's third-generation agents and brokers): ${hub.grpcAddress}`);
  const me = invocation();
  const cp = file.configuredPort;
  if (cp !== 0 && hub.port !== cp) {
    const by = file.holder && file.holder.port === cp ? `by ${describeHolder(file.holder)}` : 'by another program';
    logger.warn(`port ${cp} was taken ${by}; this hub listens on port ${hub.port} instead.`);
  }
  const tryThese = `\`${me} agents\`, \`${me} tail\`, \`${me} send <agent> hello\``;
  const exportUrl = `export SWITCHBOARD_URL='${hub.agentUrl}'`;
  if (file.published && cp === DEFAULT_HUB_PORT) {
    logger.info(`In another terminal try ${tryThese} (they find this hub on its own; from elsewhere ${exportUrl}).`);
  } else if (file.published) {
    logger.info(`In another terminal try ${tryThese} with SWITCHBOARD_PORT=${cp} set (they find this hub by its port), or ${exportUrl} (or pass --url).`);
  } else {
    const others = file.holder ? `reach hub ${file.holder.hubId} on port ${file.holder.port}, not this one` : `do not find this hub on their own`;
    logger.warn(`Client commands ${others}: in another terminal ${exportUrl} (or pass --url '${hub.agentUrl}'), then try ${tryThese}.`);
  }
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
