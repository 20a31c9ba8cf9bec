// The drag handle (and arrow keys) that sets the detail pane's width: kept apart from the controller because it is
// pure pointer and keyboard plumbing; the width itself lives in the UI state the controller saves.

import { el } from './dom';

const MIN_DETAIL_PX = 280;
/** Room left for the agent list and a message table with all its columns. */
const TABLE_MIN_PX = 740;

export interface ResizerDeps {
  /** The flex container whose `--detail-w` property sets the pane's width. */
  body: HTMLElement;
  /** The pane being resized (its current width is where arrow keys start from). */
  pane: HTMLElement;
  /** Width from the saved UI state, if any. */
  initialWidth: number | null;
  /** A new width was chosen (already applied): save it and redraw what depends on it. */
  onWidth(px: number): void;
}

export function makeResizer(deps: ResizerDeps): HTMLElement {
  const { body, pane } = deps;
  const handle = el('div', {
    class: 'resizer',
    role: 'separator',
    'aria-orientation': 'vertical',
    'aria-label': 'Resize the detail pane',
    tabindex: '0',
  });
  const apply = (px: number): void => {
    const max = Math.max(MIN_DETAIL_PX, body.clientWidth - TABLE_MIN_PX);
    const w = Math.round(Math.min(max, Math.max(MIN_DETAIL_PX, px)));
    body.style.setProperty('--detail-w', `${w}px`);
    handle.setAttribute('aria-valuenow', String(w));
    deps.onWidth(w);
  };
  handle.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    handle.setPointerCapture(e.pointerId);
    const right = body.getBoundingClientRect().right;
    const move = (ev: PointerEvent): void => apply(right - ev.clientX);
    const up = (): void => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
      handle.removeEventListener('pointercancel', up);
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
    handle.addEventListener('pointercancel', up);
  });
  handle.addEventListener('keydown', (e) => {
    const step = e.shiftKey ? 80 : 20;
    const cur = pane.getBoundingClientRect().width;
    if (e.key === 'ArrowLeft') apply(cur + step);
    else if (e.key === 'ArrowRight') apply(cur - step);
    else return;
    e.preventDefault();
    e.stopPropagation();
  });
  if (deps.initialWidth !== null) body.style.setProperty('--detail-w', `${deps.initialWidth}px`);
  return handle;
}
