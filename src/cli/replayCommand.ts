// `switchboard replay <recording.ndjson>`: re-run a recorded conversation against live agents and report what changed
// (src/cli/replay.ts). Read-only by default — it prints what it would send and where — and sends only with --send,
// so it never runs against a hub the person did not choose.

import type { Command } from 'commander';
import { CliError, intFlag, resolveHubUrl } from './cliErrors';
import { formatReplayReport, planReplay, readRecording, runReplay, type ReplaySelection } from './replay';

type Run = (fn: () => Promise<void>) => Promise<void>;

interface ReplayFlags {
  url?: string;
  thread?: string;
  since?: string;
  until?: string;
  filter?: string;
  speed: string;
  asFastAsPossible?: boolean;
  timeout: string;
  send?: boolean;
  json?: boolean;
}

export function registerReplayCommand(program: Command, run: Run): void {
  program
    .command('replay')
    .description('re-send a recording\'s messages to agents (mapped by name) and report each reply as same / different / missing')
    .argument('<recording>', 'an NDJSON event log (the hub\'s log file or an export)')
    .option('--url <url>', 'hub agent URL (default: $SWITCHBOARD_URL)')
    .option('--thread <id>', 'only this conversation (thread, or a message id and its replies)')
    .option('--since <time>', 'only messages at or after this time (ISO date or epoch ms)')
    .option('--until <time>', 'only messages at or before this time')
    .option('--filter <filter>', 'only messages matching this filter, e.g. "to:planner text:refund"')
    .option('--speed <factor>', 'recorded pacing divided by this ("2x" or 2)', '1')
    .option('--as-fast-as-possible', 'no pauses between messages')
    .option('--timeout <ms>', 'how long to wait for each answer', '30000')
    .option('--send', 'really send (without it, only the plan is printed)')
    .option('--json', 'print the report as JSON')
    .action((path: string, flags: ReplayFlags) =>
      run(async () => {
        const rec = readRecording(path);
        const sel: ReplaySelection = {};
        if (flags.thread) sel.thread = flags.thread;
        if (flags.since) sel.since = timeFlag(flags.since, '--since');
        if (flags.until) sel.until = timeFlag(flags.until, '--until');
        if (flags.filter) sel.filter = flags.filter;
        const steps = planReplay(rec, sel);
        if (!flags.send) {
          let url: string;
          try {
            url = resolveHubUrl(flags.url);
          } catch {
            url = '(no hub chosen: --url or $SWITCHBOARD_URL)';
          }
          process.stdout.write(`would send ${steps.length} message(s) to ${url.replace(/token=[^&]*/, 'token=…')} (add --send to replay):\n`);
          for (const s of steps) process.stdout.write(`  → ${s.agentName}: ${String(s.entry.body.text_payload ?? '')}${s.notReplayable ? `  (not replayable: ${s.notReplayable})` : ''}\n`);
          if (rec.badLines) process.stdout.write(`${rec.badLines} line(s) of the file are not log entries and were skipped\n`);
          return;
        }
        const speed = flags.asFastAsPossible ? 0 : Number(flags.speed.replace(/x$/i, ''));
        if (!Number.isFinite(speed) || speed < 0) throw new CliError(`--speed must be a positive number like 2 or 2x, not "${flags.speed}".`);
        const rows = await runReplay(steps, { url: resolveHubUrl(flags.url), speed, replyTimeoutMs: intFlag(flags.timeout, '--timeout', 30_000) });
        process.stdout.write((flags.json ? JSON.stringify(rows, null, 2) : formatReplayReport(rows)) + '\n');
      }),
    );
}

function timeFlag(v: string, name: string): number {
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw new CliError(`${name} must be an ISO date or epoch milliseconds, not "${v}".`);
  return ms;
}
