// The message debugger in the detail pane (issue 20): for a held message, Continue / Step / Drop / Edit and Release
// all; for any chat row, "Break on messages like this"; and this monitor's breakpoints, each removable.

import type { LogEntry } from '../../protocol/logEntry';
import { breakpointFilterFor, parseEditFields, type DebugHolds, type HeldAction } from '../debugHolds';
import { custom, el, icon } from './dom';

export interface DebugViewCallbacks {
  onAction(action: HeldAction, heldId: string, fields?: Record<string, unknown>): void;
  onReleaseAll(): void;
  onAddBreakpoint(filter: string): void;
  onRemoveBreakpoint(filter: string): void;
  /** The status bar's debugger item was activated: open this held message's row. */
  onOpenHeld(messageId: string): void;
}

const BREAKABLE = /^[A-Z_]+$/;

export class DebugView {
  /** What the Message tab's debugger part last showed: a redraw only when it changes keeps a half-typed edit. */
  private shown = '';
  /** The status bar's item: how many messages are held and how many breakpoints this monitor has; opens the first held. */
  readonly status = el('button', { type: 'button', class: 'debug-status', hidden: '' });

  constructor(
    private readonly holds: DebugHolds,
    private readonly cb: DebugViewCallbacks,
  ) {
    this.status.addEventListener('click', () => this.openFirstHeld());
  }

  /** Keeps the status bar's item true; hidden while nothing is held and no breakpoint is set. */
  renderStatus(): void {
    const held = this.holds.count;
    const bps = this.holds.breakpoints().length;
    this.status.hidden = held === 0 && bps === 0;
    const text = `${held} held · ${bps} breakpoint${bps === 1 ? '' : 's'}`;
    if (this.status.textContent !== text) this.status.replaceChildren(icon(held ? 'debug-pause' : 'debug-breakpoint'), ` ${text}`);
    this.status.title = held ? 'Open the first held message' : 'Message breakpoints of this monitor (open a row to add or remove)';
  }

  /** The debugger's part of the Message tab for this row (empty when there is nothing to offer). */
  forEntry(e: LogEntry): HTMLElement[] {
    this.shown = this.keyFor(e);
    const out: HTMLElement[] = [];
    const held = this.holds.heldFor(e.message_id);
    if (held) out.push(this.heldBox(held.held_id, held.reason, held.message, this.holds.heldByOther(held)));
    if (e.direction === 'in' && e.message_id && BREAKABLE.test(e.message_type)) {
      const filter = breakpointFilterFor(e);
      const b = custom('vscode-button', { icon: 'debug-breakpoint', secondary: '', class: 'break-like', title: `Hold every message matching: ${filter}` }, 'Break on messages like this');
      b.addEventListener('click', () => this.cb.onAddBreakpoint(filter));
      out.push(el('div', { class: 'actions debug-break' }, b));
    }
    const list = this.breakpointList();
    if (list) out.push(list);
    return out;
  }

  /** Whether the debugger's part for this row would look different now (held or released, breakpoints changed). */
  openFirstHeld(): void {
    const first = this.holds.held()[0];
    if (first) this.cb.onOpenHeld(first.message_id);
  }

  changedFor(e: LogEntry | undefined): boolean {
    return e !== undefined && this.keyFor(e) !== this.shown;
  }

  private keyFor(e: LogEntry): string {
    const held = this.holds.heldFor(e.message_id);
    return JSON.stringify([e.seq, held?.held_id, held ? this.holds.count : 0, this.holds.breakpoints(), this.holds.othersBreakpoints()]);
  }

