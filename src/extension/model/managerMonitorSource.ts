// The Monitor panel's data source (MonitorSource) on top of the HubManager: it follows the manager across start, stop,
// restart and attach, re-subscribing to whichever connection is current, and tells the panel when the hub changed.

import type { LogEntry } from '../../protocol/logEntry';
import type { ControlAction, SendMessageInput } from '../../protocol/messageTypes';
import type { MonitorAgent, MonitorHubInfo, MonitorSource, MonitorSubscription } from '../../protocol/webviewMessages';
import { SwitchboardError } from '../../protocol/errors';
import type { HubConnection } from './hubConnection';
import type { HubManager } from './hubManager';
import type { Unsubscribe } from './emitter';
import type { AgentStreams } from '../../hub/agentStreams/agentStreams';
import type { ObserverClient } from '../../sdk/observerClient';
import { decideApproval } from '../../sdk/agentStreamWatcher';
import { AGENT_STREAM_FRAME_TYPES } from '../../protocol/webviewMessages';
import { MessageType } from '../../protocol/messageTypes';
import type { TopicsFamily } from '../../hub/topics/topicsFamily';
import { newMessageId } from '../../protocol/ids';
import type { MessageDebugger } from '../../hub/debugger';
import { DEBUG_NOTIFICATION_FRAME_TYPES } from '../../protocol/webviewMessages';
import { relayDebugCommand } from './monitorDebugRelay';
import { sendDebugAction, debugActionRequest } from '../../sdk/debugActions';

