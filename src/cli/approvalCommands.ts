// Seed 003 from the command line: `switchboard watch <agent>` (an agent's live state and events),
// `switchboard approve|deny <approval_id> [--note …]`, and the pending approvals `switchboard agents` lists.

import type { Command } from 'commander';
import type { AgentStatusEntryT } from '../protocol/schemas';
import { MonitorClient } from '../sdk/monitorClient';
import { decideApproval, watchAgentStreams, type StreamUpdate } from '../sdk/agentStreamWatcher';
import { CliError, intFlag, resolveHubUrl } from './cliErrors';
import { resolveAgent } from './clientCommands';
import { short } from './pendingApprovals';
import { waitForSignal } from './hubCommand';
import { colorWanted, palette } from './terminal';

type Run = (fn: () => Promise<void>) => Promise<void>;
type Palette = ReturnType<typeof palette>;


export function registerWatchCommand(program: Command, run: Run): void {
  program
    .command('watch')
    .description("follow an agent's live state (context, presence, pending approvals) and its events until Ctrl-C")
    .argument('<agent>', 'agent id (agent_…) or its name')
    .option('--url <url>', 'hub agent URL (default: $SWITCHBOARD_URL)')
    .option('--json', 'the stream frames as they come, one JSON object per line')
    .action((agent: string, flags: { url?: string; json?: boolean }) =>
      run(async () => {
        const url = resolveHubUrl(flags.url);
        const pal = palette(colorWanted(process.stdout));
        const stopped = waitForSignal();
        const client = new MonitorClient({ url, name: 'switchboard watch', backlog: 0 });
        try {
          await client.connect();
          const target = resolveAgentAnyPresence(await client.waitForAgents(), agent);
          const write = (l: string): boolean => process.stdout.write(l + '\n');
          if (flags.json) client.onFrame((m) => m.agent_id === target.agent_id && STREAM_TYPES.has(m.message_type) && write(JSON.stringify(m)));
          const watch = await watchAgentStreams(client, target.agent_id, (u) => {
            if (!flags.json) for (const l of describeUpdate(u, pal)) write(l);
          });
          await stopped;
          await watch.stop();
        } finally {
          await client.close();
        }
      }),
    );
}

export function registerApprovalCommands(program: Command, run: Run): void {
  for (const verb of ['approve', 'deny'] as const) {
    program
      .command(verb)
      .description(`${verb} a tool call an agent is waiting on (ids: \`switchboard agents\`)`)
      .argument('<approval_id>', 'the pending approval')
      .option('--note <text>', 'a note the agent receives with the decision')
      .option('--url <url>', 'hub agent URL (default: $SWITCHBOARD_URL)')
      .option('--timeout <ms>', 'how long to wait for the hub to confirm', '10000')
      .action((approvalId: string, flags: { note?: string; url?: string; timeout: string }) =>
        run(async () => {
          const url = resolveHubUrl(flags.url);
          const client = new MonitorClient({ url, name: `switchboard ${verb}`, backlog: 0, reconnect: false });
          try {
            await client.connect();
            await decideApproval(client, approvalId, verb === 'approve', flags.note, intFlag(flags.timeout, '--timeout', 10_000)).catch((err: unknown) => {
              throw new CliError(err instanceof Error ? err.message : String(err), 'List what is pending with `switchboard agents`.');
            });
            process.stdout.write(`${verb === 'approve' ? 'approved' : 'denied'} ${approvalId}\n`);
          } finally {
            await client.close();
          }
        }),
      );
  }
}

const STREAM_TYPES: ReadonlySet<string> = new Set(['SNAPSHOT', 'DIFF', 'STREAM_EVENT', 'RESYNC']);

function describeUpdate(u: StreamUpdate, pal: Palette): string[] {
  if (u.kind === 'event') return [`${pal.dim(u.time)} EVENT ${u.eventType} ${short(u.data)}`];
  const s = u.state;
  const agent = s.agent as { agent_name?: string; status?: string } | null;
  const head = `${u.via}${u.missed ? ` (missed ${u.missed})` : ''} ${agent?.agent_name ?? s.agent_id} ${agent?.status ?? 'unknown'}`;
  return [
    pal.bold(head),
    `  context: ${s.context === null ? '(none reported)' : JSON.stringify(s.context)}`,
    ...s.pending_approvals.map((p) => `  pending ${p.approval_id}: ${p.tool} ${short(p.arguments)}`),
  ];
}

/** A watched agent may be offline (its last context is still worth seeing). */
function resolveAgentAnyPresence(directory: Map<string, AgentStatusEntryT>, wanted: string): AgentStatusEntryT {
  const exact = directory.get(wanted) ?? [...directory.values()].find((a) => a.agent_name === wanted && a.is_online);
  return exact ?? resolveAgent(directory, wanted);
}
