// The monitor's reconstruction report as plain data (no DOM): the header figures, the timeline with what the failed
// agent left unanswered or undelivered marked, the peers' memory states — so the view only draws and Node tests it.

import type { ReconstructionT, TimelineEntryT } from '../protocol/contextSchemas';

/** Texts longer than this are cut in a row (Copy JSON keeps them whole). */
export const ROW_TEXT_MAX = 400;
/** Memory states longer than this (as pretty JSON) are cut in the report. */
export const MEMORY_TEXT_MAX = 4000;
/** Timeline rows the report draws at most; the newest are kept (the JSON has them all). */
export const MAX_REPORT_ROWS = 2000;

export type RowMark = 'unanswered' | 'undelivered' | 'none';

export interface ReportRow {
  message_id: string;
  /** HH:MM:SS.mmm (UTC); `when` has the date too. */
  time: string;
  when: string;
  type: string;
  /** Names where the monitor knows the agent, else ids; the ids are in fromId/toId. */
  from: string;
  to: string;
  fromId: string | null;
  toId: string | null;
  text: string;
  /** "re <id>" when it replies to another message. */
  reply_to: string | null;
  thread: string | null;
  /** Who reported it: "hub" and/or the peers' ids. */
  sources: string;
  mark: RowMark;
  /** The failed agent sent this one (shown on its side). */
  outgoing: boolean;
}

export interface ReportPeer {
  agent_id: string;
  /** The agent's name where the monitor knows it, else its id. */
  name: string;
  state: 'answered' | 'silent';
}

export interface ReportMemory {
  peer: string;
  /** "planner (agent_…)" when the monitor knows the peer's name, else its id. */
  label: string;
  json: string;
  truncated: boolean;
}

export interface ReconstructionReport {
  /** The reconstruction's request id: actions name the report they belong to. */
  id: string;
  title: string;
  /** "coder (agent_1f0d…)" when the name is known, else the id. */
  failedAgent: string;
  thread: string | null;
  /** "every peer answered", "timed out after 5000 ms", … */
  outcome: string;
  outcomeKind: ReconstructionT['finished'];
  duration: string;
  transport: string;
  startedAt: string;
  lastStatus: string;
  lastSeen: string;
  queried: number;
  answered: number;
  silent: number;
  peers: ReportPeer[];
  rejected: string[];
  unanswered: ReportRow[];
  undelivered: ReportRow[];
  timeline: ReportRow[];
  /** Rows left out: by the reconstructor's own bound plus the report's. */
  timelineOmitted: number;
  memories: ReportMemory[];
  /** One line for a toast or a notification. */
  headline: string;
}

function cut(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/** The text a row shows: the text payload, else the payload as JSON. */
function rowText(e: TimelineEntryT): string {
  if (typeof e.text_payload === 'string' && e.text_payload.length) return cut(e.text_payload, ROW_TEXT_MAX);
  if (e.payload === undefined || e.payload === null) return '';
  try {
    return cut(JSON.stringify(e.payload), ROW_TEXT_MAX);
  } catch {
    return '';
  }
}

/** "1.2 s", "850 ms", "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** An ISO time as a readable local-independent "YYYY-MM-DD HH:MM:SS.mmm" (UTC), or the raw value. */
export function formatTime(t: string | null): string {
  if (!t) return '?';
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) return t;
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** "last seen 12 s ago (2026-…)" against `nowMs`, or the raw time. */
export function formatLastSeen(t: string | null, nowMs: number): string {
  if (!t) return 'unknown';
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) return t;
  const ago = Math.max(0, nowMs - ms);
  return `${formatDuration(ago)} ago (${formatTime(t)})`;
}

export function outcomeText(r: Pick<ReconstructionT, 'finished' | 'timeout_ms'>): string {
  switch (r.finished) {
    case 'all_answered':
      return 'every peer answered';
    case 'timeout':
      return `timed out after ${formatDuration(r.timeout_ms)}`;
    case 'no_peers':
      return 'no peers to ask';
    case 'cancelled':
      return 'cancelled';
    default:
      return String(r.finished);
  }
}

/** Agent names the monitor knows (ids → names); ids it does not know are shown as they are. */
export type NameOf = (agentId: string) => string | undefined;

