// Agents → tree rows: presence icon and colour, a description that leads with the status line, a tooltip with the
// details, a contextValue for the menus, and the latest status lines and events as children.

import type { AgentPresence } from '../../protocol/messageTypes';
import { compareAgents, countPresence, type PresenceCounts } from '../../protocol/agentNames';
import type { ActivityItem, AgentView } from './hubConnection';
import type { IconModel, TreeItemModel } from './treeItemModel';
import { formatAgo, formatClock, toEpochMs } from './relativeTime';

export const PRESENCE_ICON: Readonly<Record<AgentPresence, IconModel>> = Object.freeze({
  online: { id: 'circle-filled', color: 'charts.green' },
  paused: { id: 'debug-pause', color: 'charts.yellow' },
  offline: { id: 'circle-outline', color: 'disabledForeground' },
});

/** contextValue per presence; menus match `viewItem =~ /^agent\.(online|paused)$/` etc. */
export function agentContextValue(status: AgentPresence): string {
  return `agent.${status}`;
}

/** By name, then id — not by presence: a row must not move under the mouse when an agent pauses or goes offline
 *  (an inline Pause would hit the agent that slid into its place). The icon shows the state. */
export function sortAgents<T extends AgentView>(agents: readonly T[]): T[] {
  return [...agents].sort(compareAgents);
}

export function lastSeenText(agent: AgentView, nowMs: number): string {
  const seen = toEpochMs(agent.last_seen);
  return seen === undefined ? 'never seen' : `last seen ${formatAgo(seen, nowMs)}`;
}

/**
 * What matters first: the latest status line, then what is unusual (paused, offline and when last seen). An online
 * agent's "last seen 1 s ago" says nothing and would change the row every second (cancelling a hover), so it is left
 * to the tooltip.
 */
export function agentDescription(agent: AgentView, nowMs: number): string {
  const parts: string[] = [];
  if (agent.last_status_text) parts.push(agent.last_status_text);
  if (agent.status !== 'online') parts.push(agent.status, lastSeenText(agent, nowMs));
  return parts.join(' · ');
}

export function agentTooltip(agent: AgentView, nowMs: number, connectionLabel: string): string {
  const lines = [
    `${agent.agent_name} (${agent.status})`,
    `id: ${agent.agent_id}`,
    `name: ${agent.agent_name}`,
    `connection: ${connectionLabel}${agent.remote_address ? ` from ${agent.remote_address}` : ''}`,
    `namespace: ${agent.namespace ?? 'default'}`,
  ];
  if (agent.hub_id) lines.push(`hub: ${agent.hub_id}`);
  const connected = toEpochMs(agent.connected_at);
  if (connected !== undefined) lines.push(`connected: ${new Date(connected).toISOString()}`);
  // online: the time it was last seen, which does not tick every second as "N s ago" would
  const seen = toEpochMs(agent.last_seen);
  if (agent.status !== 'online') lines.push(lastSeenText(agent, nowMs));
  else if (seen !== undefined) lines.push(`last seen at ${formatClock(seen)}`);
  const counts: string[] = [];
  if (agent.messages_in !== undefined) counts.push(`${agent.messages_in} in`);
  if (agent.messages_out !== undefined) counts.push(`${agent.messages_out} out`);
  if (agent.held_messages !== undefined) counts.push(`${agent.held_messages} held`);
  if (counts.length) lines.push(`messages: ${counts.join(', ')}`);
  if (agent.last_status_text) lines.push(`status: ${agent.last_status_text}`);
  return lines.join('\n');
}

export function agentItem(
  agent: AgentView,
  nowMs: number,
  opts: { connectionLabel: string; hasActivity: boolean; /** The name with an id suffix where names repeat. */ label?: string },
): TreeItemModel {
  return {
    id: `agent:${agent.agent_id}`,
    label: opts.label ?? (agent.agent_name || agent.agent_id),
    description: agentDescription(agent, nowMs),
    tooltip: agentTooltip(agent, nowMs, opts.connectionLabel),
    icon: PRESENCE_ICON[agent.status],
    contextValue: agentContextValue(agent.status),
    collapsible: opts.hasActivity ? 'collapsed' : 'none',
  };
}

export function activityItem(agentId: string, item: ActivityItem, index: number): TreeItemModel {
  const session = item.session_id ? `session: ${item.session_id}` : 'no session';
  if (item.kind === 'status') {
    return {
      id: `activity:${agentId}:${item.time}:${index}`,
      label: item.text,
      description: formatClock(item.time),
      tooltip: `status line at ${new Date(item.time).toISOString()}\n${session}\n\n${item.text}`,
      icon: { id: 'comment' },
      contextValue: 'activity.status',
      collapsible: 'none',
    };
  }
  return {
    id: `activity:${agentId}:${item.time}:${index}`,
    label: item.event_type ?? 'event',
    description: `${formatClock(item.time)}${item.text ? ` · ${item.text}` : ''}`,
    tooltip: `event ${item.event_type ?? ''} at ${new Date(item.time).toISOString()}\n${session}\n\n${item.text}`,
    icon: { id: 'pulse' },
    contextValue: 'activity.event',
    collapsible: 'none',
  };
}

export type AgentCounts = PresenceCounts;

/** Online means taking messages: a paused agent is not counted (the monitor uses the same definition). */
export function countAgents(agents: readonly AgentView[]): AgentCounts {
  return countPresence(agents);
}
