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

function line(e: TimelineEntryT): string {
  const time = e.time ?? '?';
  const who = `${e.sender_id ?? '?'} → ${e.receiver_id ?? '?'}`;
  const reply = e.in_reply_to_message_id ? ` (re ${e.in_reply_to_message_id})` : '';
  return `  ${time}  ${e.message_type.padEnd(6)} ${who}${reply}: ${cut(e.text_payload)}  [${e.message_id}; ${e.sources.join(', ')}]`;
}

export function formatReconstruction(r: ReconstructionT): string {
  const out: string[] = [];
  const how =
    r.finished === 'all_answered'
      ? 'every peer answered'
      : r.finished === 'timeout'
        ? `timed out after ${r.timeout_ms} ms`
        : r.finished === 'no_peers'
          ? 'no peers to ask'
          : 'cancelled';
  out.push(`Reconstruction of ${r.failed_agent_id}${r.thread_id ? ` (thread ${r.thread_id})` : ''} — ${how}, ${r.duration_ms} ms via ${r.transport}`);
  out.push(`  last seen: ${r.last_seen ?? 'unknown'}   last status: ${r.last_status ?? '—'}`);
  out.push(`  peers asked: ${r.peer_agents_queried.length}   answered: ${r.peers_answered.join(', ') || 'none'}   silent: ${r.peers_silent.join(', ') || 'none'}`);
  for (const x of r.rejected_answers) out.push(`  rejected answer from ${x.responder_id ?? 'unknown'}: ${x.reason}`);
  out.push('');
  out.push(`Unanswered (${r.unanswered_messages.length}) — delivered to ${r.failed_agent_id}, never replied to:`);
  out.push(...(r.unanswered_messages.length ? r.unanswered_messages.map(line) : ['  none']));
  if (r.undelivered_messages.length) {
    out.push(`Undelivered (${r.undelivered_messages.length}) — the hub could not hand these over:`);
    out.push(...r.undelivered_messages.map(line));
  }
  out.push('');
  out.push(`Timeline (${r.timeline.length}${r.timeline_dropped ? `, ${r.timeline_dropped} older left out` : ''}):`);
  out.push(...(r.timeline.length ? r.timeline.map(line) : ['  nothing recorded']));
  const states = Object.entries(r.memory_states);
  if (states.length) {
    out.push('');
    out.push('Memory states:');
    for (const [peer, state] of states) out.push(`  ${peer}: ${cut(JSON.stringify(state), 400)}`);
  }
  return out.join('\n');
}
