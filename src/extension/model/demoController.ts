// Keeps at most one demo fleet per window (the SDK's simulated agents), so "Start Demo Agents" twice does not double
// the fleet and stopping the hub or closing the window stops the fleet too.

import type { Logger } from '../../protocol/logger';
import type { DemoFleet } from '../../sdk/demoFleet';
import { Emitter, type Unsubscribe } from './emitter';

export class DemoController {
  private fleet: DemoFleet | undefined;
  private url = '';
  private starting: Promise<DemoFleet> | undefined;
  private readonly changes = new Emitter<boolean>();

  constructor(private readonly logger: Logger) {}

  get running(): boolean {
    return this.fleet !== undefined;
  }

  agents(): string[] {
    return this.fleet?.agents() ?? [];
  }

  onDidChange(listener: (running: boolean) => void): Unsubscribe {
    return this.changes.on(listener);
  }

  /** Starts the fleet against `url`; a running fleet on the same hub is kept, one on another hub is replaced. */
  async start(url: string, count: number): Promise<string[]> {
    if (this.fleet && this.url === url) return this.fleet.agents();
    if (this.starting) await this.starting.catch(() => undefined);
    await this.stop();
    // the demo agents' code (the SDK client, ws) loads on first use, not with the extension
    this.starting = import('../../sdk/demoFleet').then(({ startDemoFleet }) =>
      startDemoFleet({ url, count, logger: this.logger, user: true, crashes: true }),
    );
    try {
      this.fleet = await this.starting;
      this.url = url;
    } finally {
      this.starting = undefined;
    }
    this.changes.fire(true);
    return this.fleet.agents();
  }

  async stop(): Promise<void> {
    const f = this.fleet;
    this.fleet = undefined;
    this.url = '';
    if (f) {
      await f.stop();
      this.changes.fire(false);
    }
  }
}
