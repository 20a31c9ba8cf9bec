// A hub in its own process for benchmarks, reporting its memory and CPU over IPC.
import { Hub } from '../../src/hub/hub';
import { serveIpc } from '../lib';

const opts = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const hub = new Hub({ port: 0, token: 'bench', rateLimitPerSecond: 1_000_000, ...opts });
void hub.start().then(() => {
  serveIpc({ hubStats: () => hub.stats() }, () => hub.stop('bench done'));
  process.send?.({ type: 'ready', port: hub.port, token: hub.token });
});
