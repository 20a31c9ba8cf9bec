// The monitor's Reconstruction pane: draws a ReconstructionReport (header figures, what the failed agent left
// unanswered, the merged timeline with those rows highlighted, peers, memory states, a summary) and turns its
// buttons into ReconstructionAction commands for the host. Text only through textContent (dom.ts).

import type { ReconstructionActionKind, ReconstructionNotification } from '../../protocol/webviewMessages';
import { buildReconstructionReport, type NameOf, type ReconstructionReport, type ReportRow } from '../reconstructionModel';
import { custom, el, icon } from './dom';
import '../reconstruction.css';

export interface ReconstructionViewEvents {
  onAction: (action: ReconstructionActionKind, reconstructionId: string) => void;
  /** Agent names the monitor knows, so rows read "planner → coder" like the message table. */
  nameOf: NameOf;
}

const ACTIONS: { action: ReconstructionActionKind; label: string; icon: string; title: string }[] = [
  { action: 'handOver', label: 'Hand to agent…', icon: 'debug-restart', title: 'Send this context to a replacement agent as RESTORE_CONTEXT' },
  { action: 'copyJson', label: 'Copy JSON', icon: 'copy', title: 'Copy the whole reconstruction as JSON' },
  { action: 'save', label: 'Save…', icon: 'save', title: 'Save the reconstruction as a JSON file' },
  { action: 'summarise', label: 'Summarise', icon: 'sparkle', title: 'Ask a VS Code language model for a prose summary (asks first)' },
];

export class ReconstructionView {
  readonly element: HTMLElement;
  private report: ReconstructionReport | undefined;
  private last: ReconstructionNotification | undefined;

  constructor(private readonly events: ReconstructionViewEvents) {
    this.element = el('section', { class: 'reconstruction', 'aria-label': 'Context reconstruction', tabindex: '-1' });
    this.element.hidden = true;
  }

  get hasReport(): boolean {
    return this.report !== undefined;
  }

  get reportId(): string | undefined {
    return this.report?.id;
  }

  show(n: ReconstructionNotification, nowMs: number = Date.now()): void {
    this.last = n;
    this.report = buildReconstructionReport(n.reconstruction, nowMs, this.events.nameOf);
    this.render(this.report, n);
  }

  /** Redraws "last seen … ago" against the clock. */
  refresh(): void {
    if (this.last && !this.element.hidden) this.show(this.last);
  }

  private render(r: ReconstructionReport, n: ReconstructionNotification): void {
    const buttons = ACTIONS.map((a) => {
      const b = custom('vscode-button', { icon: a.icon, title: a.title, 'data-action': a.action, ...(a.action === 'handOver' ? {} : { secondary: '' }) }, a.label);
      b.addEventListener('click', () => this.events.onAction(a.action, r.id));
      return b;
    });
    const header = el(
      'header',
      { class: 'rc-header' },
      el('div', { class: 'rc-title-line' }, icon('history'), el('h2', { class: 'rc-title' }, r.title), el('span', { class: `rc-outcome rc-${r.outcomeKind}` }, r.outcome)),
      el('div', { class: 'rc-actions', role: 'toolbar', 'aria-label': 'Reconstruction actions' }, ...buttons),
    );

    const facts = el(
      'dl',
      { class: 'rc-facts' },
      ...fact('Failed agent', r.failedAgent),
      ...fact('Duration', `${r.duration} via ${r.transport}`),
      ...fact('Peers', `${r.queried} queried · ${r.answered} answered · ${r.silent} silent`, 'rc-peers-figures'),
      ...fact('Last status', r.lastStatus),
      ...fact('Last seen', r.lastSeen),
      ...fact('Started', r.startedAt),
    );
    const peers = el(
      'div',
      { class: 'rc-peers' },
      ...(r.peers.length
        ? r.peers.map((p) => el('span', { class: `rc-peer rc-peer-${p.state}`, title: `${p.agent_id} · ${p.state}` }, icon(p.state === 'answered' ? 'pass' : 'circle-slash'), ` ${p.name}`))
        : [el('span', { class: 'rc-muted' }, 'No peer was asked.')]),
    );

    const parts: HTMLElement[] = [header, facts, peers];
    if (r.rejected.length) {
      parts.push(section('Rejected answers', r.rejected.length, el('ul', { class: 'rc-rejected' }, ...r.rejected.map((t) => el('li', {}, t)))));
    }
    if (n.summary) {
      parts.push(section(`Summary by ${n.summary.model}`, null, el('div', { class: 'rc-summary' }, n.summary.text)));
    }
    parts.push(
      section(
        `Unanswered — delivered to ${r.failedAgent}, never replied to`,
        r.unanswered.length,
        r.unanswered.length ? rows(r.unanswered, 'rc-unanswered-list') : el('p', { class: 'rc-muted' }, 'Nothing: every message it received was answered.'),
      ),
    );
    if (r.undelivered.length) {
      parts.push(section('Undelivered — the hub could not hand these over', r.undelivered.length, rows(r.undelivered, 'rc-undelivered-list')));
    }
    const omitted = r.timelineOmitted ? el('p', { class: 'rc-muted' }, `${r.timelineOmitted} older messages left out (Copy JSON has what was kept).`) : undefined;
    parts.push(
      section(
        'Timeline',
        r.timeline.length,
        ...(omitted ? [omitted] : []),
        r.timeline.length ? rows(r.timeline, 'rc-timeline') : el('p', { class: 'rc-muted' }, 'Nothing recorded in the window.'),
      ),
    );
    parts.push(
      section(
        'Memory states',
        r.memories.length,
        ...(r.memories.length
          ? r.memories.map((m) => el('div', { class: 'rc-memory' }, el('div', { class: 'rc-memory-peer' }, m.label), el('pre', {}, m.json)))
          : [el('p', { class: 'rc-muted' }, 'No peer shared a memory state.')]),
      ),
    );
    this.element.replaceChildren(...parts);
  }
}

function fact(label: string, value: string, cls = ''): HTMLElement[] {
  return [el('dt', {}, label), el('dd', cls ? { class: cls } : {}, value)];
}

function section(title: string, count: number | null, ...body: HTMLElement[]): HTMLElement {
  const h = el('h3', {}, title);
  if (count !== null) h.append(el('span', { class: 'rc-count' }, String(count)));
  return el('section', { class: 'rc-section' }, h, ...body);
}

function rows(list: ReportRow[], cls: string): HTMLElement {
  return el(
    'ol',
    { class: `rc-rows ${cls}` },
    ...list.map((row) =>
      el(
        'li',
        { class: `rc-row rc-mark-${row.mark}${row.outgoing ? ' rc-out' : ''}`, 'data-message-id': row.message_id },
        el('span', { class: 'rc-time', title: row.when }, row.time),
        el('span', { class: 'rc-type' }, row.type),
        el('span', { class: 'rc-who', title: `${row.fromId ?? '?'} → ${row.toId ?? '?'}` }, `${row.from} → ${row.to}`),
        el('span', { class: 'rc-text' }, row.text || '—'),
        el(
          'span',
          { class: 'rc-meta', title: `message ${row.message_id}; reported by ${row.sources}` },
          row.mark === 'unanswered' ? el('span', { class: 'rc-badge' }, 'unanswered') : row.mark === 'undelivered' ? el('span', { class: 'rc-badge' }, 'undelivered') : '',
          row.reply_to ? ` re ${row.reply_to}` : '',
          ` · ${row.sources}`,
        ),
      ),
    ),
  );
}
