// What the person hears back about the commands they gave: each command gets a request id and a label, and its
// CommandResult (or a local notice) shows as a toast in the status bar for a few seconds.

import { el, icon } from './dom';

/** Commands awaiting their CommandResult; older ones are forgotten beyond this. */
const MAX_PENDING = 100;
const INFO_MS = 4_000;
const ERROR_MS = 12_000;

export class Feedback {
  /** The toast's element, for the status bar. */
  readonly element = el('div', { class: 'toast', role: 'status', 'aria-live': 'polite' });
  private readonly pending = new Map<string, string>();
  private counter = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** A new request id, remembered with the label its result will be reported under. */
  request(label: string): string {
    const id = `r${++this.counter}`;
    this.pending.set(id, label);
    if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    return id;
  }

  /** The host answered a request. */
  result(requestId: string, ok: boolean, detail?: string): void {
    const label = this.pending.get(requestId) ?? 'The hub';
    this.pending.delete(requestId);
    if (ok) this.show(`${label}: done${detail ? ` (${detail})` : ''}`, 'info');
    else this.show(`${label} failed: ${detail ?? 'unknown error'}`, 'error');
  }

  show(text: string, kind: 'info' | 'error'): void {
    clearTimeout(this.timer);
    this.element.className = `toast toast-${kind}`;
    this.element.replaceChildren(icon(kind === 'error' ? 'error' : 'info'), ` ${text}`);
    this.timer = setTimeout(() => this.element.replaceChildren(), kind === 'error' ? ERROR_MS : INFO_MS);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
