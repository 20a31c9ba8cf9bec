// Draws a thread's sequence diagram as SVG from the pure layout in threads.ts: a lane per participant with a
// lifeline, an arrow per message with its type and text. Built with createElementNS and textContent only.

import { layoutSequence, type SequenceModel } from '../threads';
import './sequenceDiagram.css';
import { formatTime } from '../rowModel';

const NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Average width of a character of the lane labels (12 px, bold): 160 px holds 22. */
const LANE_LABEL_CHAR_PX = 7.2;
const shorten = (s: string, max: number): string => (s.length > max ? s.slice(0, max - 1) + '…' : s);

export function renderSequenceDiagram(
  model: SequenceModel,
  opts: { selectedSeq: number | null; nameOf: (id: string) => string; onSelect: (seq: number) => void; fitWidth?: number },
): SVGSVGElement {
  const lay = layoutSequence(model, opts.fitWidth);
  const root = svg('svg', {
    class: 'sequence',
    width: lay.width,
    height: lay.height,
    viewBox: `0 0 ${lay.width} ${lay.height}`,
    role: 'img',
    'aria-label': `Sequence diagram: ${model.messages.length} messages between ${model.participants.length} participants`,
  });
  const defs = svg('defs', {});
  const marker = svg('marker', { id: 'seq-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }));
  defs.append(marker);
  root.append(defs);

  for (const lane of lay.lanes) {
    const g = svg('g', { class: 'lane' });
    g.append(svg('line', { class: 'lifeline', x1: lane.x, y1: 34, x2: lane.x, y2: lay.height - 8 }));
    g.append(svg('rect', { class: 'lane-head', x: lane.x - lay.headWidth / 2, y: 6, width: lay.headWidth, height: 28, rx: 4 }));
    const name = opts.nameOf(lane.id);
    const label = svg('text', { class: 'lane-label', x: lane.x, y: 24, 'text-anchor': 'middle' }, shorten(name, Math.floor(lay.headWidth / LANE_LABEL_CHAR_PX)));
    label.append(svg('title', {}, name === lane.id ? lane.id : `${name} (${lane.id})`));
    g.append(label);
    root.append(g);
  }

  const times = new Map(model.messages.map((m) => [m.seq, m.time]));
  for (const a of lay.arrows) {
    const g = svg('g', {
      class: `msg kind-${a.kind}${a.seq === opts.selectedSeq ? ' selected' : ''}`,
      tabindex: 0,
      role: 'button',
      'data-seq': a.seq,
      'aria-label': `${a.type} ${a.label}`,
    });
    if (a.self) {
      g.append(svg('path', { class: 'arrow', d: `M ${a.x1} ${a.y - 8} h 40 v 16 h -40`, 'marker-end': 'url(#seq-arrow)', fill: 'none' }));
    } else {
      g.append(svg('line', { class: 'arrow', x1: a.x1, y1: a.y, x2: a.x2, y2: a.y, 'marker-end': 'url(#seq-arrow)' }));
    }
    // Labels start just right of the leftmost end and are cut to the arrow's span, so they never cross a lane
    // label or the time column; the full text is in the tooltip.
    const left = a.self ? a.x1 + 46 : Math.min(a.x1, a.x2) + 8;
    // a self-message's label runs right of its loop, up to the drawing's edge
    const span = a.self ? Math.min(220, lay.width - left - 4) : Math.abs(a.x2 - a.x1) - 16;
    const text = a.label ? `${a.type}: ${a.label}` : a.type;
    g.append(svg('text', { class: 'msg-type', x: left, y: a.y - 6 }, shorten(text, Math.max(6, Math.floor(span / 6.2)))));
    g.append(svg('text', { class: 'msg-time', x: 6, y: a.y + 4 }, formatTime(times.get(a.seq) ?? 0).slice(0, 8)));
    g.append(svg('title', {}, `#${a.seq} ${a.type}${a.label ? ' — ' + a.label : ''}`));
    root.append(g);
  }

  const pick = (e: Event): void => {
    const g = (e.target as Element).closest('[data-seq]');
    if (g) opts.onSelect(Number(g.getAttribute('data-seq')));
  };
  root.addEventListener('click', pick);
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      e.stopPropagation();
      pick(e);
    }
  });
  return root;
}
