// Client commands that talk to a running hub: `switchboard send` (one message, wait for the reply) and
// `switchboard agents` (who is there). They find the hub from --url or SWITCHBOARD_URL.

import type { Command } from 'commander';
import type { AgentStatusEntryT } from '../protocol/schemas';
import { FrontendClient } from '../sdk/frontendClient';
import { MonitorClient } from '../sdk/monitorClient';
import { CliError, intFlag, resolveHubUrl } from './cliErrors';
import { clock } from './tailPrinter';
import { colorWanted, palette } from './terminal';
import { approvalLines, fetchPendingApprovals } from './pendingApprovals';

type Run = (fn: () => Promise<void>) => Promise<void>;

export function registerSendCommand(program: Command, run: Run): void {
  program
    .command('send')
    .description('send a TEXT to an agent (by id or name) and print its reply; status lines it emits show on stderr')
    .argument('<agent>', 'agent id (agent_…) or its name')
    .argument('<text...>', 'the message')
    .option('--url <url>', 'hub agent URL (default: $SWITCHBOARD_URL)')
    .option('--timeout <ms>', 'how long to wait for the reply', '30000')
    .option('--thread <id>', 'thread id to attach')
    .option('--json', 'print the reply as JSON')
    .action((agent: string, words: string[], flags: { url?: string; timeout: string; thread?: string; json?: boolean }) =>
      run(async () => {
        const url = resolveHubUrl(flags.url);
        const timeout = intFlag(flags.timeout, '--timeout', 30_000);
        const pal = palette(colorWanted(process.stderr));
        const client = new FrontendClient({ url, name: 'switchboard send', reconnect: false });
        try {
          await client.connect();
          const target = resolveAgent(await client.waitForAgents(), agent);
          if (target.status === 'paused') process.stderr.write(pal.yellow(`${target.agent_name} is paused: the hub holds the message until it is resumed.\n`));
          client.onStatus((line) => process.stderr.write(pal.dim(`  ${line.text}`) + '\n'));
          const id = await client.send(target.agent_id, words.join(' '), flags.thread ? { thread: flags.thread } : {});
          const reply = await client.waitForReply(id, timeout).catch((err: unknown) => {
            if (err instanceof Error && 'code' in err && err.code === 'timeout') {
              throw new CliError(
                `No reply from ${target.agent_name} (${target.agent_id}) within ${timeout} ms.`,
                `It may be busy or not answer TEXT: raise --timeout, or watch it with \`switchboard tail --agent ${target.agent_id}\`.`,
                2,
              );
            }
            throw err;
          });
          process.stdout.write((flags.json ? JSON.stringify(withoutHubFields(reply)) : String(reply.text_payload ?? '')) + '\n');
        } finally {
          await client.close();
        }
      }),
    );
}

/** Fields the hub adds for its own routing (which connection sent it, what it did with it): not the agent's reply. */
const HUB_ROUTING_FIELDS: readonly string[] = ['_client_id', 'routing_status'];

/** The reply as the agent sent it, for `send --json`. */
export function withoutHubFields(message: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(message).filter(([k]) => !HUB_ROUTING_FIELDS.includes(k)));
}

export function registerAgentsCommand(program: Command, run: Run): void {
  program
    .command('agents')
    .description('list the agents the hub knows, with presence, their latest status line and pending tool approvals')
    .option('--url <url>', 'hub agent URL (default: $SWITCHBOARD_URL)')
    .option('--json', 'print the list as JSON')
    .action((flags: { url?: string; json?: boolean }) =>
      run(async () => {
        const url = resolveHubUrl(flags.url);
        const client = new MonitorClient({ url, name: 'switchboard agents', backlog: 0, reconnect: false });
        try {
          await client.connect();
          const agents = [...(await client.waitForAgents()).values()];
          const pending = await fetchPendingApprovals(client, agents);
          const pal = palette(colorWanted(process.stdout));
          if (flags.json) process.stdout.write(JSON.stringify(agents.map((a) => ({ ...a, pending_approvals: pending.filter((p) => p.agent_id === a.agent_id) })), null, 2) + '\n');
          else process.stdout.write([agentTable(agents, pal), ...approvalLines(pending, agents, pal)].join('\n') + '\n');
        } finally {
          await client.close();
        }
      }),
    );
}

/** Find an agent by id, else by unique name; otherwise explain what exists. */
export function resolveAgent(directory: Map<string, AgentStatusEntryT>, wanted: string): AgentStatusEntryT {
  const byId = directory.get(wanted);
  const byName = [...directory.values()].filter((a) => a.agent_name === wanted);
  const online = byName.filter((a) => a.is_online);
  const found = byId ?? (online.length === 1 ? online[0] : byName.length === 1 ? byName[0] : undefined);
  if (!found) {
    const known = [...directory.values()].map((a) => `${a.agent_name} (${a.agent_id}, ${statusOf(a)})`);
    if (byName.length > 1) throw new CliError(`Several agents are named "${wanted}": ${byName.map((a) => a.agent_id).join(', ')}.`, 'Use the agent id instead.');
    throw new CliError(
      `The hub knows no agent "${wanted}".`,
      known.length ? `Known agents: ${known.join('; ')}.` : 'No agents are registered yet: start one (e.g. `switchboard demo`).',
    );
  }
  if (statusOf(found) === 'offline') {
    throw new CliError(
      `${found.agent_name} (${found.agent_id}) is offline${found.last_seen ? ` (last seen ${found.last_seen})` : ''}.`,
      'Wait for it to reconnect or pick another: `switchboard agents`.',
    );
  }
  return found;
}

function statusOf(a: AgentStatusEntryT): string {
  return a.status ?? (a.is_online ? 'online' : 'offline');
}

export function agentTable(agents: AgentStatusEntryT[], pal: ReturnType<typeof palette>): string {
  if (agents.length === 0) return 'No agents registered.';
  const rows = agents
    .slice()
    .sort((a, b) => a.agent_name.localeCompare(b.agent_name))
    .map((a) => {
      const status = statusOf(a);
      const seen = a.last_seen ? clock(Date.parse(a.last_seen)) : '—';
      return [a.agent_id, a.agent_name, status, seen, a.status_text ?? ''];
    });
  const head = ['ID', 'NAME', 'STATUS', 'LAST SEEN', 'STATUS TEXT'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const paint = (s: string, status: string): string => (status === 'online' ? pal.green(s) : status === 'paused' ? pal.yellow(s) : pal.red(s));
  const line = (r: string[], status?: string): string =>
    r
      .map((c, i) => {
        const cell = i === r.length - 1 ? c : c.padEnd(widths[i]!);
        return i === 2 && status ? paint(cell, status) : cell;
      })
      .join('  ')
      .trimEnd();
  return [pal.bold(line(head)), ...rows.map((r) => line(r, r[2]))].join('\n');
}
