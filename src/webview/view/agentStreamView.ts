// The live part of the Agent tab (seed 003): the agent's pending tool approvals with Approve / Deny (and a note),
// the approvals decided lately and by whom, then its reported context — key facts first (model, tools, MCP servers,
// recent messages), the whole of it as a collapsible JSON tree (<details>: keyboard and screen-reader friendly).

import type { PendingApprovalT } from '../../protocol/agentStreams';
import { contextFacts, type AgentStreamModel, type ResolvedApproval } from '../agentStreamModel';
import { formatTime } from '../rowModel';
import { custom, el, icon } from './dom';

export interface AgentStreamCallbacks {
  onDecide(approvalId: string, approved: boolean, note: string | undefined): void;
  /** A client id as a person reads it (a monitor's or an agent's name when known). */
  nameOf(id: string): string;
}

/** Arguments shown inline are cut here (the JSON tree below holds them whole). */
const ARGS_CHARS = 300;
/** Children drawn per object or array level of the tree; the rest are counted. */
const TREE_CHILDREN = 200;

export class AgentStreamView {
  readonly element: HTMLElement;
  private readonly approvals = el('section', { class: 'approvals', 'aria-label': 'Tool approvals' });
  private readonly context = el('section', { class: 'agent-context', 'aria-label': 'Live context' });
  private agentId: string | null = null;
  private approvalsKey = '';
  private contextKey = '';
  /** Tree nodes the person opened, by JSON path: kept across live redraws. */
  private readonly openPaths = new Set<string>(['']);
  /** The note typed for each pending approval, kept across redraws. */
  private readonly notes = new Map<string, string>();

  constructor(
    private readonly model: AgentStreamModel,
    private readonly cb: AgentStreamCallbacks,
  ) {
    this.element = el('div', { class: 'agent-stream' }, this.approvals, this.context);
  }

  setAgent(agentId: string | null): void {
    if (agentId === this.agentId) return;
    this.agentId = agentId;
    this.approvalsKey = '';
    this.contextKey = '';
    this.openPaths.clear();
    this.openPaths.add('');
  }

  /** Redraws what changed since the last call (the two sections separately, so a typed note survives a diff). */
  render(): void {
    const id = this.agentId;
    if (!id) return;
    const state = this.model.state(id);
    const pending = state?.pending_approvals ?? [];
    const resolved = this.model.resolved(id);
    const aKey = JSON.stringify([pending.map((p) => p.approval_id), resolved.length, resolved[resolved.length - 1]?.approval_id]);
    if (aKey !== this.approvalsKey) {
      this.approvalsKey = aKey;
      this.renderApprovals(pending, resolved);
    }
    const cKey = state ? JSON.stringify([state.context, this.model.missed(id)]) : '';
    if (cKey !== this.contextKey || !state) {
      this.contextKey = cKey;
      this.renderContext(state?.context, state !== undefined);
    }
  }

  private renderApprovals(pending: readonly PendingApprovalT[], resolved: readonly ResolvedApproval[]): void {
    const live = new Set(pending.map((p) => p.approval_id));
    for (const k of [...this.notes.keys()]) if (!live.has(k)) this.notes.delete(k);
    const out: HTMLElement[] = [el('h4', {}, pending.length ? `Tool approvals · ${pending.length} pending` : 'Tool approvals')];
    if (!pending.length && !resolved.length) out.push(el('p', { class: 'hint' }, 'No tool call waits on a decision.'));
    if (pending.length) {
      const ul = el('ul', { class: 'approval-list', 'aria-label': 'Pending tool approvals' });
      for (const p of pending) ul.append(this.pendingItem(p));
      out.push(ul);
    }
    if (resolved.length) {
      const ul = el('ul', { class: 'approval-list resolved', 'aria-label': 'Decided tool approvals' });
      for (let i = resolved.length - 1; i >= 0; i--) ul.append(this.resolvedItem(resolved[i]!));
      out.push(ul);
    }
    this.approvals.replaceChildren(...out);
  }

  private pendingItem(p: PendingApprovalT): HTMLElement {
    const args = argsText(p.arguments);
    const when = p.expires_at ? `${p.default ? 'approved' : 'denied'} by default at ${formatTime(Date.parse(p.expires_at))}` : 'waits for a person';
    const note = custom('vscode-textfield', { placeholder: 'Note (optional)', 'aria-label': `Note for ${p.tool}`, class: 'approval-note' }) as HTMLElement & { value: string };
    note.value = this.notes.get(p.approval_id) ?? '';
    note.addEventListener('input', () => this.notes.set(p.approval_id, note.value));
    const decide = (approved: boolean): void => {
      const text = note.value.trim();
      this.cb.onDecide(p.approval_id, approved, text || undefined);
    };
    const approve = custom('vscode-button', { icon: 'check', class: 'approve', title: `Approve ${p.tool} (${p.approval_id})` }, 'Approve');
    const deny = custom('vscode-button', { icon: 'close', secondary: '', class: 'deny', title: `Deny ${p.tool} (${p.approval_id})` }, 'Deny');
    approve.addEventListener('click', () => decide(true));
    deny.addEventListener('click', () => decide(false));
    return el(
      'li',
      { class: 'approval pending', 'data-approval': p.approval_id },
      el('div', { class: 'approval-head' }, icon('shield', 'pending approval'), el('strong', {}, p.tool), el('span', { class: 'approval-when' }, `asked ${formatTime(Date.parse(p.requested_at))} · ${when}`)),
      el('code', { class: 'approval-args', title: args.full }, args.short),
      el('div', { class: 'approval-actions' }, note, approve, deny),
    );
  }

