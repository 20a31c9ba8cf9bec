// A reconstruction as a readable plain-text report (the CLI prints it; the extension can show or save it): who was
// asked and who answered, the timeline, what the agent still owed, and what its peers remember of it.

import type { ReconstructionT, TimelineEntryT } from '../protocol/contextSchemas';

/** Texts longer than this are cut in the report (the JSON keeps them whole). */
const TEXT_WIDTH = 100;

function cut(s: string | null, n = TEXT_WIDTH): string {
  if (s === null) return '';
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? one.slice(0, n - 1) + '…' : one;
}

/** A name for an id where the caller knows one; the report then reads "coder (agent_ebd1c6fd)". */
export type ReportNameOf = (id: string) => string | undefined;

function labelOf(id: string, nameOf: ReportNameOf): string {
  const name = nameOf(id);
  // the whole id beside the name: two agents that share a name (a restarted "coder") stay apart
  return name && name !== id ? `${name} (${id})` : id;
}

function line(e: TimelineEntryT, nameOf: ReportNameOf): string {
  const time = e.time ?? '?';
  const who = `${e.sender_id === null ? '?' : labelOf(e.sender_id, nameOf)} → ${e.receiver_id === null ? '?' : labelOf(e.receiver_id, nameOf)}`;
  const reply = e.in_reply_to_message_id ? ` (re ${e.in_reply_to_message_id})` : '';
  return `  ${time}  ${e.message_type.padEnd(6)} ${who}${reply}: ${cut(e.text_payload)}  [${e.message_id}; ${e.sources.join(', ')}]`;
}

export function formatReconstruction(r: ReconstructionT, nameOf: ReportNameOf = () => undefined): string {
  const out: string[] = [];
  const label = (id: string): string => labelOf(id, nameOf);
  const list = (ids: readonly string[]): string => ids.map(label).join(', ') || 'none';
  const row = (e: TimelineEntryT): string => line(e, nameOf);
  const how =
    r.finished === 'all_answered'
      ? 'every peer answered'
      : r.finished === 'timeout'
        ? `timed out after ${r.timeout_ms} ms`
        : r.finished === 'no_peers'
          ? 'no peers to ask'
          : 'cancelled';
  out.push(`Reconstruction of ${label(r.failed_agent_id)}${r.thread_id ? ` (thread ${r.thread_id})` : ''} — ${how}, ${r.duration_ms} ms via ${r.transport}`);
  out.push(`  last seen: ${r.last_seen ?? 'unknown'}   last status: ${r.last_status ?? '—'}`);
  out.push(`  peers asked: ${r.peer_agents_queried.length}   answered: ${list(r.peers_answered)}   silent: ${list(r.peers_silent)}`);
  for (const x of r.rejected_answers) out.push(`  rejected answer from ${x.responder_id ?? 'unknown'}: ${x.reason}`);
  out.push('');
  out.push(`Unanswered (${r.unanswered_messages.length}) — delivered to ${label(r.failed_agent_id)}, never replied to:`);
  out.push(...(r.unanswered_messages.length ? r.unanswered_messages.map(row) : ['  none']));
  if (r.undelivered_messages.length) {
    out.push(`Undelivered (${r.undelivered_messages.length}) — the hub could not hand these over:`);
    out.push(...r.undelivered_messages.map(row));
  }
  out.push('');
  out.push(`Timeline (${r.timeline.length}${r.timeline_dropped ? `, ${r.timeline_dropped} older left out` : ''}):`);
  out.push(...(r.timeline.length ? r.timeline.map(row) : ['  nothing recorded']));
  const states = Object.entries(r.memory_states);
  if (states.length) {
    out.push('');
    out.push('Memory states:');
    for (const [peer, state] of states) out.push(`  ${label(peer)}: ${cut(JSON.stringify(state), 400)}`);
  }
  return out.join('\n');
}
