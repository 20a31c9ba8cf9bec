// Presence, cheap at 10,000 agents: one sweep timer walks the connections a few times per interval and sends a PING
// only to an agent that has been silent for pingIntervalMs, a SERVER_HEARTBEAT only to a client that has been sent
// nothing for heartbeatIntervalMs, and finds agents silent past the timeout. No timer per agent, no round to all.

import type { Connection } from './connection';

export interface PresenceOptions {
  pingIntervalMs: number;
  inactivityTimeoutMs: number;
  heartbeatIntervalMs: number;
}

/** What Presence reads and writes on a connection (a Connection; tests pass plain objects). */
export type PresenceConn = Pick<Connection, 'lastSeen' | 'closing' | 'closed' | 'framesOut' | 'role' | 'earlySeedUi' | 'presence'>;

export interface PresenceDeps<C extends PresenceConn = Connection> {
  /** Open connections of registered agents. */
  agentConnections(): Iterable<C>;
  /**
   * Every connection: the registered open ones get SERVER_HEARTBEATs, except the seed's early UI (under seed
   * compatibility it would show each as an empty chat bubble). A plain collection, filtered here in the one pass.
   */
  clients(): Iterable<C>;
  /** Sends one PING to each (serialised once). */
  pingRound(targets: C[]): void;
  /** Sends one SERVER_HEARTBEAT to each (serialised once). */
  heartbeatRound(targets: C[]): void;
  /** An agent has been silent longer than inactivityTimeoutMs. */
  onInactive(conn: C, silentMs: number): void;
}

export class Presence<C extends PresenceConn = Connection> {
  private sweepTimer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private skippedLateTick = false;

  constructor(
    private readonly opts: PresenceOptions,
    private readonly deps: PresenceDeps<C>,
  ) {}

  /**
   * How often the sweep runs: a fraction of the timeout and of each interval, so a PING, a heartbeat or a detection
   * is off by at most that (never more than a second).
   */
  get sweepIntervalMs(): number {
    const { pingIntervalMs: ping, inactivityTimeoutMs: timeout, heartbeatIntervalMs: heartbeat } = this.opts;
    const fractions = [1000, timeout > 0 ? timeout / 5 : Infinity, ping > 0 ? ping / 4 : Infinity, heartbeat > 0 ? heartbeat / 4 : Infinity];
    return Math.max(25, Math.floor(Math.min(...fractions)));
  }

  start(): void {
    this.stop();
    const { pingIntervalMs, inactivityTimeoutMs, heartbeatIntervalMs } = this.opts;
    if (pingIntervalMs <= 0 && inactivityTimeoutMs <= 0 && heartbeatIntervalMs <= 0) return;
    this.lastTick = Date.now();
    this.sweepTimer = setInterval(() => this.tick(), this.sweepIntervalMs);
  }

  /**
   * A tick that fires late means the hub's own event loop stalled: frames that arrived meanwhile are still unread
   * (timers run before I/O), so judging now would blame agents for the hub's stall (and PING ones that talked). Skip
   * one such tick, never two.
   */
  private tick(): void {
    const now = Date.now();
    const late = now - this.lastTick > this.sweepIntervalMs * 2 + 50;
    const previous = this.lastTick;
    this.lastTick = now;
    if (late && !this.skippedLateTick) {
      this.skippedLateTick = true;
      return;
    }
    this.skippedLateTick = false;
    this.sweep(now, previous);
  }

  /**
   * One pass. PINGs first: an agent silent for pingIntervalMs (nothing received from it, and no PING for that long)
   * is PINGed, so a silent agent still gets a PING each interval and one that talks gets none. A PING counts as the
   * heartbeat: a client sent anything within heartbeatIntervalMs gets no SERVER_HEARTBEAT. Then the agents silent
   * past the timeout, collected first (onInactive changes the set being walked). `previous` is the last sweep's time:
   * a frame noticed now was sent after it.
   */
  sweep(now: number = Date.now(), previous: number = now - this.sweepIntervalMs): void {
    const { pingIntervalMs: ping, inactivityTimeoutMs: limit, heartbeatIntervalMs: heartbeat } = this.opts;
    const half = this.sweepIntervalMs / 2;
    // Due within half a sweep counts as due: on average on time, and a PONG keeps its slack before the timeout.
    const pingAt = ping > 0 ? now - ping + half : -Infinity;
    const silentAt = limit > 0 ? now - limit : -Infinity;
    let pings: C[] | undefined;
    let silent: C[] | undefined;
    if (ping > 0 || limit > 0) {
      for (const c of this.deps.agentConnections()) {
        if (c.closing) continue;
        const seen = c.lastSeen;
        if (seen < silentAt) (silent ??= []).push(c);
        else if (seen <= pingAt && c.presence.pingedAt <= pingAt) (pings ??= []).push(c);
      }
    }
    if (pings) {
      this.deps.pingRound(pings);
      // the PINGs just sent are exact: stamped now, not at the previous sweep
      for (const c of pings) {
        c.presence.pingedAt = now;
        this.noteSent(c, now);
      }
    }
    if (heartbeat > 0) {
      let beats: C[] | undefined;
      const quietAt = now - heartbeat + half;
      // An agent's heartbeat waits one sweep more: a PING (the same proof of life) is usually due in the same pass.
      const agentQuietAt = ping > 0 ? quietAt - this.sweepIntervalMs : quietAt;
      for (const c of this.deps.clients()) {
        if (c.role === undefined || c.closing || c.closed || c.earlySeedUi) continue;
        const p = c.presence;
        if (c.framesOut !== p.outMark) this.noteSent(c, previous);
        else if (p.quietOutSince <= (c.role === 'agent' ? agentQuietAt : quietAt)) (beats ??= []).push(c);
      }
      if (beats) {
        this.deps.heartbeatRound(beats);
        for (const c of beats) this.noteSent(c, now);
      }
    }
    // collected first: onInactive changes the set being walked
    if (silent) for (const c of silent) this.deps.onInactive(c, now - c.lastSeen);
  }

  private noteSent(c: C, at: number): void {
    c.presence.outMark = c.framesOut;
    c.presence.quietOutSince = at;
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }
}
