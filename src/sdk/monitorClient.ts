// MonitorClient: a read-only view of a hub (REGISTER_MONITOR) — event-log entries as they happen (backlog first),
// agent presence with status text — used by `switchboard tail`, `switchboard agents` and a second VS Code window.
// Like a front-end it may also send chat and control agents.

import { isoNow } from '../protocol/ids';
import { isLogEntry, type LogEntry } from '../protocol/logEntry';
import { MessageType } from '../protocol/messageTypes';
import type { Envelope } from '../protocol/schemas';
import { registrationRefused, type ClientSocketOptions } from './clientSocket';
import { ObserverClient } from './observerClient';

export interface MonitorClientOptions extends ClientSocketOptions {
  name?: string;
  /** How many recent log entries the hub sends first (0: live only). The hub's default when absent. */
  backlog?: number;
}

export class MonitorClient extends ObserverClient {
  private readonly name: string;
  private readonly backlog: number | undefined;
  private hub: string | undefined;
  private readonly entryListeners: ((entries: LogEntry[], dropped: number) => void)[] = [];
  private droppedByHub = 0;

  constructor(opts: MonitorClientOptions) {
    super(opts, `monitor:${opts.name ?? 'monitor'}`);
    this.name = opts.name ?? 'monitor';
    this.backlog = opts.backlog;
  }

  /** Register; resolves with this monitor's id and the hub's id. */
  async connect(): Promise<{ monitor_id: string; hub_id: string | undefined }> {
    await this.open();
    return { monitor_id: this.selfId as string, hub_id: this.hub };
  }

  get hubId(): string | undefined {
    return this.hub;
  }

  /** Entries the hub reports it could not send this monitor because it read too slowly. */
  get droppedEntries(): number {
    return this.droppedByHub;
  }

  /** Event-log entries in batches (oldest first); `dropped` is how many the hub skipped before this batch. */
  onEntries(listener: (entries: LogEntry[], dropped: number) => void): void {
    this.entryListeners.push(listener);
  }

  protected registrationFrame(): Envelope {
    const frame: Envelope = { message_type: MessageType.REGISTER_MONITOR, monitor_name: this.name, timestamp: isoNow() };
    if (this.selfId) {
      // Reconnecting: keep our id, and take no backlog — it would replay entries already passed on (a hub's seq
      // cannot tell a restarted hub from the same one); what happened while we were away is lost, not repeated.
      frame.monitor_id = this.selfId;
      frame.backlog = 0;
    } else if (this.backlog !== undefined) {
      frame.backlog = this.backlog;
    }
    return frame;
  }

  protected acceptRegistration(first: Envelope): void {
    if (first.message_type === MessageType.REGISTER_MONITOR_RESPONSE && first.status === 'success' && typeof first.monitor_id === 'string') {
      this.selfId = first.monitor_id;
      this.hub = typeof first.hub_id === 'string' ? first.hub_id : undefined;
      return;
    }
    throw registrationRefused(first, 'monitor');
  }

  protected override handleRoleFrame(m: Envelope): boolean {
    if (m.message_type !== MessageType.MONITOR_EVENTS) return false;
    const raw = Array.isArray(m.entries) ? m.entries : [];
    const entries = raw.filter(isLogEntry);
    if (entries.length < raw.length) this.logger.warn(`ignored ${raw.length - entries.length} malformed log entries`);
    const dropped = typeof m.dropped === 'number' ? m.dropped : 0;
    this.droppedByHub += dropped;
    for (const l of this.entryListeners) l(entries, dropped);
    return true;
  }
}