function toRow(e: TimelineEntryT, failed: string, mark: RowMark, nameOf: NameOf): ReportRow {
  const when = formatTime(e.time);
  return {
    message_id: e.message_id,
    time: when.includes(' ') ? when.slice(when.indexOf(' ') + 1) : when,
    when,
    type: e.message_type,
    from: e.sender_id === null ? '?' : (nameOf(e.sender_id) ?? e.sender_id),
    to: e.receiver_id === null ? '?' : (nameOf(e.receiver_id) ?? e.receiver_id),
    fromId: e.sender_id,
    toId: e.receiver_id,
    text: rowText(e),
    reply_to: e.in_reply_to_message_id ?? null,
    thread: e.thread_id ?? null,
    sources: e.sources.map((s) => nameOf(s) ?? s).join(', '),
    mark,
    outgoing: e.sender_id === failed,
  };
}

/** Turns a reconstruction into what the monitor draws. `nowMs` makes "last seen … ago" testable. */
export function buildReconstructionReport(r: ReconstructionT, nowMs: number = Date.now(), nameOf: NameOf = () => undefined): ReconstructionReport {
  const failed = r.failed_agent_id;
  const failedName = nameOf(failed);
  const failedLabel = failedName && failedName !== failed ? `${failedName} (${failed})` : failed;
  const unansweredIds = new Set(r.unanswered_messages.map((e) => e.message_id));
  const undeliveredIds = new Set(r.undelivered_messages.map((e) => e.message_id));
  const markOf = (id: string): RowMark => (unansweredIds.has(id) ? 'unanswered' : undeliveredIds.has(id) ? 'undelivered' : 'none');
  const kept = r.timeline.length > MAX_REPORT_ROWS ? r.timeline.slice(r.timeline.length - MAX_REPORT_ROWS) : r.timeline;
  const answered = new Set(r.peers_answered);
  const peers: ReportPeer[] = [
    ...r.peers_answered.map((agent_id): ReportPeer => ({ agent_id, name: nameOf(agent_id) ?? agent_id, state: 'answered' })),
    ...r.peers_silent.filter((p) => !answered.has(p)).map((agent_id): ReportPeer => ({ agent_id, name: nameOf(agent_id) ?? agent_id, state: 'silent' })),
  ];
  const memories: ReportMemory[] = Object.entries(r.memory_states).map(([peer, state]) => {
    let json: string;
    try {
      json = JSON.stringify(state, null, 2) ?? 'null';
    } catch {
      json = String(state);
    }
    const truncated = json.length > MEMORY_TEXT_MAX;
    const name = nameOf(peer);
    const label = name && name !== peer ? `${name} (${peer})` : peer;
    return { peer, label, json: truncated ? `${json.slice(0, MEMORY_TEXT_MAX - 1)}…` : json, truncated };
  });
  const outcome = outcomeText(r);
  const n = r.unanswered_messages.length;
  return {
    id: r.request_id,
    title: `Reconstruction of ${failedName ?? failed}${r.thread_id ? ` (thread ${r.thread_id})` : ''}`,
    failedAgent: failedLabel,
    thread: r.thread_id,
    outcome,
    outcomeKind: r.finished,
    duration: formatDuration(r.duration_ms),
    transport: r.transport,
    startedAt: formatTime(r.started_at),
    lastStatus: r.last_status ?? '—',
    lastSeen: formatLastSeen(r.last_seen, nowMs),
    queried: r.peer_agents_queried.length,
    answered: r.peers_answered.length,
    silent: r.peers_silent.length,
    peers,
    rejected: r.rejected_answers.map((x) => `${x.responder_id ?? 'unknown peer'}: ${x.reason}`),
    unanswered: r.unanswered_messages.map((e) => toRow(e, failed, 'unanswered', nameOf)),
    undelivered: r.undelivered_messages.map((e) => toRow(e, failed, 'undelivered', nameOf)),
    timeline: kept.map((e) => toRow(e, failed, markOf(e.message_id), nameOf)),
    timelineOmitted: (r.timeline_dropped ?? 0) + (r.timeline.length - kept.length),
    memories,
    headline:
      `${failedName ?? failed}: ${r.peers_answered.length} of ${r.peer_agents_queried.length} peers answered, ` +
      `${n} unanswered message${n === 1 ? '' : 's'} (${outcome}, ${formatDuration(r.duration_ms)})`,
  };
}
