// What "Summarise" sends to a language model: the instruction and the reconstruction's data, cut to a bound (newest
// timeline entries kept) so a long history fits a model's context. Pure (no vscode), so the consent text and the
// request are built from the same figures and Node tests check them.

import type { ReconstructionT } from '../protocol/contextSchemas';

/** Characters of data sent at most (roughly 20k tokens). */
export const MAX_SUMMARY_DATA_CHARS = 80_000;

const INSTRUCTION =
  'Summarise in a few short paragraphs what this agent was doing before it failed, what it still owed to whom, ' +
  'and what a replacement should do first. Data (JSON):\n';

export interface SummaryPrompt {
  prompt: string;
  /** Timeline entries included (the newest); the consent dialog states it. */
  timelineSent: number;
  timelineLeftOut: number;
  unansweredSent: number;
  memoryStates: number;
}

export function buildSummaryPrompt(r: ReconstructionT, maxChars: number = MAX_SUMMARY_DATA_CHARS): SummaryPrompt {
  const data = (timeline: ReconstructionT['timeline'], memory: boolean): string =>
    JSON.stringify({
      failed_agent_id: r.failed_agent_id,
      last_status: r.last_status,
      last_seen: r.last_seen,
      unanswered: r.unanswered_messages,
      timeline,
      memory_states: memory ? r.memory_states : '(left out: too large)',
    });
  let memory = true;
  let keep = r.timeline.length;
  let json = data(r.timeline, memory);
  // halve the (oldest part of the) timeline until it fits; then drop the memory states; the unanswered stay
  while (json.length > maxChars && keep > 0) {
    keep = Math.floor(keep / 2);
    json = data(r.timeline.slice(r.timeline.length - keep), memory);
  }
  if (json.length > maxChars) {
    memory = false;
    json = data([], memory);
  }
  if (json.length > maxChars) json = json.slice(0, maxChars);
  return {
    prompt: INSTRUCTION + json,
    timelineSent: keep,
    timelineLeftOut: r.timeline.length - keep,
    unansweredSent: r.unanswered_messages.length,
    memoryStates: memory ? Object.keys(r.memory_states).length : 0,
  };
}
