// Owns this window's HubConnection: starts a hub in-process, or — when the configured port already answers /healthz
// as a Switchboard hub — attaches to it as a monitor with the token from the hub file. Never starts a rival on another
// port. When an attached hub goes away, it takes over (starts its own on the freed port) or re-attaches.

import type { HubOptions } from '../../hub/options';
import type { Logger } from '../../protocol/logger';
import { SwitchboardError, errorMessage } from '../../protocol/errors';
import { DEFAULT_HUB_PORT } from '../../protocol/messageTypes';
import { backoffDelay } from '../../protocol/backoff';
import { Emitter, type Unsubscribe } from './emitter';
import { HubFile, type HubRecord } from './hubFile';
import { probeHub, processAlive, type ProbeResult } from './healthProbe';
import type { HubLike } from './hubLike';
import type { ChangeKind, HubConnection } from './hubConnection';
import { InProcessConnection } from './inProcessConnection';

export interface ManagerSettings {
  hub: Partial<HubOptions>;
  autoStart: boolean;
}

export interface AttachTarget {
  host: string;
  port: number;
  token: string;
  hubId: string;
  ownerPid?: number;
}

export interface HubManagerDeps {
  settings: () => ManagerSettings;
  /** Awaited before every start or attach, e.g. to load the token from SecretStorage after activation returned. */
  beforeStart?: () => Promise<void>;
  logger: Logger;
  /** Folder of the hub file (see hubFile.ts for why it is per user, not per VS Code install). */
  hubFileDir: string;
  /** Builds the in-process hub (the extension passes `new Hub(options, { logger, webviewDir })`, loading the hub's
   *  code only then, so activation does not pay for it). */
  createHub: (options: Partial<HubOptions>) => HubLike | Promise<HubLike>;
  /** Connects to another window's hub as a monitor. Rejects with a SwitchboardError when refused. */
  attach: (target: AttachTarget) => Promise<HubConnection>;
  probe?: (host: string, port: number) => Promise<ProbeResult>;
  /** Retry delays while re-attaching or taking over after the owning window's hub went away. */
  takeover?: { initialMs: number; maxMs: number };
}

/** What the manager is doing right now, for the status bar ("starting…"). */
export type ManagerBusy = 'starting' | 'attaching' | 'stopping' | undefined;

