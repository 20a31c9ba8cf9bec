// `switchboard demo`: what a newcomer runs first. Connects a fleet of simulated agents to a hub (--url or
// SWITCHBOARD_URL); with --with-hub it starts a hub in-process first and tails its activity, so agents can be seen
// coming online, working, replying, going silent and coming back within seconds.

import type { Command } from 'commander';
import { startDemoFleet } from '../sdk/demoFleet';
import { intFlag, resolveHubUrl } from './cliErrors';
import { printReady, publishHubFile, startHub, waitForSignal } from './hubCommand';
import { addHubOptionFlags, hubOptionsFrom } from './hubOptionSpecs';
import { startTail } from './tailCommand';
import { cliLogger, colorWanted } from './terminal';

type Run = (fn: () => Promise<void>) => Promise<void>;

export function registerDemoCommand(program: Command, run: Run): void {
  const cmd = program
    .command('demo')
    .description('connect a fleet of simulated agents (planner, researcher, coder, reviewer, summariser) to a hub')
    .option('--url <url>', 'hub agent URL (default: $SWITCHBOARD_URL)')
    .option('--with-hub', 'start a hub in this process first and show its activity here')
    .option('--count <n>', 'how many agents', '5')
    .option('--no-chaos', 'agents never go silent or crash')
    .option('--no-user', 'no simulated person sending tasks')
    .option('--quiet', 'with --with-hub: do not show the activity stream')
    .option('--no-color', 'plain text even on a terminal');
  addHubOptionFlags(cmd);
  cmd.action((flags: Record<string, unknown>) =>
    run(async () => {
      const logger = cliLogger('info');
      const stopped = waitForSignal();
      const count = intFlag(flags.count, '--count', 5);
      let hub: Awaited<ReturnType<typeof startHub>> | undefined;
      let url: string;
      let unpublish = async (): Promise<void> => undefined;
      if (flags.withHub) {
        const options = hubOptionsFrom(flags);
        hub = await startHub(options, cliLogger('warn'));
        const published = await publishHubFile(hub, options.port, cliLogger('warn'));
        unpublish = published.unpublish;
        printReady(hub, (l) => process.stdout.write(l + '\n'), logger, published);
        url = hub.agentUrl;
      } else {
        url = resolveHubUrl(flags.url as string | undefined);
      }
      const tail =
        hub && !flags.quiet
          ? await startTail(url, cliLogger('warn'), (l) => process.stdout.write(l + '\n'), {
              json: false,
              backlog: 0,
              color: colorWanted(process.stdout, process.env, flags.color as boolean | undefined),
            })
          : undefined;
      try {
        const fleet = await startDemoFleet({ url, count, logger, crashes: flags.chaos !== false, user: flags.user !== false });
        const names = fleet.clients().map((c) => `${c.name} ${c.id ?? ''}`.trim());
        logger.info(`${count} demo agents online: ${names.join(', ')}. Ctrl-C to stop.`);
        const signal = await stopped;
        logger.info(`${signal}: stopping the demo…`);
        await fleet.stop();
      } finally {
        await tail?.close();
        await hub?.stop('demo finished');
        await unpublish();
      }
      logger.info('demo stopped');
    }),
  );
}
