// `switchboard tail`: a live, readable stream of what the hub sees (registrations, chat, status lines, events,
// presence), or NDJSON with --json; filters by message type and agent. Also used by `demo --with-hub`.

import type { Command } from 'commander';
import type { Logger } from '../protocol/logger';
import { MonitorClient } from '../sdk/monitorClient';
import { intFlag, resolveHubUrl } from './cliErrors';
import { invocation, waitForSignal } from './hubCommand';
import { TailPrinter, type TailOptions } from './tailPrinter';
import { cliLogger, colorWanted, palette } from './terminal';
import { tailTopics } from './topicCommands';

type Run = (fn: () => Promise<void>) => Promise<void>;

/** How long the presence snapshot waits for the backlog before it is printed anyway. */
const BACKLOG_WAIT_MS = 1000;

interface TailFlags {
  url?: string;
  json?: boolean;
  type?: string[];
  agent?: string[];
  all?: boolean;
  backlog: string;
  color?: boolean;
  topic?: string[];
  namespace?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

export function registerTailCommand(program: Command, run: Run): void {
  program
    .command('tail')
    .description("follow the hub's event log live: registrations, chat, status lines, events, presence")
    .option('--url <url>', 'hub agent URL (default: $SWITCHBOARD_URL)')
    .option('--json', 'one JSON log entry per line (NDJSON)')
    .option('--type <types>', 'only these message types, e.g. --type TEXT,REPLY (repeatable)', collect)
    .option('--agent <ids>', 'only entries involving these agents, by id or name (repeatable)', collect)
    .option('--all', 'also frames the hub sends and keepalives (PING/PONG/heartbeats)')
    .option('--backlog <n>', 'recent entries to show first', '20')
    .option('--no-color', 'plain text even on a terminal')
    .option('--topic <topics>', 'instead: subscribe to these topics (seed 004) and print each message (repeatable)', collect)
    .option('--namespace <ns>', 'with --topic: the namespace of the topics', 'default')
    .action((flags: TailFlags) =>
      run(async () => {
        if (flags.topic?.length) return tailTopics(flags.topic, flags);
        const url = resolveHubUrl(flags.url);
        const logger = cliLogger('warn');
        const stopped = waitForSignal();
        const tail = await startTail(url, logger, (l) => process.stdout.write(l + '\n'), {
          json: flags.json === true,
          types: flags.type?.length ? new Set(flags.type.map((t) => t.toUpperCase())) : undefined,
          agents: flags.agent?.length ? flags.agent : undefined,
          all: flags.all === true,
          backlog: intFlag(flags.backlog, '--backlog', 20),
          color: colorWanted(process.stdout, process.env, flags.color),
        });
        let lost = false; // say it once per outage, not once per retry
        tail.onState((state) => {
          if (state === 'reconnecting' && !lost) process.stderr.write('tail: lost the hub; reconnecting (Ctrl-C to stop)…\n');
          if (state === 'connected' && lost) process.stderr.write('tail: reconnected\n');
          if (state === 'reconnecting') lost = true;
          if (state === 'connected') lost = false;
        });
        await stopped;
        await tail.close();
      }),
    );
}

/** Connect a monitor and print what it receives; the caller closes the returned client. */
export async function startTail(
  url: string,
  logger: Logger,
  write: (line: string) => void,
  opts: TailOptions & { backlog: number; color: boolean },
): Promise<MonitorClient> {
  const printer = new TailPrinter(write, palette(opts.color), { cli: invocation(), ...opts, holdPresenceForBacklog: opts.backlog > 0 });
  const client = new MonitorClient({ url, name: 'switchboard tail', backlog: opts.backlog, logger });
  client.onAgents((list) => printer.agents(list));
  client.onEntries((entries, dropped) => printer.entries(entries, dropped));
  await client.connect();
  // The hub logs the monitor's own registration, so entries follow; should a filter or an empty log leave the
  // printer waiting, the presence snapshot still shows within a second.
  if (opts.backlog > 0) setTimeout(() => printer.releaseHeld(), BACKLOG_WAIT_MS).unref();
  return client;
}
