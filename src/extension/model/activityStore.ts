// Per-agent ring of recent status lines and events (the Agents tree's children). Bounded twice: a few items per agent,
// and a cap on agents tracked, dropping the agent whose activity is oldest when full.

import type { ActivityItem } from './hubConnection';

export class ActivityStore {
  private readonly byAgent = new Map<string, ActivityItem[]>();

  constructor(
    readonly perAgent = 20,
    readonly maxAgents = 5000,
  ) {}

  add(agentId: string, item: ActivityItem): void {
    let ring = this.byAgent.get(agentId);
    if (ring) {
      // re-insert so Map order is "least recently active first" and eviction takes the stalest agent
      this.byAgent.delete(agentId);
    } else {
      ring = [];
      if (this.byAgent.size >= this.maxAgents) {
        const stalest = this.byAgent.keys().next().value;
        if (stalest !== undefined) this.byAgent.delete(stalest);
      }
    }
    ring.unshift(item);
    if (ring.length > this.perAgent) ring.length = this.perAgent;
    this.byAgent.set(agentId, ring);
  }

  /** Newest first. */
  get(agentId: string): readonly ActivityItem[] {
    return this.byAgent.get(agentId) ?? [];
  }

  get agentCount(): number {
    return this.byAgent.size;
  }

  clear(): void {
    this.byAgent.clear();
  }
}

/** One line of text for an AGENT_EVENT's data, short enough for a tree row. */
export function describeEventData(data: unknown, max = 80): string {
  if (data === undefined || data === null) return '';
  let text: string;
  if (typeof data === 'string') text = data;
  else {
    try {
      text = JSON.stringify(data) ?? '';
    } catch {
      text = String(data);
    }
  }
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}
