// `switchboard demo`: what a newcomer runs first. Connects a fleet of simulated agents to a hub (--url or
// SWITCHBOARD_URL); with --with-hub it starts a hub in-process first and tails its activity, so agents can be seen
// coming online, working, replying, going silent and coming back within seconds.

import type { Command } from 'commander';
import { ENV_VARS, readEnv, type DemoChaos } from '../protocol/envOptions';
import { chaosEveryMs, startDemoFleet } from '../sdk/demoFleet';
import { envOrCliError, intFlag, resolveHubUrl } from './cliErrors';
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
    .option('--chaos <level>', `how often agents go silent or crash: off, rare or often [env ${ENV_VARS.demoChaos.name}; default ${ENV_VARS.demoChaos.default}]`)
    .option('--no-chaos', 'the same as --chaos off')
    .option('--no-user', 'no simulated person sending tasks')
    .option('--quiet', 'with --with-hub: do not show the activity stream')
    .option('--no-color', 'plain text even on a terminal');
  addHubOptionFlags(cmd);
  cmd.action((flags: Record<string, unknown>) =>
    run(async () => {
      const logger = cliLogger('info');
      const stopped = waitForSignal();
      const count = intFlag(flags.count, '--count', 5);
      const chaos = chaosLevel(flags.chaos);
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
        const fleet = await startDemoFleet({ url, count, logger, chaos, user: flags.user !== false });
        const names = fleet.clients().map((c) => `${c.name} ${c.id ?? ''}`.trim());
        logger.info(`${count} demo agent${count === 1 ? '' : 's'} online: ${names.join(', ')}. Ctrl-C to stop.`);
        logger.info(chaosLine(chaos, count));
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

/** --chaos <level>, --no-chaos (false), else SWITCHBOARD_DEMO_CHAOS, else rare; a bad value names its source. */
function chaosLevel(flag: unknown, env: NodeJS.ProcessEnv = process.env): DemoChaos {
  return envOrCliError(() => {
    if (flag === false) return 'off';
    if (typeof flag === 'string') return ENV_VARS.demoChaos.parse(flag, '--chaos');
    return readEnv(env, ['demoChaos']).demoChaos ?? ENV_VARS.demoChaos.default;
  });
}

/** What the person should expect, and how to change it. */
function chaosLine(chaos: DemoChaos, count: number): string {
  const every = chaosEveryMs({ chaos });
  if (!every) return 'Chaos is off: agents never go silent or crash (--chaos rare|often turns it on).';
  const meanMinutes = (every[0] + every[1]) / 2 / 60_000 / count;
  const pace = meanMinutes >= 1 ? `about every ${Math.round(meanMinutes * 10) / 10} min` : `about every ${Math.round(meanMinutes * 60)} s`;
  const first = Math.round(every[0] / 1000);
  return `Chaos ${chaos}: from ${first >= 60 ? `${Math.round(first / 60)} min` : `${first} s`} on, an agent goes silent or crashes ${pace} and comes back (--chaos off|rare|often).`;
}