  private resolvedItem(r: ResolvedApproval): HTMLElement {
    const verdict = r.approved ? 'approved' : 'denied';
    const who = r.how === 'timed_out' ? `by default when its time ran out` : r.how === 'cancelled' ? 'cancelled (the agent left)' : `by ${this.cb.nameOf(r.decided_by)}`;
    return el(
      'li',
      { class: `approval resolved ${r.how === 'cancelled' ? 'cancelled' : verdict}`, 'data-approval': r.approval_id },
      icon(r.how === 'cancelled' ? 'circle-slash' : r.approved ? 'pass' : 'error', verdict),
      el('span', { class: 'approval-when' }, formatTime(Date.parse(r.time))),
      el('strong', {}, r.tool || r.approval_id),
      el('span', { class: 'approval-verdict' }, r.how === 'cancelled' ? ` ${who}` : ` ${verdict} ${who}`),
      r.note ? el('span', { class: 'approval-note-text' }, ` — “${r.note}”`) : '',
    );
  }

  private renderContext(context: unknown, streamed: boolean): void {
    const out: HTMLElement[] = [el('h4', {}, 'Live context')];
    const missed = this.agentId ? this.model.missed(this.agentId) : 0;
    if (missed) out.push(el('p', { class: 'hint' }, `This monitor fell behind and caught up with a full snapshot (${missed} updates skipped).`));
    if (!streamed) {
      out.push(el('p', { class: 'hint' }, 'No live stream for this agent yet.'));
    } else if (context === null || context === undefined) {
      out.push(el('p', { class: 'hint' }, 'The agent has not reported a context (AGENT_CONTEXT; SDK: agent.reportContext).'));
    } else {
      const f = contextFacts(context);
      const meta = el('dl', { class: 'meta context-facts' });
      const add = (k: string, v: string): void => {
        if (v) meta.append(el('dt', {}, k), el('dd', {}, v));
      };
      add('Model', f.model ?? '');
      add('Tools', f.tools.length ? `${f.tools.length}: ${f.tools.join(', ')}` : '');
      add('MCP servers', f.mcp.map((m) => (m.state ? `${m.name} (${m.state})` : m.name)).join(', '));
      if (meta.childElementCount) out.push(meta);
      if (f.recent.length) {
        const ul = el('ul', { class: 'recent-messages', 'aria-label': 'Recent messages' });
        for (const m of f.recent) ul.append(el('li', {}, m.role ? el('span', { class: 'pill' }, m.role) : '', ` ${m.text}`));
        out.push(el('h5', {}, 'Recent messages'), ul);
      }
      out.push(el('div', { class: 'json-tree', role: 'tree', 'aria-label': 'Context JSON' }, this.tree('context', context, '')));
    }
    this.context.replaceChildren(...out);
  }

  /** One node of the JSON tree: objects and arrays fold, scalars are one line. */
  private tree(key: string, value: unknown, path: string): HTMLElement {
    if (value === null || typeof value !== 'object') {
      return el('div', { class: 'json-leaf', role: 'treeitem' }, el('span', { class: 'json-key' }, `${key}: `), el('span', { class: `json-${value === null ? 'null' : typeof value}` }, JSON.stringify(value) ?? String(value)));
    }
    const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    const details = el('details', { class: 'json-node', role: 'treeitem' });
    details.open = this.openPaths.has(path);
    const count = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
    details.append(el('summary', {}, el('span', { class: 'json-key' }, key), ` ${count}`));
    const drawChildren = (): void => {
      if (details.childElementCount > 1) return;
      const group = el('div', { role: 'group' });
      for (const [k, v] of entries.slice(0, TREE_CHILDREN)) group.append(this.tree(k, v, `${path}/${k}`));
      if (entries.length > TREE_CHILDREN) group.append(el('div', { class: 'hint' }, `+${entries.length - TREE_CHILDREN} more`));
      details.append(group);
    };
    // children are built when first opened: a large context costs nothing folded
    if (details.open) drawChildren();
    details.addEventListener('toggle', () => {
      if (details.open) {
        this.openPaths.add(path);
        drawChildren();
      } else this.openPaths.delete(path);
    });
    return details;
  }
}

function argsText(args: unknown): { short: string; full: string } {
  let full: string;
  try {
    full = JSON.stringify(args) ?? 'undefined';
  } catch {
    full = String(args);
  }
  return { short: full.length > ARGS_CHARS ? `${full.slice(0, ARGS_CHARS - 1)}…` : full, full: full.slice(0, 4000) };
}
