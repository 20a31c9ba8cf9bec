// Our `switchboard broker` routing broker in its own process for the seed benchmark (as the seed runs its broker):
// connects to the hub it is given and to RabbitMQ under the run's queue prefix. With BENCH_CPU_PROF=broker it writes a
// CPU profile to bench/results/prof when stopped (node's --cpu-prof cannot be passed through startProc for it).
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector';
import { RoutingBroker } from '../../src/cli/broker';
import { serveIpc } from '../lib';

const cfg = JSON.parse(process.argv[2] ?? '{}') as { rabbitmqUrl: string; queuePrefix: string; hubUrl: string };
const profile = (process.env.BENCH_CPU_PROF ?? '').split(',').includes('broker');
const session = profile ? new Session() : undefined;

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => session!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
}

async function main(): Promise<void> {
  if (session) {
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  const broker = new RoutingBroker({ rabbitmqUrl: cfg.rabbitmqUrl, queuePrefix: cfg.queuePrefix, hubUrl: cfg.hubUrl, name: 'bench-broker' });
  await broker.start();
  await broker.registered(15_000);
  serveIpc(
    { counters: () => broker.counters, brokerId: () => broker.brokerId },
    async () => {
      await broker.stop();
      if (session) {
        const { profile: p } = (await post('Profiler.stop')) as { profile: unknown };
        const dir = join(__dirname, '..', 'results', 'prof');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `broker-${process.pid}.cpuprofile`), JSON.stringify(p));
        session.disconnect();
      }
    },
  );
  process.send?.({ type: 'ready', port: 0, token: '' });
}
void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
