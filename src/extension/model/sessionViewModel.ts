// Front-end sessions → tree rows, with the status lines their agents emitted for them (seed 000) as children.

import type { SessionView, StatusLineView } from './hubConnection';
import type { TreeItemModel } from './treeItemModel';
import { formatClock, toEpochMs } from './relativeTime';

/** Children shown per session; the hub keeps its own bound, this keeps the tree short. */
export const SESSION_LINES_SHOWN = 50;

export function sortSessions(sessions: readonly SessionView[]): SessionView[] {
  return [...sessions].sort(
    (a, b) => Number(b.connected) - Number(a.connected) || a.name.localeCompare(b.name) || a.session_id.localeCompare(b.session_id),
  );
}

export function sessionItem(session: SessionView): TreeItemModel {
  const n = session.status_lines.length;
  const latest = session.status_lines[n - 1];
  return {
    id: `session:${session.session_id}`,
    label: session.name || session.session_id,
    description: `${session.connected ? 'connected' : 'disconnected'} · ${n} status line${n === 1 ? '' : 's'}`,
    tooltip: [
      `${session.name} (${session.connected ? 'connected' : 'disconnected'})`,
      `id: ${session.session_id}`,
      session.connected_at ? `connected: ${session.connected_at}` : undefined,
      latest ? `latest: ${latest.text}` : undefined,
    ]
      .filter((l): l is string => l !== undefined)
      .join('\n'),
    icon: session.connected ? { id: 'account', color: 'charts.blue' } : { id: 'account', color: 'disabledForeground' },
    contextValue: session.connected ? 'session.connected' : 'session.disconnected',
    collapsible: n > 0 ? 'collapsed' : 'none',
  };
}

/** Newest first, at most SESSION_LINES_SHOWN. agentName resolves ids to names for the description. */
export function sessionLineItems(
  session: SessionView,
  agentName: (id: string) => string | undefined,
): TreeItemModel[] {
  const lines = session.status_lines;
  const out: TreeItemModel[] = [];
  for (let i = lines.length - 1; i >= 0 && out.length < SESSION_LINES_SHOWN; i--) {
    out.push(statusLineItem(session.session_id, lines[i]!, i, agentName));
  }
  return out;
}

function statusLineItem(
  sessionId: string,
  line: StatusLineView,
  index: number,
  agentName: (id: string) => string | undefined,
): TreeItemModel {
  const who = line.agent_id ? (agentName(line.agent_id) ?? line.agent_id) : 'unknown agent';
  const ms = toEpochMs(line.time);
  return {
    id: `session:${sessionId}:line:${index}`,
    label: line.text,
    description: `${who}${ms !== undefined ? ` · ${formatClock(ms)}` : ''}`,
    tooltip: `${who} at ${line.time}\n\n${line.text}`,
    icon: { id: 'comment' },
    contextValue: 'session.statusLine',
    collapsible: 'none',
  };
}
