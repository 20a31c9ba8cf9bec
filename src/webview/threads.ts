// Thread extraction (follow message ids, in_reply_to_message_id and thread/conversation fields both ways from one
// message) and the sequence-diagram layout: a lane per participant, an arrow per message. Pure: the SVG is drawn
// elsewhere from this model.

import type { LogEntry } from '../protocol/logEntry';
import { fromOf, previewOf, rowKind, toOf, type RowKind } from './rowModel';
import { topicSequenceKey } from './topicRows';

/** Threads larger than this are cut (oldest kept): a diagram of thousands of arrows helps nobody. */
export const MAX_THREAD_MESSAGES = 400;

const idOf = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;

function threadKeysOf(e: LogEntry): string[] {
  const keys: string[] = [];
  const t = idOf(e.thread) ?? idOf(e.body.thread);
  if (t) keys.push(t);
  const c = idOf(e.body.conversation_id);
  if (c && c !== t) keys.push(c);
  return keys;
}
const messageIdOf = (e: LogEntry): string | undefined => idOf(e.message_id) ?? idOf(e.body.message_id);
const parentIdOf = (e: LogEntry): string | undefined =>
  idOf(e.in_reply_to_message_id) ?? idOf(e.body.in_reply_to_message_id) ?? idOf(e.body.in_response_to);

/** True when the entry can belong to a thread at all (it has an id, a parent or a thread key). */
export function isThreadable(e: LogEntry): boolean {
  return messageIdOf(e) !== undefined || parentIdOf(e) !== undefined || threadKeysOf(e).length > 0;
}

/** Every entry connected to `seed` through message ids, reply links or shared thread keys, in log order. */
export function extractThread(entries: Iterable<LogEntry>, seed: LogEntry): LogEntry[] {
  const byId = new Map<string, LogEntry[]>();
  const children = new Map<string, LogEntry[]>();
  const byThread = new Map<string, LogEntry[]>();
  const add = (m: Map<string, LogEntry[]>, k: string, e: LogEntry): void => {
    const list = m.get(k);
    if (list) list.push(e);
    else m.set(k, [e]);
  };
  for (const e of entries) {
    const id = messageIdOf(e);
    if (id) add(byId, id, e);
    const parent = parentIdOf(e);
    if (parent) add(children, parent, e);
    for (const k of threadKeysOf(e)) add(byThread, k, e);
  }
  const seen = new Set<LogEntry>();
  const seenKeys = new Set<string>();
  const queue: LogEntry[] = [seed];
  const visit = (list: LogEntry[] | undefined): void => {
    if (list) for (const e of list) if (!seen.has(e)) queue.push(e);
  };
  while (queue.length) {
    const e = queue.pop()!;
    if (seen.has(e)) continue;
    seen.add(e);
    const id = messageIdOf(e);
    if (id && !seenKeys.has('m:' + id)) {
      seenKeys.add('m:' + id);
      visit(byId.get(id));
      visit(children.get(id));
    }
    const parent = parentIdOf(e);
    if (parent && !seenKeys.has('m:' + parent)) {
      seenKeys.add('m:' + parent);
      visit(byId.get(parent));
      visit(children.get(parent));
    }
    for (const k of threadKeysOf(e)) {
      if (seenKeys.has('t:' + k)) continue;
      seenKeys.add('t:' + k);
      visit(byThread.get(k));
    }
  }
  return [...seen].sort((a, b) => a.seq - b.seq);
}

export interface SequenceMessage {
  seq: number;
  from: string;
  to: string;
  type: string;
  kind: RowKind;
  label: string;
  time: number;
}

export interface SequenceModel {
  participants: string[];
  messages: SequenceMessage[];
  /** Messages left out because the thread exceeded MAX_THREAD_MESSAGES. */
  omitted: number;
}

const LABEL_MAX = 120;

/** One arrow per message: the hub logs a message when it arrives and again per delivery, so copies of one
 *  message id (and id-less copies with the same sender, receiver and text) collapse, preferring the inbound one. */
