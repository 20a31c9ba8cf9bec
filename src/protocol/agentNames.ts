// How agents are named and counted wherever people see them (tree, monitor, quick picks, reports): one definition of
// "online" (a paused agent is connected but not online), a stable order, and a short id suffix where names repeat.

import type { AgentPresence } from './messageTypes';

interface Named {
  agent_id: string;
  agent_name: string;
}

interface WithPresence {
  status?: AgentPresence;
  is_online?: boolean;
}

/** The agent's presence; a peer that sends only the seed's is_online is online or offline. */
export function presenceOf(a: WithPresence): AgentPresence {
  return a.status ?? (a.is_online ? 'online' : 'offline');
}

export interface PresenceCounts {
  /** Taking messages now: not paused, not offline. */
  online: number;
  paused: number;
  offline: number;
  total: number;
}

export function countPresence(agents: readonly WithPresence[]): PresenceCounts {
  const c: PresenceCounts = { online: 0, paused: 0, offline: 0, total: agents.length };
  for (const a of agents) c[presenceOf(a)]++;
  return c;
}

/** By name, then id: presence changes never move a row (state shows by icon), so a click lands on the row aimed at. */
export function compareAgents(a: Named, b: Named): number {
  return a.agent_name.localeCompare(b.agent_name) || a.agent_id.localeCompare(b.agent_id);
}

/** The id's distinguishing part: agent_ebd1c6fd → ebd1. */
export function shortId(id: string): string {
  const tail = id.includes('_') ? id.slice(id.indexOf('_') + 1) : id;
  return tail.slice(0, 4) || id;
}

/**
 * The name to show for each agent: its name, and where two agents share it (after a restart the old ones linger
 * offline), the name with a short id suffix — "coder (ebd1)" — or the whole id when even the short ones collide.
 */
export function distinctNames(agents: readonly Named[]): Map<string, string> {
  const byName = new Map<string, Named[]>();
  for (const a of agents) {
    const name = a.agent_name || a.agent_id;
    const list = byName.get(name);
    if (list) list.push(a);
    else byName.set(name, [a]);
  }
  const out = new Map<string, string>();
  for (const [name, list] of byName) {
    if (list.length === 1) {
      out.set(list[0]!.agent_id, name);
      continue;
    }
    const shorts = list.map((a) => shortId(a.agent_id));
    const clash = new Set(shorts).size !== shorts.length;
    list.forEach((a, i) => out.set(a.agent_id, `${name} (${clash ? a.agent_id : shorts[i]!})`));
  }
  return out;
}