  private heldBox(heldId: string, reason: string, message: Record<string, unknown>, byOther: string | undefined): HTMLElement {
    const btn = (action: HeldAction, ic: string, label: string, title: string, secondary = true): HTMLElement => {
      const b = custom('vscode-button', { icon: ic, class: `held-${action}`, title, ...(secondary ? { secondary: '' } : {}) }, label);
      b.addEventListener('click', () => this.cb.onAction(action, heldId));
      return b;
    };
    const all = custom('vscode-button', { icon: 'debug-continue-small', secondary: '', class: 'held-release-all', title: 'Release every held message, in order' }, `Release all (${this.holds.count})`);
    all.addEventListener('click', () => this.cb.onReleaseAll());
    // Edit: the fields to replace as JSON, checked here before the hub's codec checks the result
    const editable: Record<string, unknown> = {};
    for (const k of ['text_payload', 'receiver_id', 'payload']) if (message[k] !== undefined) editable[k] = message[k];
    const area = custom('vscode-textarea', { class: 'held-edit-text', rows: '4', 'aria-label': 'Fields to replace, as JSON' }) as HTMLElement & { value: string };
    area.value = JSON.stringify(editable, null, 2);
    const err = el('p', { class: 'held-edit-error', role: 'alert' });
    const edit = custom('vscode-button', { icon: 'edit', secondary: '', class: 'held-edit', title: 'Deliver the message with these fields replaced' }, 'Edit and continue');
    edit.addEventListener('click', () => {
      const parsed = parseEditFields(area.value);
      if ('error' in parsed) {
        err.textContent = parsed.error;
        return;
      }
      err.textContent = '';
      this.cb.onAction('edit', heldId, parsed.fields);
    });
    return el(
      'section',
      { class: 'held-box', 'aria-label': 'Held message' },
      el('h4', {}, icon('debug-pause'), ` Held by the hub (${reason})`),
      // another debugger's breakpoint: acting here releases it for that debugger too
      ...(byOther ? [el('p', { class: 'held-by-other' }, `By the breakpoint of ${byOther}.`)] : []),
      el(
        'div',
        { class: 'actions' },
        btn('continue', 'debug-continue', 'Continue', 'Release it: deliver now', false),
        btn('step', 'debug-step-over', 'Step', 'Release it and hold the next message of this conversation'),
        btn('drop', 'trash', 'Drop', 'Never deliver it (the sender is not told)'),
        all,
      ),
      el('details', {}, el('summary', {}, 'Edit…'), area, err, el('div', { class: 'actions' }, edit)),
    );
  }

  private breakpointList(): HTMLElement | undefined {
    const bps = this.holds.breakpoints();
    const others = this.holds.othersBreakpoints();
    if (!bps.length && !others.length) return undefined;
    const ul = el('ul', { class: 'breakpoint-list', 'aria-label': 'Message breakpoints' });
    for (const bp of bps) {
      const remove = custom('vscode-toolbar-button', { icon: 'close', label: `Remove breakpoint ${bp.filter}`, title: `Remove breakpoint ${bp.filter}`, class: 'breakpoint-remove' });
      remove.addEventListener('click', () => this.cb.onRemoveBreakpoint(bp.filter));
      const state = bp.error ? ` — ${bp.error}` : bp.hits ? ` · ${bp.hits} hit${bp.hits === 1 ? '' : 's'}` : '';
      ul.append(el('li', { class: `breakpoint${bp.error ? ' invalid' : ''}`, 'data-filter': bp.filter }, icon(bp.error ? 'debug-breakpoint-unverified' : 'debug-breakpoint'), el('code', {}, bp.filter), state, remove));
    }
    const parts: HTMLElement[] = [];
    if (bps.length) parts.push(el('h4', {}, 'Breakpoints'), ul);
    if (others.length) {
      // read-only: each owner keeps its own list, but what its breakpoints hold is held here too
      const theirs = el('ul', { class: 'breakpoint-list others', 'aria-label': "Other debuggers' breakpoints" });
      for (const bp of others) theirs.append(el('li', { class: 'breakpoint other', 'data-filter': bp.filter, title: `Set by ${bp.owner ?? 'another debugger'}; remove it there` }, icon('debug-breakpoint'), el('code', {}, bp.filter), ` — ${bp.owner ?? 'another debugger'}`));
      parts.push(el('h4', {}, "Other debuggers' breakpoints"), theirs);
    }
    return el('section', { class: 'breakpoints' }, ...parts);
  }
}
