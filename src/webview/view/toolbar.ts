// The monitor's toolbar (filters, Bookkeeping, Raw frames, Freeze view, Clear, Reconstruction) and status bar (hub
// badge, counts, held, dropped), built once; the controller wires and renders them. The toolbar is one line at a
// panel's default width: the hub badge lives in the status bar, and below 900 px the buttons show their icon only
// (their names stay in aria-label and the tooltip).

import { custom, el, icon } from './dom';

export type ValueElement = HTMLElement & { value: string };
export type CheckElement = HTMLElement & { checked: boolean };

export interface Toolbar {
  element: HTMLElement;
  /** The hub's icon and badge, shown at the start of the status bar. */
  hub: HTMLSpanElement;
  hubIcon: HTMLSpanElement;
  hubBadge: HTMLSpanElement;
  search: ValueElement;
  typeSelect: ValueElement;
  agentSelect: ValueElement;
  /** Topics (seed 004), shown once a topic message was seen; "Load older" pages the chosen topic's history. */
  topicSelect: ValueElement;
  olderButton: HTMLElement;
  noise: CheckElement;
  raw: CheckElement;
  pauseButton: HTMLElement;
  clearButton: HTMLElement;
  reconstructionButton: HTMLElement;
}

export interface StatusBar {
  element: HTMLElement;
  countsText: HTMLSpanElement;
  heldText: HTMLSpanElement;
  droppedText: HTMLSpanElement;
}

export function buildToolbar(): Toolbar {
  const hubIcon = icon('plug');
  const hubBadge = el('span', { class: 'hub-badge', role: 'status', 'aria-live': 'polite' });
  const search = custom('vscode-textfield', {
    // short enough to be read whole in the narrowest toolbar; the tooltip says what it matches
    placeholder: 'Filter ( / )',
    title: 'Filter: words or "a phrase" in payload and metadata; press / to jump here',
    'aria-label': 'Filter text',
    class: 'search',
    type: 'search',
  }) as ValueElement;
  search.append(custom('vscode-icon', { slot: 'content-before', name: 'search' }));
  const typeSelect = custom('vscode-single-select', { 'aria-label': 'Filter by message type', class: 'type-filter' }) as ValueElement;
  const agentSelect = custom('vscode-single-select', { 'aria-label': 'Filter by agent', class: 'agent-filter' }) as ValueElement;
  const topicSelect = custom('vscode-single-select', { 'aria-label': 'Filter by topic', class: 'topic-filter' }) as ValueElement;
  topicSelect.hidden = true;
  // an icon alone (the tooltip and aria-label name it): the toolbar has to stay one line at 600 px with the picker
  const olderButton = custom('vscode-toolbar-button', {
    class: 'older',
    icon: 'fold-up',
    label: 'Load older',
    title: 'Load older: the topic’s earlier messages from the hub, 100 at a time',
    'aria-label': 'Load older',
  });
  olderButton.hidden = true;
  const noise = custom('vscode-checkbox', {
    label: 'Bookkeeping',
    title: 'Also show the hub’s bookkeeping: registrations, disconnects, inactivity, presence (PING, PONG, heartbeats, status updates) and reconstruction requests',
  }) as CheckElement;
  // the label is slotted text so a narrow toolbar can say "Raw" (the tooltip says the rest)
  const raw = custom(
    'vscode-checkbox',
    {
      title: 'Raw frames: one row per frame the hub logged (in, out, each front-end’s copy) instead of one row per message',
      'aria-label': 'Raw frames',
    },
    el('span', { class: 'long' }, 'Raw frames'),
    el('span', { class: 'short' }, 'Raw'),
  ) as CheckElement;
  const pauseButton = custom('vscode-button', { class: 'pause', 'aria-keyshortcuts': 'Space' }, buttonLabel(''));
  const clearButton = custom(
    'vscode-button',
    { icon: 'clear-all', secondary: '', title: 'Clear the rows on screen (the hub keeps its log)', 'aria-label': 'Clear' },
    buttonLabel('Clear'),
  );
  // appears once there is a report to show
  const reconstructionButton = custom(
    'vscode-button',
    { class: 'rc-open', icon: 'history', secondary: '', title: 'Show the last context reconstruction', 'aria-label': 'Reconstruction' },
    buttonLabel('Reconstruction'),
  );
  reconstructionButton.hidden = true;
  const element = el(
    'header',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Monitor' },
    search,
    typeSelect,
    agentSelect,
    topicSelect,
    olderButton,
    noise,
    raw,
    pauseButton,
    clearButton,
    reconstructionButton,
  );
  const hub = el('span', { class: 'hub' }, hubIcon, hubBadge);
  return { element, hub, hubIcon, hubBadge, search, typeSelect, agentSelect, topicSelect, olderButton, noise, raw, pauseButton, clearButton, reconstructionButton };
}

/** A button's text, hidden by CSS where the toolbar is narrow (the button keeps its icon and aria-label). */
export function buttonLabel(text: string): HTMLSpanElement {
  return el('span', { class: 'label' }, text);
}

/** The status bar; `hub` (the hub badge) leads, `toast` is the feedback element shown at its end. */
export function buildStatusBar(hub: HTMLElement, toast: HTMLElement): StatusBar {
  const countsText = el('span', { class: 'counts' });
  const droppedText = el('span', { class: 'dropped', role: 'status' });
  const heldText = el('span', { class: 'held' });
  const element = el('footer', { class: 'statusbar' }, hub, countsText, heldText, droppedText, toast);
  return { element, countsText, heldText, droppedText };
}

/** A filter select whose options follow a list (message types, agents), with an "All …" choice first. */
export class FilterOptions {
  private signature: string | undefined;

  constructor(
    private readonly select: ValueElement,
    private readonly allLabel: string,
  ) {}

  /** Replaces the options only when the list changed (rebuilding on every frame would fight the user). */
  update(options: [value: string, label: string][], current: string, force: boolean): void {
    const sig = options.map(([v, l]) => `${v}\u0000${l}`).join('\u0001');
    if (!force && sig === this.signature) return;
    this.signature = sig;
    const children = [['', this.allLabel] as [string, string], ...options].map(([value, label]) => {
      const o = custom('vscode-option', { value }, label);
      if (value === current) o.setAttribute('selected', '');
      return o;
    });
    this.select.replaceChildren(...children);
    // the widget reads its options on slot change; set the value after it has
    queueMicrotask(() => {
      this.select.value = current;
    });
  }
}