/** The owner of the Monitor panel's breakpoints in the in-process hub's debugger. */
const PANEL_OWNER = 'monitor panel';

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

  // --- agent streams (seed 003): the Monitor's Agent pane ---

  private streams(): AgentStreams | undefined {
    return (this.manager.hub as { agentStreams?: AgentStreams } | undefined)?.agentStreams;
  }

  private streamClient(conn: HubConnection | undefined): ObserverClient | undefined {
    const c = conn as (HubConnection & { streamClient?: ObserverClient }) | undefined;
    return c?.mode === 'attached' ? c.streamClient : undefined;
  }

  /** Every agent's stream frames: the in-process hub's, or an attached hub's through the window's monitor client. */
  onAgentStream(listener: (frame: Record<string, unknown>) => void): MonitorSubscription {
    return this.follow((conn) => {
      const local = this.streams();
      if (local) return local.subscribe(undefined, (f) => listener(f as Record<string, unknown>));
      const client = this.streamClient(conn);
      if (!client) return () => undefined;
      const off = client.onFrame((m) => {
        if (typeof m.message_type === 'string' && AGENT_STREAM_FRAME_TYPES.has(m.message_type)) listener(m as Record<string, unknown>);
      });
      // fresh SNAPSHOTs for the panel; never unsubscribed here: the window's approvals share this client's stream
      void client.sendRaw({ message_type: MessageType.MONITOR_SUBSCRIBE, sender_id: client.id ?? null }).catch(() => undefined);
      return off;
    });
  }

  async decideApproval(approvalId: string, approved: boolean, note?: string): Promise<void> {
    const local = this.streams();
    if (local) {
      local.decide(approvalId, approved, note);
      return;
    }
    const client = this.streamClient(this.current('decide a tool approval'));
    if (!client) throw new SwitchboardError('shutdown', 'Cannot decide a tool approval: this window neither runs nor watches a hub.');
    await decideApproval(client, approvalId, approved, note, 10_000, true);
  }

  /** "Load older" of the Monitor's topic filter: the in-process hub's store, or HISTORY over the attached monitor socket. */
  async topicHistory(topic: string, beforeId: string | undefined, limit: number): Promise<Record<string, unknown>[]> {
    const local = (this.manager.hub as { topics?: TopicsFamily } | undefined)?.topics;
    if (local) {
      const at = topic.indexOf(':');
      return local.history(at > 0 ? topic.slice(0, at) : 'default', topic.slice(at + 1), { beforeId, limit });
    }
    const client = this.streamClient(this.current('read a topic\'s history'));
    if (!client) throw new SwitchboardError('shutdown', 'Cannot read a topic\'s history: this window neither runs nor watches a hub.');
    // a monitor may name namespace:topic, which the SDK's TopicClient (an agent's view) refuses: ask directly
    const request_id = `hist-${newMessageId()}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new SwitchboardError('timeout', `The hub did not answer the history of ${topic}.`)), 10_000);
      const finish = (err: Error | undefined, messages?: Record<string, unknown>[]): void => {
        clearTimeout(timer);
        off();
        if (err) reject(err);
        else resolve(messages ?? []);
      };
      const off = client.onFrame((m) => {
        if (m.request_id !== request_id) return;
        if (m.message_type === MessageType.ERROR) finish(new Error(typeof m.text_payload === 'string' ? m.text_payload : 'The hub refused the history request.'));
        else if (Array.isArray(m.messages)) finish(undefined, m.messages as Record<string, unknown>[]);
      });
      const frame: Record<string, unknown> = { message_type: 'HISTORY', topic, limit, request_id };
      if (beforeId) frame.before_id = beforeId;
      client.sendRaw(frame as never).catch((err: unknown) => finish(err instanceof Error ? err : new Error(String(err))));
    });
  }

  // --- the message debugger (issue 20): held messages and breakpoints in the panel ---

  private localDebugger(): MessageDebugger | undefined {
    return (this.manager.hub as { debugger?: MessageDebugger } | undefined)?.debugger;
  }

  /** The in-process hub's debugger as frames (the panel owns the breakpoints it sets), or an attached hub's over the window's monitor client. */
  onDebugger(listener: (frame: Record<string, unknown>) => void): MonitorSubscription {
    return this.follow((conn) => {
      const dbg = this.localDebugger();
      if (dbg) {
        const held = (h: unknown, count: number): void => listener({ message_type: 'DEBUG_HELD', held: h, held_count: count });
        const released = (r: object): void => listener({ message_type: 'DEBUG_RELEASED', ...r });
        const log = (l: object): void => listener({ message_type: 'DEBUG_LOG', ...l });
        const bps = (): void => {
          listener({ message_type: 'DEBUG_BREAKPOINTS', breakpoints: dbg.breakpointInfos(PANEL_OWNER) });
          listener({ message_type: 'DEBUG_ALL_BREAKPOINTS', breakpoints: dbg.breakpointInfos() });
        };
        dbg.events.on('held', held);
        dbg.events.on('released', released);
        dbg.events.on('log', log);
        dbg.events.on('breakpoints', bps);
        listener({ message_type: 'DEBUG_STATE', breakpoints: dbg.breakpointInfos(), held: dbg.held() });
        return () => {
          dbg.events.off('held', held);
          dbg.events.off('released', released);
          dbg.events.off('log', log);
          dbg.events.off('breakpoints', bps);
          // like a debugger client leaving: the panel's breakpoints go with it
          dbg.removeOwner(PANEL_OWNER);
        };
      }
      const client = this.streamClient(conn);
      if (!client) return () => undefined;
      const off = client.onFrame((m) => {
        if (typeof m.message_type === 'string' && DEBUG_NOTIFICATION_FRAME_TYPES.has(m.message_type)) listener(m as Record<string, unknown>);
      });
      void client.sendRaw({ message_type: 'DEBUG_ATTACH', sender_id: client.id ?? null } as never).catch(() => undefined);
      return off;
    });
  }

  async debugCommand(frame: Record<string, unknown>): Promise<void> {
    const dbg = this.localDebugger();
    if (dbg) return relayDebugCommand(dbg, PANEL_OWNER, frame);
    const client = this.streamClient(this.current('use the message debugger'));
    if (!client) throw new SwitchboardError('shutdown', 'Cannot use the message debugger: this window neither runs nor watches a hub.');
    // an action waits for the hub's answer, so the panel says "refused" (released meanwhile…) instead of "done"
    if (frame.message_type === 'DEBUG_ACTION') return sendDebugAction(client, debugActionRequest(frame));
    await client.sendRaw({ ...frame, message_id: newMessageId(), sender_id: client.id ?? null } as never);
  }
}
