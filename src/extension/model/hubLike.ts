// The members of the Hub class (src/hub/hub.ts, see team API.md) that the extension uses. Typing against this shape
// keeps the model testable with the real Hub while stating exactly what the extension depends on.

import type { EventEmitter } from 'node:events';
import type { HubEventMap, HubState } from '../../hub/hubEvents';
import type { AgentSnapshot, LogEntry, SessionSnapshot } from '../../protocol/logEntry';
import type { ControlAction, SendMessageInput } from '../../protocol/messageTypes';
import type { Envelope } from '../../protocol/schemas';
import type { BusStatus } from '../../bus/bus';
import type { TopicsFamily } from '../../hub/topics/topicsFamily';

export interface HubLike {
  readonly events: EventEmitter<HubEventMap>;
  readonly state: HubState;
  readonly id: string;
  readonly port: number;
  readonly host: string;
  readonly token: string;
  readonly agentUrl: string;
  readonly monitorUrl: string;
  start(): Promise<void>;
  stop(reason?: string): Promise<void>;
  agents(): AgentSnapshot[];
  agent(id: string): AgentSnapshot | undefined;
  sessions(): SessionSnapshot[];
  readonly log: {
    recent(n: number): LogEntry[];
    export(format: 'ndjson' | 'csv'): string;
    clear(): void;
    readonly size: number;
  };
  sendMessage(input: SendMessageInput): Envelope;
  broadcast(text: string): Envelope;
  controlAgent(action: ControlAction, agentId: string): void;
  busStatus(): BusStatus;
  /** Seed 004 topics: the Topics view and "Publish to Topic". */
  readonly topics?: Pick<TopicsFamily, 'stats' | 'publishAs'>;
}
