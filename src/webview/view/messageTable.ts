// The virtualised message table: a fixed-height scroller whose spacer is as tall as all visible rows, with a small
// pool of row elements recycled for the rows on screen. Redrawn at most once per animation frame by main.ts.

import type { LogEntry } from '../../protocol/logEntry';
import type { MonitorModel } from '../monitorModel';
import { shortType, toRow } from '../rowModel';
import { deliveryBadge, deliverySummary } from '../deliveries';
import { el, setText } from './dom';

export const ROW_HEIGHT = 22;
const OVERSCAN = 6;

interface RowEl {
  root: HTMLDivElement;
  dir: HTMLSpanElement;
  time: HTMLDivElement;
  /** The time's seconds and the milliseconds apart: a narrow table hides the milliseconds (the tooltip keeps them). */
  hms: HTMLSpanElement;
  ms: HTMLSpanElement;
  type: HTMLDivElement;
  from: HTMLDivElement;
  to: HTMLDivElement;
  delivery: HTMLDivElement;
  preview: HTMLDivElement;
  seq: number;
  /** The delivery text shown, redrawn when later out-frames change it. */
  deliveryText: string;
  selected: boolean;
}

export interface TableCallbacks {
  onActivate(seq: number, open: boolean): void;
  onFollowChange(follow: boolean): void;
  /** A marker for a row the agent streams say more about (a tool approval still pending), shown in its delivery cell. */
  approvalMark?(entry: LogEntry): { text: string; title: string; state: string } | undefined;
}

export class MessageTable {
  readonly element: HTMLElement;
  readonly scroller: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly rowsHost: HTMLDivElement;
  private readonly empty: HTMLDivElement;
  private readonly pool: RowEl[] = [];
  private following = true;
  private selected: number | null = null;
  private lastRevision = -1;
  private lastFirst = -1;
  private lastCount = -1;
  private shownRows = 1;

  constructor(
    private readonly model: MonitorModel,
    private readonly cb: TableCallbacks,
  ) {
    const header = el(
      'div',
      { class: 'row header', role: 'row', 'aria-rowindex': '1' },
      el('div', { class: 'cell dir', role: 'columnheader', 'aria-label': 'Direction' }),
      el('div', { class: 'cell time', role: 'columnheader' }, 'Time'),
      el('div', { class: 'cell type', role: 'columnheader' }, 'Type'),
      el('div', { class: 'cell from', role: 'columnheader' }, 'From'),
      el('div', { class: 'cell to', role: 'columnheader' }, 'To'),
      el('div', { class: 'cell delivery', role: 'columnheader', title: 'What the hub did with the message: ✓ delivered (and how long it took), +N copies to front-ends, held, failed' }, 'Delivery'),
      el('div', { class: 'cell preview', role: 'columnheader' }, 'Preview'),
    );
    this.rowsHost = el('div', { class: 'rows', role: 'rowgroup' });
    this.spacer = el('div', { class: 'spacer' }, this.rowsHost);
    this.empty = el('div', { class: 'empty', role: 'note' }, 'No messages yet.');
    this.scroller = el('div', { class: 'scroller' }, this.spacer, this.empty);
    this.element = el(
      'section',
      // The grid itself takes focus so aria-activedescendant (the selected row) is read out.
      { class: 'table', role: 'grid', tabindex: '0', 'aria-label': 'Messages', 'aria-keyshortcuts': 'ArrowUp ArrowDown J K Home End Enter T / Escape Space', 'aria-readonly': 'true', 'aria-multiselectable': 'false' },
      el('div', { role: 'rowgroup', class: 'head' }, header),
      this.scroller,
    );
    this.scroller.addEventListener('scroll', () => {
      const atBottom = this.scroller.scrollTop + this.scroller.clientHeight >= this.scroller.scrollHeight - ROW_HEIGHT;
      if (atBottom !== this.following) {
        this.following = atBottom;
        this.cb.onFollowChange(atBottom);
      }
      this.render(false);
    });
    this.rowsHost.addEventListener('click', (e) => {
      const row = (e.target as Element).closest<HTMLElement>('[data-seq]');
      if (!row) return;
      this.focus();
      this.cb.onActivate(Number(row.dataset.seq), true);
    });
  }

