// Replay (issue 20): read an NDJSON event-log recording back, re-send its inbound messages from front-ends to agents
// (a conversation, a time range or a filter) into a live hub — agents mapped by name (they get new ids each run),
// reply links rewritten to the new message ids, recorded pacing kept or scaled — collect what the agents answer now,
// and report each recorded reply beside the new one: same, different (with a line diff) or missing. Bodies the log
// truncated are named as not replayable.

import { readFileSync } from 'node:fs';
import { isLogEntry, type LogEntry } from '../protocol/logEntry';
import { matchesMessage, parseMessageFilter } from '../protocol/filter';
import type { Envelope } from '../protocol/schemas';
import { FrontendClient } from '../sdk/frontendClient';

export interface Recording {
  entries: LogEntry[];
  /** Lines that were not log entries (blank lines are not counted). */
  badLines: number;
  /** Recorded agent id → agent name. */
  names: Map<string, string>;
}

export function parseRecording(text: string): Recording {
  const entries: LogEntry[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (isLogEntry(v)) entries.push(v);
      else badLines++;
    } catch {
      badLines++;
    }
  }
  entries.sort((a, b) => a.seq - b.seq);
  return { entries, badLines, names: agentNames(entries) };
}

export function readRecording(path: string): Recording {
  return parseRecording(readFileSync(path, 'utf8'));
}

/** Agent names as the recording knows them: registration responses, status updates, registrations. */
function agentNames(entries: readonly LogEntry[]): Map<string, string> {
  const names = new Map<string, string>();
  const put = (id: unknown, name: unknown): void => {
    if (typeof id === 'string' && id && typeof name === 'string' && name) names.set(id, name);
  };
  for (const e of entries) {
    const b = e.body;
    if (e.message_type === 'AGENT_STATUS_UPDATE' && Array.isArray(b.agents)) for (const a of b.agents as Record<string, unknown>[]) put(a.agent_id, a.agent_name);
    if (e.message_type === 'REGISTER_AGENT_RESPONSE') put(b.agent_id, b.agent_name);
    if (e.message_type === 'REGISTER_AGENT' && e.direction === 'in') put(e.client_id, b.agent_name);
  }
  return names;
}

export interface ReplaySelection {
  thread?: string;
  /** Epoch ms bounds on the recorded time. */
  since?: number;
  until?: number;
  /** The filter language (src/protocol/filter.ts) over the recorded message. */
  filter?: string;
}

export interface ReplayStep {
  entry: LogEntry;
  /** The agent's name the message was for. */
  agentName: string;
  /** What the agent answered in the recording, if it did. */
  recordedReply: LogEntry | undefined;
  /** Why it cannot be replayed, if it cannot. */
  notReplayable?: string;
}

const STIMULUS_TYPES: ReadonlySet<string> = new Set(['TEXT', 'SYSTEM']);
const ANSWER_TYPES: ReadonlySet<string> = new Set(['REPLY', 'TEXT', 'SYSTEM']);

/** The messages front-ends (or the person) sent to agents in the recording, selected, oldest first, with the recorded answers. */
export function planReplay(rec: Recording, sel: ReplaySelection = {}): ReplayStep[] {
  const filter = sel.filter ? parseMessageFilter(sel.filter) : undefined;
  if (filter && !filter.ok) throw new Error(filter.error);
  const answers = new Map<string, LogEntry>();
  for (const e of rec.entries) {
    if (e.direction !== 'in' || e.role !== 'agent' || !ANSWER_TYPES.has(e.message_type) || !e.in_reply_to_message_id) continue;
    if (!answers.has(e.in_reply_to_message_id)) answers.set(e.in_reply_to_message_id, e);
  }
  const steps: ReplayStep[] = [];
  for (const e of rec.entries) {
    if (e.direction !== 'in' || e.role === 'agent' || !STIMULUS_TYPES.has(e.message_type)) continue;
    const to = e.receiver_id ?? '';
    const agentName = rec.names.get(to);
    if (agentName === undefined) continue; // not for an agent (a broadcast, a front-end)
    if (sel.thread !== undefined && e.thread !== sel.thread && e.in_reply_to_message_id !== sel.thread && e.message_id !== sel.thread) continue;
    if (sel.since !== undefined && e.time < sel.since) continue;
    if (sel.until !== undefined && e.time > sel.until) continue;
    if (filter?.ok && !matchesMessage(filter.filter, e.body, (id) => rec.names.get(id))) continue;
    const step: ReplayStep = { entry: e, agentName, recordedReply: e.message_id ? answers.get(e.message_id) : undefined };
    if (e.truncated) step.notReplayable = 'its body was truncated in the log';
    steps.push(step);
  }
  return steps;
}

export type ReplayVerdict = 'same' | 'different' | 'missing' | 'not_replayable' | 'no_agent';

export interface ReplayRow {
  recordedId: string;
  agentName: string;
  text: string;
  verdict: ReplayVerdict;
  recordedReply?: string;
  newReply?: string;
  /** Lines of the recorded reply not in the new one ("- …") and the new one's not in the recorded ("+ …"). */
  diff?: string[];
  note?: string;
}

