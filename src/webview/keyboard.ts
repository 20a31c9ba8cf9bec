// Keyboard map of the monitor, as a pure function so it is tested without a DOM: arrows or j/k move in the table,
// Home/End and PageUp/PageDown jump, Enter opens the detail pane, t opens the thread, / focuses search, Esc closes,
// space pauses or resumes.

export type KeyAction =
  | { kind: 'move'; delta: number }
  | { kind: 'first' }
  | { kind: 'last' }
  | { kind: 'open' }
  | { kind: 'thread' }
  | { kind: 'focusSearch' }
  | { kind: 'escape' }
  | { kind: 'togglePause' };

export interface KeyContext {
  /** Focus is in a text field, select or button: only Escape is ours there. */
  inInput: boolean;
  /** Rows that fit on a page, for PageUp/PageDown. */
  pageRows: number;
  ctrl?: boolean;
  meta?: boolean;
  alt?: boolean;
}

export function keyToAction(key: string, ctx: KeyContext): KeyAction | undefined {
  if (key === 'Escape') return { kind: 'escape' };
  if (ctx.inInput || ctx.ctrl || ctx.meta || ctx.alt) return undefined;
  switch (key) {
    case 'ArrowDown':
    case 'j':
      return { kind: 'move', delta: 1 };
    case 'ArrowUp':
    case 'k':
      return { kind: 'move', delta: -1 };
    case 'PageDown':
      return { kind: 'move', delta: Math.max(1, ctx.pageRows - 1) };
    case 'PageUp':
      return { kind: 'move', delta: -Math.max(1, ctx.pageRows - 1) };
    case 'Home':
    case 'g':
      return { kind: 'first' };
    case 'End':
    case 'G':
      return { kind: 'last' };
    case 'Enter':
      return { kind: 'open' };
    case 't':
      return { kind: 'thread' };
    case '/':
      return { kind: 'focusSearch' };
    case ' ':
    case 'p':
      return { kind: 'togglePause' };
    default:
      return undefined;
  }
}