export function buildSequence(thread: readonly LogEntry[]): SequenceModel {
  const chosen = new Map<string, LogEntry>();
  for (const e of thread) {
    const key = topicSequenceKey(e) ?? messageIdOf(e) ?? `${e.message_type}|${fromOf(e)}|${toOf(e)}|${String(e.body.text_payload ?? '')}`;
    const prev = chosen.get(key);
    const better = prev?.message_type === 'PUBLISH' ? e.message_type === 'TOPIC_MESSAGE' : prev && prev.message_type !== 'TOPIC_MESSAGE' && prev.direction !== 'in' && e.direction === 'in';
    if (!prev || better) chosen.set(key, e);
  }
  const ordered = [...chosen.values()].sort((a, b) => a.seq - b.seq);
  const omitted = Math.max(0, ordered.length - MAX_THREAD_MESSAGES);
  const kept = omitted ? ordered.slice(0, MAX_THREAD_MESSAGES) : ordered;
  const participants: string[] = [];
  const seenP = new Set<string>();
  const messages = kept.map((e): SequenceMessage => {
    const from = fromOf(e);
    const to = toOf(e);
    for (const p of [from, to]) {
      if (!seenP.has(p)) {
        seenP.add(p);
        participants.push(p);
      }
    }
    const text = previewOf(e);
    const label = text.length > LABEL_MAX ? text.slice(0, LABEL_MAX - 1) + '…' : text;
    return { seq: e.seq, from, to, type: e.message_type, kind: rowKind(e.message_type), label, time: e.time };
  });
  return { participants, messages, omitted };
}

export interface SequenceLayout {
  width: number;
  height: number;
  /** Width of a lane's name box: narrower when the lanes close up to fit. */
  headWidth: number;
  lanes: { id: string; x: number }[];
  arrows: { seq: number; x1: number; x2: number; y: number; self: boolean; label: string; type: string; kind: RowKind }[];
}

export const LAYOUT = { laneGap: 200, minLaneGap: 130, margin: 110, headWidth: 160, header: 48, rowGap: 44, footer: 24 } as const;
/** Space between a lane's name box and the next one, or the drawing's edge. */
const HEAD_SPACE = 6;

/**
 * Coordinates for the SVG: lanes left to right in order of first appearance, one row per message. Given the width of
 * the box it is drawn in, the lanes close up (to LAYOUT.minLaneGap apart, with narrower name boxes) so that a thread
 * of three or four participants fits the detail pane; only beyond that does the box scroll.
 */
export function layoutSequence(model: SequenceModel, fitWidth = Infinity): SequenceLayout {
  const n = Math.max(1, model.participants.length);
  let gap: number = LAYOUT.laneGap;
  let headWidth: number = LAYOUT.headWidth;
  let margin: number = LAYOUT.margin;
  if (n > 1 && (n - 1) * gap + 2 * margin > fitWidth) {
    // the outer lanes keep their whole name box inside: a margin of half a box and a little
    const outer = LAYOUT.headWidth + 2 * HEAD_SPACE;
    const full = Math.floor((fitWidth - outer) / (n - 1));
    // below a full box's gap the boxes narrow with it (gap - 2·space), and so do the margins: n gaps in all
    gap = Math.max(LAYOUT.minLaneGap, Math.min(LAYOUT.laneGap, full >= outer ? full : Math.floor(fitWidth / n)));
    headWidth = Math.min(LAYOUT.headWidth, gap - 2 * HEAD_SPACE);
    margin = headWidth / 2 + HEAD_SPACE;
  }
  const laneX = new Map<string, number>();
  const lanes = model.participants.map((id, i) => {
    const x = margin + i * gap;
    laneX.set(id, x);
    return { id, x };
  });
  const arrows = model.messages.map((m, i) => {
    const x1 = laneX.get(m.from)!;
    const x2 = laneX.get(m.to)!;
    return { seq: m.seq, x1, x2, y: LAYOUT.header + LAYOUT.rowGap * (i + 1), self: m.from === m.to, label: m.label, type: m.type, kind: m.kind };
  });
  const width = (n - 1) * gap + 2 * margin;
  const height = LAYOUT.header + LAYOUT.rowGap * (arrows.length + 1) + LAYOUT.footer;
  return { width, height, headWidth, lanes, arrows };
}