export interface ReplayOptions {
  url: string;
  /** Recorded gaps divided by this (2 = twice as fast); 0 or Infinity: as fast as possible. */
  speed: number;
  /** How long to wait for each answer. */
  replyTimeoutMs: number;
}

/** Sends the plan into the hub at url and reports what changed. */
export async function runReplay(steps: readonly ReplayStep[], opts: ReplayOptions): Promise<ReplayRow[]> {
  const client = new FrontendClient({ url: opts.url, name: 'switchboard replay', reconnect: false });
  await client.connect();
  try {
    const live = await client.waitForAgents();
    const byName = new Map<string, string>();
    for (const a of live.values()) if (a.is_online || !byName.has(a.agent_name)) byName.set(a.agent_name, a.agent_id);
    const newIds = new Map<string, string>(); // recorded message id → new message id (for reply links)
    const pending: { step: ReplayStep; index: number; reply: Promise<Envelope | undefined> }[] = [];
    const rows: ReplayRow[] = [];
    let prevTime: number | undefined;
    for (const step of steps) {
      const e = step.entry;
      if (step.notReplayable) {
        rows.push(row(step, 'not_replayable', undefined, step.notReplayable));
        continue;
      }
      const to = byName.get(step.agentName);
      if (!to) {
        rows.push(row(step, 'no_agent', undefined, `no agent named "${step.agentName}" in the hub`));
        continue;
      }
      if (prevTime !== undefined && opts.speed > 0 && Number.isFinite(opts.speed)) await delay((e.time - prevTime) / opts.speed);
      prevTime = e.time;
      const replyTo = e.in_reply_to_message_id ? (newIds.get(e.in_reply_to_message_id) ?? e.in_reply_to_message_id) : undefined;
      const sendOpts: { thread?: string; in_reply_to_message_id?: string; message_type?: 'TEXT' | 'SYSTEM' } = { message_type: e.message_type === 'SYSTEM' ? 'SYSTEM' : 'TEXT' };
      if (e.thread) sendOpts.thread = e.thread;
      if (replyTo) sendOpts.in_reply_to_message_id = replyTo;
      const id = await client.send(to, typeof e.body.text_payload === 'string' ? e.body.text_payload : '', sendOpts);
      if (e.message_id) newIds.set(e.message_id, id);
      pending.push({ step, index: rows.length, reply: client.waitForReply(id, opts.replyTimeoutMs).catch(() => undefined) });
      rows.push(row(step, 'missing')); // filled in below
    }
    for (const { step, index, reply } of pending) {
      const r = await reply;
      const newText = r && typeof r.text_payload === 'string' ? r.text_payload : undefined;
      if (r?.message_id !== undefined && step.recordedReply?.message_id) newIds.set(step.recordedReply.message_id, String(r.message_id));
      rows[index] = compare(step, newText);
    }
    return rows;
  } finally {
    await client.close();
  }
}

function row(step: ReplayStep, verdict: ReplayVerdict, newReply?: string, note?: string): ReplayRow {
  const r: ReplayRow = {
    recordedId: step.entry.message_id ?? '',
    agentName: step.agentName,
    text: typeof step.entry.body.text_payload === 'string' ? step.entry.body.text_payload : '',
    verdict,
  };
  const rec = step.recordedReply?.body.text_payload;
  if (typeof rec === 'string') r.recordedReply = rec;
  if (newReply !== undefined) r.newReply = newReply;
  if (note !== undefined) r.note = note;
  return r;
}

function compare(step: ReplayStep, newText: string | undefined): ReplayRow {
  const recorded = step.recordedReply?.body.text_payload;
  if (newText === undefined) return row(step, 'missing', undefined, 'no answer now');
  if (typeof recorded !== 'string') return row(step, 'different', newText, 'no answer in the recording');
  if (recorded === newText) return row(step, 'same', newText);
  const r = row(step, 'different', newText);
  r.diff = lineDiff(recorded, newText);
  return r;
}

/** A line diff (longest common subsequence): "  " kept, "- " only in a, "+ " only in b. */
export function lineDiff(a: string, b: string): string[] {
  const x = a.split('\n');
  const y = b.split('\n');
  const n = x.length;
  const m = y.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push(`  ${x[i++]}`);
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push(`- ${x[i++]}`);
    else out.push(`+ ${y[j++]}`);
  }
  while (i < n) out.push(`- ${x[i++]}`);
  while (j < m) out.push(`+ ${y[j++]}`);
  return out;
}

/** The replay report for a person. */
export function formatReplayReport(rows: readonly ReplayRow[]): string {
  const count = (v: ReplayVerdict): number => rows.filter((r) => r.verdict === v).length;
  const lines = [`replay: ${rows.length} message(s) — ${count('same')} same, ${count('different')} different, ${count('missing')} missing, ${count('not_replayable') + count('no_agent')} not replayed`];
  for (const r of rows) {
    lines.push(`${r.verdict.toUpperCase().padEnd(14)} → ${r.agentName}: ${r.text}${r.note ? `  (${r.note})` : ''}`);
    if (r.verdict === 'different' && r.diff) for (const d of r.diff) lines.push(`    ${d}`);
    else if (r.verdict === 'different') lines.push(`    + ${r.newReply ?? ''}`);
  }
  return lines.join('\n');
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, Math.min(ms, 60_000))) : Promise.resolve();
}