function isAddrInUse(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') return true;
    if (e instanceof Error && /EADDRINUSE|in use/i.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export class HubManager {
  private conn: HubConnection | undefined;
  private localHub: HubLike | undefined;
  private localFile: HubFile | undefined;
  private connUnsub: Unsubscribe | undefined;
  private readonly changes = new Emitter<ChangeKind>();
  private readonly swaps = new Emitter<HubConnection | undefined>();
  private queue: Promise<unknown> = Promise.resolve();
  private busyState: ManagerBusy;
  private problemText: string | undefined;
  /** Set by an explicit stop: no automatic takeover or re-attach until the person starts again. */
  private userStopped = false;
  private takeoverTimer: ReturnType<typeof setTimeout> | undefined;
  private takeoverAttempt = 0;
  private disposed = false;
  private readonly probe: (host: string, port: number) => Promise<ProbeResult>;
  private readonly log: Logger;

  constructor(private readonly deps: HubManagerDeps) {
    this.probe = deps.probe ?? ((h, p) => probeHub(h, p));
    this.log = deps.logger;
  }

  get connection(): HubConnection | undefined {
    return this.conn;
  }

  /** The in-process hub, when this window owns one. */
  get hub(): HubLike | undefined {
    return this.localHub;
  }

  get busy(): ManagerBusy {
    return this.busyState;
  }

  /** The last reason the manager could neither start nor attach, phrased for a person; cleared on success. */
  get problem(): string | undefined {
    return this.problemText;
  }

  onDidChange(listener: (kind: ChangeKind) => void): Unsubscribe {
    return this.changes.on(listener);
  }

  /** Fires when the connection object is replaced (start, stop, attach, takeover). */
  onDidSwapConnection(listener: (conn: HubConnection | undefined) => void): Unsubscribe {
    return this.swaps.on(listener);
  }

  /** Lifecycle operations run one at a time, in order, so a restart never races a stop. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private setBusy(b: ManagerBusy): void {
    this.busyState = b;
    this.changes.fire('state', this.reportListenerError);
  }

  private readonly reportListenerError = (err: unknown): void => this.log.error(`listener failed: ${errorMessage(err)}`);

  /**
   * Attach to the hub on the configured port if one answers; otherwise start one here when `allowStart`.
   * Resolves with the resulting mode, or undefined when nothing was started (autoStart off).
   */
  startOrAttach(allowStart: boolean): Promise<'local' | 'attached' | undefined> {
    this.userStopped = false;
    this.cancelTakeover();
    return this.serial(() => this.doStartOrAttach(allowStart));
  }

  stop(): Promise<void> {
    this.userStopped = true;
    this.cancelTakeover();
    return this.serial(() => this.doStop('stopped from VS Code'));
  }

  restart(): Promise<'local' | 'attached' | undefined> {
    this.userStopped = false;
    this.cancelTakeover();
    return this.serial(async () => {
      await this.doStop('restarting');
      return this.doStartOrAttach(true);
    });
  }

  private async doStartOrAttach(allowStart: boolean): Promise<'local' | 'attached' | undefined> {
    if (this.disposed) return undefined;
    if (this.conn && (this.conn.state === 'running' || this.conn.state === 'starting')) return this.conn.mode;
    if (this.conn) await this.doStop('replacing a dead connection');
    await this.deps.beforeStart?.();
    const s = this.deps.settings();
    const host = s.hub.host ?? '127.0.0.1';
    const port = s.hub.port ?? DEFAULT_HUB_PORT;
    const file = new HubFile(this.deps.hubFileDir, port);
    try {
      this.setBusy('attaching');
      const found = port === 0 ? ({ kind: 'free' } as const) : await this.probe(host, port);
      if (found.kind === 'hub') {
        await this.attachTo(host, port, found.hubId, file, s);
        return 'attached';
      }
      if (found.kind === 'other') {
        // a non-hub holds the port: our hub may have fallen back to another port earlier, and the file says where
        const rec = await file.read();
        if (rec && rec.port !== port && processAlive(rec.pid)) {
          const there = await this.probe(rec.host, rec.port);
          if (there.kind === 'hub' && there.hubId === rec.hubId) {
            await this.attachTo(rec.host, rec.port, rec.hubId, file, s);
            return 'attached';
          }
        }
      }
      if (!allowStart) {
        this.log.info(`no hub on ${host}:${port}; autoStart is off, so none is started`);
        return undefined;
      }
      this.setBusy('starting');
      // fall back to another port only when something that is not a hub holds ours: a hub there means attach
      const mode = await this.startLocal(s, file, found.kind === 'other');
      return mode;
    } catch (err) {
      this.problemText = errorMessage(err);
      throw err;
    } finally {
      this.setBusy(undefined);
    }
  }

  private async startLocal(s: ManagerSettings, file: HubFile, portFallback: boolean): Promise<'local' | 'attached'> {
    const hub = await this.deps.createHub({ ...s.hub, portFallback });
    try {
      await hub.start();
    } catch (err) {
      await hub.stop('start failed').catch(() => undefined);
      if (isAddrInUse(err)) {
        // another window won the race for the port between our probe and our listen: attach to it instead
        const host = s.hub.host ?? '127.0.0.1';
        const port = s.hub.port ?? DEFAULT_HUB_PORT;
        const again = await this.probe(host, port);
        if (again.kind === 'hub') {
          await this.attachTo(host, port, again.hubId, file, s);
          return 'attached';
        }
        throw new SwitchboardError(
          'internal',
          `Port ${port} is in use by another program. Change "switchboard.hub.port" or stop that program, then run "Switchboard: Start Hub".`,
          { cause: err },
        );
      }
      throw err;
    }
    this.localHub = hub;
    this.localFile = file;
    const record: HubRecord = {
      port: hub.port,
      host: hub.host,
      token: hub.token,
      pid: process.pid,
      hubId: hub.id,
      startedAt: new Date().toISOString(),
    };
    try {
      await file.write(record);
    } catch (err) {
      // the hub works without the file; only a second window loses the ability to attach
      this.log.warn(`could not write the hub file ${file.path}: ${errorMessage(err)}; other windows cannot attach`);
    }
    this.setConnection(new InProcessConnection(hub, { onListenerError: this.reportListenerError }));
    this.problemText = undefined;
    this.log.info(`hub ${hub.id} running at ${hub.host}:${hub.port} (hub file ${file.path})`);
    return 'local';
  }

  private async attachTo(host: string, port: number, hubId: string, file: HubFile, s: ManagerSettings): Promise<void> {
    const rec = await file.read();
    const fromFile = rec && rec.hubId === hubId ? rec : undefined;
    const token = fromFile?.token || s.hub.token || '';
    if (!token) {
      throw new SwitchboardError(
        'unauthorized',
        `Port ${port} is held by Switchboard hub ${hubId}, but ${file.path} holds no token for it. ` +
          `Run "Switchboard: Set Hub Token" with that hub's token, or stop that hub and run "Switchboard: Start Hub".`,
      );
    }
    const target: AttachTarget = { host, port, token, hubId };
    if (fromFile) target.ownerPid = fromFile.pid;
    let conn: HubConnection;
    try {
      conn = await this.deps.attach(target);
    } catch (err) {
      throw new SwitchboardError(
        'unauthorized',
        `Could not attach to hub ${hubId} on ${host}:${port}: ${errorMessage(err)}. ` +
          `If it was started outside VS Code, run "Switchboard: Set Hub Token" with its token.`,
        { cause: err },
      );
    }
    this.setConnection(conn);
    this.problemText = undefined;
    this.takeoverAttempt = 0;
    this.log.info(`attached to hub ${hubId} on ${host}:${port}${fromFile ? ` (owned by pid ${fromFile.pid})` : ''} as a monitor`);
  }

  private setConnection(conn: HubConnection | undefined): void {
    this.connUnsub?.();
    this.connUnsub = undefined;
    this.conn = conn;
    if (conn) {
      this.connUnsub = conn.onDidChange((kind) => {
        this.changes.fire(kind, this.reportListenerError);
        if (kind === 'state' && conn.mode === 'attached' && conn.state === 'disconnected') this.scheduleTakeover();
      });
    }
    this.swaps.fire(conn, this.reportListenerError);
    for (const k of ['state', 'agents', 'sessions', 'activity', 'transport'] as const) this.changes.fire(k, this.reportListenerError);
  }

  private async doStop(reason: string): Promise<void> {
    const conn = this.conn;
    const hub = this.localHub;
    const file = this.localFile;
    if (!conn && !hub) return;
    this.setBusy('stopping');
    try {
      this.localHub = undefined;
      this.localFile = undefined;
      this.setConnection(undefined);
      await conn?.close();
      if (hub) {
        await hub.stop(reason);
        await file?.removeIfOwned(hub.id).catch(() => false);
        this.log.info(`hub ${hub.id} stopped (${reason})`);
      } else {
        this.log.info(`detached from the hub (${reason})`);
      }
    } finally {
      this.setBusy(undefined);
    }
  }

  private scheduleTakeover(): void {
    if (this.disposed || this.userStopped || this.takeoverTimer) return;
    const delay = backoffDelay(this.takeoverAttempt++, this.deps.takeover ?? { initialMs: 500, maxMs: 10_000 });
    this.log.info(`the hub this window watched went away; checking the port again in ${delay} ms`);
    this.takeoverTimer = setTimeout(() => {
      this.takeoverTimer = undefined;
      if (this.disposed || this.userStopped) return;
      const { autoStart } = this.deps.settings();
      this.serial(() => this.doStartOrAttach(autoStart)).then(
        (mode) => {
          if (mode === 'local') this.log.info('took over: this window now owns the hub');
          else if (mode === undefined) this.changes.fire('state', this.reportListenerError);
        },
        (err: unknown) => {
          this.log.warn(`takeover attempt failed: ${errorMessage(err)}`);
          this.scheduleTakeover();
        },
      );
    }, delay);
  }

  private cancelTakeover(): void {
    if (this.takeoverTimer) clearTimeout(this.takeoverTimer);
    this.takeoverTimer = undefined;
    this.takeoverAttempt = 0;
  }

  /** Stops the hub this window owns (or detaches) and releases every timer and listener. */
  async dispose(): Promise<void> {
    this.userStopped = true;
    this.cancelTakeover();
    await this.serial(() => this.doStop('VS Code window closing')).catch((err: unknown) =>
      this.log.warn(`stopping on dispose failed: ${errorMessage(err)}`),
    );
    this.disposed = true;
    this.changes.clear();
    this.swaps.clear();
  }
}
