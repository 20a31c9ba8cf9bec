// Our `switchboard broker` routing broker in its own process for the seed benchmark (as the seed runs its broker):
// connects to the hub it is given and to RabbitMQ under the run's queue prefix. With BENCH_CPU_PROF=broker it writes a
// CPU profile to bench/results/prof when stopped (node's --cpu-prof cannot be passed through startProc for it).
import { RoutingBroker } from '../../src/cli/broker';
import { serveIpc } from '../lib';
import { closeProfiler, post, writeProfile } from './profiler';

const cfg = JSON.parse(process.argv[2] ?? '{}') as { rabbitmqUrl: string; queuePrefix: string; hubUrl: string };
const profile = (process.env.BENCH_CPU_PROF ?? '').split(',').includes('broker');

async function main(): Promise<void> {
  if (profile) {
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  const broker = new RoutingBroker({ rabbitmqUrl: cfg.rabbitmqUrl, queuePrefix: cfg.queuePrefix, hubUrl: cfg.hubUrl, name: 'bench-broker' });
  await broker.start();
  await broker.registered(15_000);
  serveIpc(
    {
      counters: () => broker.counters,
      brokerId: () => broker.brokerId,
      // online agents, or only those whose name matches (a bench's timed agents, not its warm-up's leaving ones)
      knownOnline: (namePattern) => {
        const re = typeof namePattern === 'string' ? new RegExp(namePattern) : undefined;
        return broker.knownAgents().filter((a) => a.online && (!re || re.test(a.name))).length;
      },
    },
    async () => {
      await broker.stop();
      if (profile) {
        const { profile: p } = (await post('Profiler.stop')) as { profile: unknown };
        writeProfile(`broker-${process.pid}.cpuprofile`, p);
        closeProfiler();
      }
    },
  );
  process.send?.({ type: 'ready', port: 0, token: '' });
}
void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
