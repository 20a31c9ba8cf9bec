// When to offer "Reconstruct Agent Context" on its own: an agent seen online or paused is now offline. Pure (no
// vscode) so Node tests cover it; reconstructCommand.ts adds the setting and the deregistration check.

export interface PresenceLike {
  agent_id: string;
  status: string;
}

/** Agents remembered at most; the oldest are forgotten first (the hub itself bounds the offline agents it keeps). */
export const MAX_TRACKED_AGENTS = 10_000;

export class DropDetector {
  private readonly known = new Map<string, string>();

  constructor(private readonly max = MAX_TRACKED_AGENTS) {}

  /** A new connection: remember everyone as they are now, report nothing. */
  reset(agents: readonly PresenceLike[]): void {
    this.known.clear();
    for (const a of agents) this.remember(a);
  }

  /** The agents of this change that went from online or paused to offline (an agent first seen offline is not one). */
  dropped<T extends PresenceLike>(changed: readonly T[]): T[] {
    const out: T[] = [];
    for (const a of changed) {
      const before = this.known.get(a.agent_id);
      this.remember(a);
      if (before !== undefined && before !== 'offline' && a.status === 'offline') out.push(a);
    }
    return out;
  }

  get size(): number {
    return this.known.size;
  }

  private remember(a: PresenceLike): void {
    this.known.delete(a.agent_id);
    this.known.set(a.agent_id, a.status);
    while (this.known.size > this.max) this.known.delete(this.known.keys().next().value!);
  }
}
