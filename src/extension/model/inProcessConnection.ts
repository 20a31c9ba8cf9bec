// HubConnection over a hub running in this window: reads its snapshots directly and turns hub.events into change
// notifications. No socket in between.

import type { HubEventMap } from '../../hub/hubEvents';
import type { LogEntry } from '../../protocol/logEntry';
import type { ControlAction, SendMessageInput } from '../../protocol/messageTypes';
import { SwitchboardError } from '../../protocol/errors';
import { ActivityStore, describeEventData } from './activityStore';
import { Emitter, type Unsubscribe } from './emitter';
import type { HubLike } from './hubLike';
import type {
  ActivityItem,
  AgentView,
  ChangeKind,
  ConnectionInfo,
  ConnectionState,
  ExportFormat,
  HubConnection,
  SessionView,
  TransportView,
} from './hubConnection';

export class InProcessConnection implements HubConnection {
  readonly mode = 'local' as const;
  private readonly changes = new Emitter<ChangeKind>();
  private readonly entries = new Emitter<LogEntry[]>();
  private readonly agentChanges = new Emitter<{ agents: AgentView[]; full: boolean }>();
  private readonly activityStore: ActivityStore;
  private readonly detach: (() => void)[] = [];
  private logAttached: (() => void) | undefined;
  private readonly onErr: ((err: unknown) => void) | undefined;

  constructor(
    readonly hub: HubLike,
    opts: { activityPerAgent?: number; onListenerError?: (err: unknown) => void } = {},
  ) {
    this.activityStore = new ActivityStore(opts.activityPerAgent ?? 20);
    const onErr = opts.onListenerError;
    this.onErr = onErr;
    this.listen('state', () => this.changes.fire('state', onErr));
    this.listen('agents', (changed) => {
      this.changes.fire('agents', onErr);
      if (this.agentChanges.size) this.agentChanges.fire({ agents: changed, full: false }, onErr);
    });
    this.listen('sessions', () => this.changes.fire('sessions', onErr));
    this.listen('status', (line) => {
      if (line.agent_id) {
        this.activityStore.add(line.agent_id, {
          kind: 'status',
          time: Date.parse(line.time) || Date.now(),
          text: line.text,
          session_id: line.session_id,
        });
        this.changes.fire('activity', onErr);
      }
      // a status line for a session also changes the Sessions view
      if (line.session_id) this.changes.fire('sessions', onErr);
    });
    this.listen('agentEvent', (ev) => {
      if (!ev.agent_id) return;
      this.activityStore.add(ev.agent_id, {
        kind: 'event',
        time: Date.parse(ev.time) || Date.now(),
        text: describeEventData(ev.data),
        session_id: ev.session_id,
        event_type: ev.event_type,
      });
      this.changes.fire('activity', onErr);
    });
    this.listen('bus', () => this.changes.fire('transport', onErr));
  }

  private listen<K extends keyof HubEventMap>(event: K, listener: (...args: HubEventMap[K]) => void): void {
    const l = listener as (...args: unknown[]) => void;
    // node's typed EventEmitter signatures do not line up with a generic K; the cast is confined to this helper
    const em = this.hub.events as unknown as { on(e: string, l: (...a: unknown[]) => void): void; off(e: string, l: (...a: unknown[]) => void): void };
    em.on(event, l);
    this.detach.push(() => em.off(event, l));
  }

  get state(): ConnectionState {
    return this.hub.state;
  }

  info(): ConnectionInfo {
    const running = this.hub.state === 'running';
    return {
      mode: 'local',
      state: this.hub.state,
      hubId: this.hub.id,
      host: this.hub.host,
      port: this.hub.port,
      agentUrl: running ? this.hub.agentUrl : '',
      monitorUrl: running ? this.hub.monitorUrl : '',
      ownerPid: process.pid,
    };
  }

  agents(): readonly AgentView[] {
    return this.hub.agents();
  }

  agent(id: string): AgentView | undefined {
    return this.hub.agent(id);
  }

  sessions(): readonly SessionView[] {
    return this.hub.sessions();
  }

  activity(agentId: string): readonly ActivityItem[] {
    return this.activityStore.get(agentId);
  }

  transport(): TransportView {
    return this.hub.busStatus();
  }

  onDidChange(listener: (kind: ChangeKind) => void): Unsubscribe {
    return this.changes.on(listener);
  }

  recentEntries(max: number): LogEntry[] {
    return this.hub.log.recent(max);
  }

  onEntries(listener: (entries: LogEntry[]) => void): Unsubscribe {
    const off = this.entries.on(listener);
    if (!this.logAttached) {
      const em = this.hub.events;
      const onLog = (entry: LogEntry): void => this.entries.fire([entry], this.onErr);
      em.on('log', onLog);
      this.logAttached = () => em.off('log', onLog);
    }
    return () => {
      off();
      // stop listening to every frame once the last consumer (the monitor panel) is gone
      if (this.entries.size === 0 && this.logAttached) {
        this.logAttached();
        this.logAttached = undefined;
      }
    };
  }

  onAgents(listener: (agents: AgentView[], full: boolean) => void): Unsubscribe {
    return this.agentChanges.on(({ agents, full }) => listener(agents, full));
  }

  private requireRunning(what: string): void {
    if (this.hub.state !== 'running') {
      throw new SwitchboardError('shutdown', `Cannot ${what}: the hub is ${this.hub.state}. Run "Switchboard: Start Hub" first.`);
    }
  }

  async send(input: SendMessageInput): Promise<string> {
    this.requireRunning('send a message');
    const env = this.hub.sendMessage(input);
    return String(env.message_id ?? '');
  }

  async broadcast(text: string): Promise<void> {
    this.requireRunning('broadcast');
    this.hub.broadcast(text);
  }

  async control(action: ControlAction, agentId: string | 'all'): Promise<void> {
    this.requireRunning(`${action} an agent`);
    this.hub.controlAgent(action, agentId);
  }

  async exportLog(format: ExportFormat): Promise<string> {
    return this.hub.log.export(format);
  }

  async clearLog(): Promise<void> {
    this.hub.log.clear();
    this.activityStore.clear();
    this.changes.fire('log', this.onErr);
    this.changes.fire('activity', this.onErr);
  }

  /** Detaches from the hub's events; stopping the hub is the manager's decision. */
  async close(): Promise<void> {
    for (const d of this.detach.splice(0)) d();
    this.logAttached?.();
    this.logAttached = undefined;
    this.changes.clear();
    this.entries.clear();
    this.agentChanges.clear();
  }
}