  get follow(): boolean {
    return this.following;
  }
  set follow(v: boolean) {
    this.following = v;
  }

  focus(): void {
    this.element.focus({ preventScroll: true });
  }

  get pageRows(): number {
    return Math.max(1, Math.floor(this.scroller.clientHeight / ROW_HEIGHT));
  }

  /** Rows that fit on screen as of the last render (no layout read). */
  get screenRows(): number {
    return this.shownRows;
  }

  private nameOf(id: string): string {
    return this.model.displayName(id);
  }

  setSelected(seq: number | null): void {
    this.selected = seq;
    this.lastRevision = -1;
  }

  /** Brings the i-th visible row into view (no-op when it already is). */
  reveal(index: number): void {
    const top = index * ROW_HEIGHT;
    const s = this.scroller;
    if (top < s.scrollTop) s.scrollTop = top;
    else if (top + ROW_HEIGHT > s.scrollTop + s.clientHeight) s.scrollTop = top + ROW_HEIGHT - s.clientHeight;
  }

  setEmptyText(text: string): void {
    setText(this.empty, text);
  }

  /** Draws the rows on screen; cheap when nothing changed. `force` redraws after new data. */
  render(force = true): void {
    const count = this.model.visibleCount;
    const s = this.scroller;
    // read before this frame writes anything, so reading costs no layout of its own
    const height = s.clientHeight;
    let top = s.scrollTop;
    this.shownRows = Math.max(1, Math.floor(height / ROW_HEIGHT));
    if (count !== this.lastCount) {
      this.spacer.style.height = `${count * ROW_HEIGHT}px`;
      this.element.setAttribute('aria-rowcount', String(count + 1));
      this.empty.hidden = count > 0;
      this.lastCount = count;
    }
    // While someone reads older rows, rows leaving the ring at the top must not slide the ones they read.
    const trimmed = this.model.takeTrimmedRows();
    if (!this.following && trimmed > 0) {
      s.scrollTop = Math.max(0, top - trimmed * ROW_HEIGHT);
      top = s.scrollTop;
    }
    if (this.following && count > 0) {
      const bottom = count * ROW_HEIGHT - height;
      if (bottom > 0 && Math.abs(top - bottom) > 1) {
        s.scrollTop = bottom;
        top = bottom;
      }
    }
    // Rows beyond the screen only help a scroll; while following, every redraw replaces them unseen (a quarter of a
    // redraw's layout at 20,000 entries/s), and the first scroll away draws at once with them.
    const over = this.following ? 0 : OVERSCAN;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - over);
    const n = Math.min(count - first, Math.ceil(height / ROW_HEIGHT) + 2 * over);
    if (!force && first === this.lastFirst && this.lastRevision === this.model.revision) return;
    this.lastFirst = first;
    this.lastRevision = this.model.revision;
    this.rowsHost.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    while (this.pool.length < n) this.pool.push(this.makeRow());
    for (let i = 0; i < this.pool.length; i++) {
      const r = this.pool[i]!;
      const entry = i < n ? this.model.rowAt(first + i) : undefined;
      if (!entry) {
        if (!r.root.hidden) r.root.hidden = true;
        continue;
      }
      r.root.hidden = false;
      r.root.setAttribute('aria-rowindex', String(first + i + 2));
      if (r.seq !== entry.seq) {
        const row = toRow(entry, (id) => this.nameOf(id));
        r.seq = entry.seq;
        r.root.dataset.seq = String(entry.seq);
        r.root.id = `row-${entry.seq}`;
        r.root.className = `row kind-${row.kind}${row.copyTo ? ' copy' : ''}`;
        r.dir.className = `codicon ${row.direction === 'in' ? 'codicon-arrow-small-right' : row.direction === 'out' ? 'codicon-arrow-small-left' : 'codicon-circle-small'}`;
        r.dir.title = row.direction === 'in' ? 'into the hub' : row.copyTo ? 'out of the hub: a copy for a front-end' : row.direction === 'out' ? 'out of the hub' : 'hub internal';
        const dot = row.time.lastIndexOf('.');
        setText(r.hms, dot > 0 ? row.time.slice(0, dot) : row.time);
        setText(r.ms, dot > 0 ? row.time.slice(dot) : '');
        r.time.title = row.time;
        // long bookkeeping types are abbreviated to fit the column; the tooltip has the name
        setText(r.type, shortType(row.type));
        r.type.title = row.type;
        // agents by name (the id stays in the tooltip and in the free-text search)
        const from = this.nameOf(row.from);
        const to = this.nameOf(row.to);
        setText(r.from, this.model.columnName(row.from));
        setText(r.to, row.copyTo ? `↪ ${this.model.columnName(row.copyTo)}` : this.model.columnName(row.to));
        r.from.title = from === row.from ? row.from : `${from} — ${row.from}`;
        r.to.title = row.copyTo
          ? `a copy of a message for ${to} (${row.to}), written to ${this.nameOf(row.copyTo)} (${row.copyTo})`
          : to === row.to
            ? row.to
            : `${to} — ${row.to}`;
        setText(r.preview, row.preview);
        r.preview.title = row.preview;
        r.selected = false;
        r.root.setAttribute('aria-selected', 'false');
      }
      // a message's out-frames arrive after its row was drawn: its delivery cell follows them
      const d = this.model.deliveryOf(entry);
      const mark = this.cb.approvalMark?.(entry);
      const badge = mark ? mark.text : d && (d.delivered + d.copies > 0 || d.state !== 'sent') ? deliveryBadge(d) : '';
      if (badge !== r.deliveryText) {
        r.deliveryText = badge;
        setText(r.delivery, badge);
        r.delivery.title = mark ? mark.title : d && badge ? deliverySummary(d, (id) => this.nameOf(id)) : '';
        r.delivery.className = `cell delivery${mark ? ' approval-' + mark.state : d ? ' state-' + d.state : ''}`;
        r.root.classList.toggle('approval-pending', mark?.state === 'pending');
        r.root.classList.toggle('debug-held', mark?.state === 'debug-held');
      }
      const sel = entry.seq === this.selected;
      if (sel !== r.selected) {
        r.selected = sel;
        r.root.classList.toggle('selected', sel);
        r.root.setAttribute('aria-selected', String(sel));
      }
    }
    const active = this.selected !== null && this.pool.some((r) => !r.root.hidden && r.seq === this.selected);
    if (active) this.element.setAttribute('aria-activedescendant', `row-${this.selected}`);
    else this.element.removeAttribute('aria-activedescendant');
  }

  private makeRow(): RowEl {
    const dir = el('span', { class: 'codicon', 'aria-hidden': 'true' });
    const hms = el('span');
    const ms = el('span', { class: 'ms' });
    const time = el('div', { class: 'cell time', role: 'gridcell' }, hms, ms);
    const type = el('div', { class: 'cell type', role: 'gridcell' });
    const from = el('div', { class: 'cell from', role: 'gridcell' });
    const to = el('div', { class: 'cell to', role: 'gridcell' });
    const delivery = el('div', { class: 'cell delivery', role: 'gridcell' });
    const preview = el('div', { class: 'cell preview', role: 'gridcell' });
    const root = el('div', { class: 'row', role: 'row' }, el('div', { class: 'cell dir', role: 'gridcell' }, dir), time, type, from, to, delivery, preview);
    this.rowsHost.append(root);
    return { root, dir, time, hms, ms, type, from, to, delivery, preview, seq: -1, deliveryText: '', selected: false };
  }
}
