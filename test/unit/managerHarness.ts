// Shared by the tests that run the extension's HubManager for real (one manager per "window", a hub file dir each
// test makes): a free port, a manager wired to real hubs and monitor attachments, and a condition wait.

import { createServer } from 'node:http';
import { Hub } from '../../src/hub/hub';
import type { HubOptions } from '../../src/hub/options';
import { silentLogger } from '../../src/protocol/logger';
import { HubManager, type ManagerSettings } from '../../src/extension/model/hubManager';
import { attachAsMonitor } from '../../src/extension/model/monitorConnection';

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 8000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A window's HubManager; `hubOptions` are laid over what the settings give each hub it starts. */
export function manager(dir: string, settings: ManagerSettings, hubOptions: Partial<HubOptions> = {}): HubManager {
  return new HubManager({
    settings: () => settings,
    logger: silentLogger,
    hubFileDir: dir,
    createHub: (opts) => new Hub({ ...opts, ...hubOptions }, { logger: silentLogger }),
    attach: (t) => attachAsMonitor(t, silentLogger),
    takeover: { initialMs: 50, maxMs: 200 },
  });
}
