// The agent list beside the table: presence icon, name, "last seen" kept fresh, latest status line. Keyed
// elements are updated in place; above MAX_LISTED agents the rest are summarised rather than drawn.

import type { MonitorAgent } from '../../protocol/webviewMessages';
import { countPresence, distinctNames, presenceOf } from '../../protocol/agentNames';
import { formatAgo } from '../rowModel';
import { el, setText } from './dom';

/** Agents drawn in the list; the rest are counted (the Agents tree and the agent filter list them all). */
const MAX_LISTED = 200;

interface Item {
  root: HTMLLIElement;
  icon: HTMLSpanElement;
  name: HTMLSpanElement;
  seen: HTMLSpanElement;
  status: HTMLSpanElement;
  badge: HTMLSpanElement;
}

export { presenceOf };
export const PRESENCE_ICON = { online: 'pass-filled', paused: 'debug-pause', offline: 'circle-slash' } as const;

export class AgentList {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly more: HTMLDivElement;
  private readonly title: HTMLSpanElement;
  private readonly items = new Map<string, Item>();
  private selected: string | null = null;

  constructor(private readonly onPick: (agentId: string) => void) {
    this.title = el('span', {}, 'Agents');
    this.list = el('ul', { class: 'agent-list', role: 'listbox', 'aria-label': 'Agents', tabindex: '0' });
    this.more = el('div', { class: 'more' });
    this.element = el('aside', { class: 'agents', 'aria-label': 'Agents' }, el('h2', { class: 'pane-title' }, this.title), this.list, this.more);
    this.list.addEventListener('click', (e) => {
      const li = (e.target as Element).closest<HTMLElement>('[data-agent]');
      if (li?.dataset.agent) this.onPick(li.dataset.agent);
    });
    this.list.addEventListener('keydown', (e) => {
      const ids = [...this.items.keys()];
      if (!ids.length) return;
      const at = this.selected ? ids.indexOf(this.selected) : -1;
      let next: number | undefined;
      if (e.key === 'ArrowDown' || e.key === 'j') next = Math.min(ids.length - 1, at + 1);
      else if (e.key === 'ArrowUp' || e.key === 'k') next = Math.max(0, at - 1);
      else if (e.key === 'Enter' && this.selected) next = at;
      if (next === undefined) return;
      e.preventDefault();
      e.stopPropagation();
      this.onPick(ids[next]!);
    });
  }

  setSelected(agentId: string | null): void {
    if (this.selected) this.items.get(this.selected)?.root.setAttribute('aria-selected', 'false');
    this.selected = agentId;
    const it = agentId ? this.items.get(agentId) : undefined;
    if (it) {
      it.root.setAttribute('aria-selected', 'true');
      this.list.setAttribute('aria-activedescendant', it.root.id);
      it.root.scrollIntoView({ block: 'nearest' });
    } else this.list.removeAttribute('aria-activedescendant');
  }

  render(agents: readonly MonitorAgent[], now = Date.now(), pendingOf: (agentId: string) => number = () => 0): void {
    const shown = agents.slice(0, MAX_LISTED);
    // the Agents tree's definition: a paused agent is not online
    setText(this.title, `Agents · ${countPresence(agents).online}/${agents.length} online`);
    const names = distinctNames(agents);
    const keep = new Set(shown.map((a) => a.agent_id));
    for (const [id, it] of this.items) {
      if (!keep.has(id)) {
        it.root.remove();
        this.items.delete(id);
      }
    }
    let prev: Element | null = null;
    for (const a of shown) {
      let it = this.items.get(a.agent_id);
      if (!it) {
        it = this.makeItem(a.agent_id);
        this.items.set(a.agent_id, it);
      }
      const p = presenceOf(a);
      const iconClass = `codicon codicon-${PRESENCE_ICON[p]} presence-${p}`;
      if (it.icon.className !== iconClass) {
        it.icon.className = iconClass;
        it.icon.setAttribute('aria-label', p);
      }
      setText(it.name, names.get(a.agent_id) ?? (a.agent_name || a.agent_id));
      setText(it.seen, p === 'online' ? formatAgo(a.last_seen, now) : p);
      setText(it.status, a.last_status_text ?? a.status_text ?? '');
      const pending = pendingOf(a.agent_id);
      setText(it.badge, pending ? String(pending) : '');
      it.badge.hidden = pending === 0;
      const badgeTitle = pending ? `${pending} tool call${pending === 1 ? '' : 's'} waiting for approval` : '';
      if (it.badge.title !== badgeTitle) {
        it.badge.title = badgeTitle;
        it.badge.setAttribute('aria-label', badgeTitle);
      }
      const title = `${a.agent_name} (${a.agent_id}) · ${p}${a.namespace ? ' · ' + a.namespace : ''}${badgeTitle ? ' · ' + badgeTitle : ''}`;
      if (it.root.title !== title) it.root.title = title;
      const sel = String(a.agent_id === this.selected);
      if (it.root.getAttribute('aria-selected') !== sel) it.root.setAttribute('aria-selected', sel);
      // keep DOM order equal to the sorted order without re-creating nodes
      const expected: Element | null = prev ? prev.nextElementSibling : this.list.firstElementChild;
      if (expected !== it.root) this.list.insertBefore(it.root, expected);
      prev = it.root;
    }
    this.more.hidden = agents.length <= MAX_LISTED;
    setText(this.more, agents.length > MAX_LISTED ? `+${agents.length - MAX_LISTED} more (filter by agent to see them)` : '');
    if (!agents.length) setText(this.more, 'No agents connected yet.');
    this.more.hidden = agents.length > 0 && agents.length <= MAX_LISTED;
  }

  private makeItem(id: string): Item {
    const icon = el('span', { class: 'codicon', role: 'img' });
    const name = el('span', { class: 'agent-name' });
    const seen = el('span', { class: 'agent-seen' });
    const status = el('span', { class: 'agent-status' });
    const badge = el('span', { class: 'approval-badge' });
    badge.hidden = true;
    const root = el(
      'li',
      { class: 'agent', role: 'option', 'data-agent': id, id: `agent-${id}` },
      el('div', { class: 'agent-line' }, icon, name, badge, seen),
      status,
    );
    return { root, icon, name, seen, status, badge };
  }
}
