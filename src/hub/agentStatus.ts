// AGENT_STATUS_UPDATE to front-ends, brokers and monitors: changes coalesced over statusCoalesceMs (a burst of 1,000
// registrations is a handful of frames, not 1,000), a full list every fullStatusIntervalMs, a full list on request.

import type { AgentSnapshot } from '../protocol/logEntry';
import type { Envelope } from '../protocol/schemas';
import type { Connection } from './connection';
import { agentStatusFrame } from './frames';

export interface AgentStatusOptions {
  statusCoalesceMs: number;
  fullStatusIntervalMs: number;
  /**
   * Seed compatibility: every update is a full list with the seed's `metrics` per agent, as the seed's third-generation
   * server sends (its web UI replaces its list with each one).
   */
  seedCompat?: boolean;
}

export interface AgentStatusDeps {
  snapshots(ids?: Iterable<string>): AgentSnapshot[];
  /** Who receives status updates: front-ends, brokers, monitors. */
  recipients(): Iterable<Connection>;
  fanOut(targets: Iterable<Connection>, frame: Envelope): void;
  sendTo(conn: Connection, frame: Envelope): void;
  /** In-process listeners (hub.events 'agents'). */
  changed(agents: AgentSnapshot[], full: boolean): void;
}

export class AgentStatusBroadcaster {
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private fullTimer: NodeJS.Timeout | undefined;
  /** Frames broadcast so far (partial + full), for tests and the health endpoint. */
  broadcasts = 0;

  constructor(
    private readonly opts: AgentStatusOptions,
    private readonly deps: AgentStatusDeps,
  ) {}

  start(): void {
    this.stop();
    if (this.opts.fullStatusIntervalMs > 0) this.fullTimer = setInterval(() => this.broadcastFull(), this.opts.fullStatusIntervalMs);
  }

  /** An agent's presence, name or status text changed. */
  markChanged(agentId: string): void {
    this.dirty.add(agentId);
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), this.opts.statusCoalesceMs);
  }

  /** Sends the pending changes now (stop() and tests). */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.dirty.size === 0) return;
    const changed = this.deps.snapshots(this.dirty);
    this.dirty.clear();
    if (changed.length === 0) return;
    this.broadcasts++;
    const seed = this.opts.seedCompat === true;
    this.deps.fanOut(this.deps.recipients(), seed ? agentStatusFrame(this.deps.snapshots(), true, true) : agentStatusFrame(changed, false));
    this.deps.changed(changed, false);
  }

  broadcastFull(): void {
    const all = this.deps.snapshots();
    this.broadcasts++;
    this.deps.fanOut(this.deps.recipients(), agentStatusFrame(all, true, this.opts.seedCompat === true));
  }

  sendFull(conn: Connection): void {
    this.deps.sendTo(conn, agentStatusFrame(this.deps.snapshots(), true, this.opts.seedCompat === true));
  }

  stop(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.fullTimer) clearInterval(this.fullTimer);
    this.flushTimer = this.fullTimer = undefined;
    this.dirty.clear();
  }
}
