// Presence timers, cheap at 10,000 agents: one PING round per interval (serialised once), one sweep timer that
// finds silent agents, one SERVER_HEARTBEAT round (with the PING round when their intervals are equal). No timer per
// agent.

import type { Connection } from './connection';

export interface PresenceOptions {
  pingIntervalMs: number;
  inactivityTimeoutMs: number;
  heartbeatIntervalMs: number;
}

export interface PresenceDeps {
  /** Open connections of registered agents. */
  agentConnections(): Iterable<Connection>;
  /** Every open registered connection. */
  registeredConnections(): Iterable<Connection>;
  pingRound(targets: Iterable<Connection>): void;
  heartbeatRound(targets: Iterable<Connection>): void;
  /** An agent has been silent longer than inactivityTimeoutMs. */
  onInactive(conn: Connection, silentMs: number): void;
}

export class Presence {
  private pingTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private skippedLateTick = false;

  constructor(
    private readonly opts: PresenceOptions,
    private readonly deps: PresenceDeps,
  ) {}

  /** How often silent agents are looked for: a fraction of the timeout, so detection is late by at most that. */
  get sweepIntervalMs(): number {
    return Math.max(25, Math.min(1000, Math.floor(this.opts.inactivityTimeoutMs / 5)));
  }

  start(): void {
    this.stop();
    const { pingIntervalMs, heartbeatIntervalMs } = this.opts;
    if (pingIntervalMs > 0 && pingIntervalMs === heartbeatIntervalMs) {
      // Equal intervals (the defaults): both rounds in one turn of the event loop, so each agent's PING and
      // SERVER_HEARTBEAT leave in one write (sockets stay corked for the turn): half the syscalls and TCP segments.
      this.pingTimer = setInterval(() => {
        this.deps.pingRound(this.deps.agentConnections());
        this.deps.heartbeatRound(this.deps.registeredConnections());
      }, pingIntervalMs);
    } else if (pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => this.deps.pingRound(this.deps.agentConnections()), pingIntervalMs);
    }
    if (this.opts.inactivityTimeoutMs > 0) {
      this.lastTick = Date.now();
      this.sweepTimer = setInterval(() => this.tick(), this.sweepIntervalMs);
    }
    if (heartbeatIntervalMs > 0 && heartbeatIntervalMs !== pingIntervalMs) {
      this.heartbeatTimer = setInterval(() => this.deps.heartbeatRound(this.deps.registeredConnections()), heartbeatIntervalMs);
    }
  }

  /**
   * A tick that fires late means the hub's own event loop stalled: PONGs that arrived meanwhile are still unread
   * (timers run before I/O), so judging now would blame agents for the hub's stall. Skip one such tick, never two.
   */
  private tick(): void {
    const now = Date.now();
    const late = now - this.lastTick > this.sweepIntervalMs * 2 + 50;
    this.lastTick = now;
    if (late && !this.skippedLateTick) {
      this.skippedLateTick = true;
      return;
    }
    this.skippedLateTick = false;
    this.sweep(now);
  }

  /** Finds agents silent for longer than the timeout. Collected first: onInactive changes the set being walked. */
  sweep(now: number = Date.now()): void {
    const limit = this.opts.inactivityTimeoutMs;
    const silent: Connection[] = [];
    for (const c of this.deps.agentConnections()) {
      if (!c.closing && now - c.lastSeen > limit) silent.push(c);
    }
    for (const c of silent) this.deps.onInactive(c, now - c.lastSeen);
  }

  stop(): void {
    for (const t of [this.pingTimer, this.sweepTimer, this.heartbeatTimer]) if (t) clearInterval(t);
    this.pingTimer = this.sweepTimer = this.heartbeatTimer = undefined;
  }
}
