// The pending tool approvals (seed 003) as `switchboard agents` lists them: fetched from a subscription to every
// agent's stream, printed under the agents table.

import type { AgentStatusEntryT } from '../protocol/schemas';
import type { PendingApprovalT } from '../protocol/agentStreams';
import type { ObserverClient } from '../sdk/observerClient';
import { watchAgentStreams } from '../sdk/agentStreamWatcher';
import type { palette } from './terminal';

type Palette = ReturnType<typeof palette>;

/** Arguments shown in one line are cut here. */
const ARGS_CHARS = 80;
/** How long `agents` waits for the streams' snapshots before listing approvals without the stragglers. */
const SNAPSHOT_WAIT_MS = 3000;

/** Every pending approval, from a subscription to every agent (the snapshot of each agent in the directory). */
export async function fetchPendingApprovals(client: ObserverClient, agents: AgentStatusEntryT[]): Promise<PendingApprovalT[]> {
  const watch = await watchAgentStreams(client, undefined);
  const started = Date.now();
  try {
    while (!agents.every((a) => watch.states.get(a.agent_id)) && Date.now() - started < SNAPSHOT_WAIT_MS) {
      await new Promise((r) => setTimeout(r, 10));
    }
    return watch.states.pendingApprovals();
  } finally {
    await watch.stop();
  }
}

/** The pending approvals under the agents table. */
export function approvalLines(pending: PendingApprovalT[], agents: AgentStatusEntryT[], pal: Palette): string[] {
  if (pending.length === 0) return [];
  const name = (id: string): string => agents.find((a) => a.agent_id === id)?.agent_name ?? id;
  return [
    '',
    pal.bold(`PENDING APPROVALS (${pending.length}) — switchboard approve|deny <id>`),
    ...pending.map((p) => `${p.approval_id}  ${name(p.agent_id)}  ${p.tool} ${short(p.arguments)}${p.expires_at ? pal.dim(`  (default ${p.default ? 'approve' : 'deny'} at ${p.expires_at})`) : ''}`),
  ];
}

/** A value in one short line. */
export function short(v: unknown): string {
  const s = v === undefined || v === null ? '' : JSON.stringify(v);
  return s.length > ARGS_CHARS ? s.slice(0, ARGS_CHARS - 1) + '…' : s;
}
