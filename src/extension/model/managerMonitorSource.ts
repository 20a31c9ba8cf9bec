// The Monitor panel's data source (MonitorSource) on top of the HubManager: it follows the manager across start, stop,
// restart and attach, re-subscribing to whichever connection is current, and tells the panel when the hub changed.

import type { LogEntry } from '../../protocol/logEntry';
import type { ControlAction, SendMessageInput } from '../../protocol/messageTypes';
import type { MonitorAgent, MonitorHubInfo, MonitorSource, MonitorSubscription } from '../../protocol/webviewMessages';
import { SwitchboardError } from '../../protocol/errors';
import type { HubConnection } from './hubConnection';
import type { HubManager } from './hubManager';
import type { Unsubscribe } from './emitter';

export function monitorHubInfo(conn: HubConnection | undefined): MonitorHubInfo {
  if (!conn) return { hub_id: null, state: 'stopped', mode: 'local' };
  const info = conn.info();
  const out: MonitorHubInfo = { hub_id: info.hubId || null, state: info.state, mode: info.mode };
  if (info.agentUrl) out.agent_url = info.agentUrl;
  return out;
}

export class ManagerMonitorSource implements MonitorSource {
  constructor(private readonly manager: HubManager) {}

  private current(what: string): HubConnection {
    const conn = this.manager.connection;
    if (!conn || conn.state !== 'running') {
      throw new SwitchboardError('shutdown', `Cannot ${what}: no hub is running. Run "Switchboard: Start Hub" first.`);
    }
    return conn;
  }

  snapshot(maxEntries: number): { hub: MonitorHubInfo; agents: MonitorAgent[]; entries: LogEntry[] } {
    const conn = this.manager.connection;
    return {
      hub: monitorHubInfo(conn),
      agents: conn ? [...conn.agents()] : [],
      entries: conn ? conn.recentEntries(maxEntries) : [],
    };
  }

  /** Subscribes to the current connection and moves the subscription along when the connection is replaced. */
  private follow(attach: (conn: HubConnection) => Unsubscribe): MonitorSubscription {
    let inner: Unsubscribe | undefined = this.manager.connection ? attach(this.manager.connection) : undefined;
    const offSwap = this.manager.onDidSwapConnection((conn) => {
      inner?.();
      inner = conn ? attach(conn) : undefined;
    });
    return {
      dispose: () => {
        offSwap();
        inner?.();
        inner = undefined;
      },
    };
  }

  onEntries(listener: (entries: LogEntry[]) => void): MonitorSubscription {
    return this.follow((conn) => conn.onEntries(listener));
  }

  onAgents(listener: (agents: MonitorAgent[], full: boolean) => void): MonitorSubscription {
    return this.follow((conn) => conn.onAgents(listener));
  }

  onHub(listener: (hub: MonitorHubInfo) => void): MonitorSubscription {
    const keyOf = (hub: MonitorHubInfo): string => `${hub.hub_id}|${hub.state}|${hub.mode}`;
    let last = keyOf(monitorHubInfo(this.manager.connection));
    const emit = (): void => {
      const hub = monitorHubInfo(this.manager.connection);
      const key = keyOf(hub);
      // 'state' changes fire often (busy flags); the panel only cares when the hub itself changed
      if (key === last) return;
      last = key;
      listener(hub);
    };
    const off = this.manager.onDidChange((kind) => {
      if (kind === 'state') emit();
    });
    return { dispose: off };
  }

  async sendMessage(input: SendMessageInput): Promise<string> {
    return this.current('send a message').send(input);
  }

  async controlAgent(action: ControlAction, agentId: string): Promise<void> {
    await this.current(`${action} ${agentId}`).control(action, agentId);
  }
}
