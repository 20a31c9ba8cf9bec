// `switchboard reconstruct <agent>`: rebuild a failed agent's context from its peers and the hub's event log, through
// a running hub (default) or straight over Kafka/RabbitMQ with the seed 002 settings, and print it (or its JSON).

import type { Command } from 'commander';
import type { ReconstructionT } from '../protocol/contextSchemas';
import { Reconstructor } from '../reconstruction/reconstructor';
import { WebSocketContextTransport } from './websocketContextTransport';
import { BusContextTransport } from '../reconstruction/busContextTransport';
import { resolveContextSettings } from '../reconstruction/contextConfig';
import { busConfigFromEnv, createBus } from '../bus/createBus';
import { formatReconstruction, type ReportNameOf } from '../reconstruction/reconstructionReport';
import { CliError, intFlag, resolveHubUrl } from './cliErrors';

type Run = (fn: () => Promise<void>) => Promise<void>;

interface Flags {
  url?: string;
  via: string;
  thread?: string;
  window: string;
  timeout?: string;
  expect?: string[];
  json?: boolean;
}

export function registerReconstructCommand(program: Command, run: Run): void {
  program
    .command('reconstruct')
    .description("rebuild a failed agent's context: ask its peers (REQUEST_CONTEXT), merge their answers with the hub's log")
    .argument('<agent>', 'the failed agent: id (agent_…) or, through a hub, its name')
    .option('--url <url>', 'hub agent URL (default: $SWITCHBOARD_URL)')
    .option('--via <carrier>', 'hub (ask through a running hub), kafka or rabbitmq (straight over the broker, seed 002 env vars)', 'hub')
    .option('--thread <id>', 'only this conversation thread')
    .option('--window <seconds>', 'how far back to ask for', '3600')
    .option('--timeout <ms>', 'collect answers at most this long (default: $PEER_CONTEXT_TIMEOUT_SECONDS or 5 s)')
    .option('--expect <peers...>', 'peer ids to wait for besides those the hub reached (broker peers)')
    .option('--json', 'print the reconstruction as JSON')
    .action((agent: string, flags: Flags) =>
      run(async () => {
        const { reconstruction, nameOf } = await reconstruct(agent, flags);
        print(reconstruction, flags.json === true, nameOf);
      }),
    );
}

interface Reconstructed {
  reconstruction: ReconstructionT;
  /** Names of the agents the hub knows (through a hub); the report prints "coder (agent_…)". */
  nameOf?: ReportNameOf;
}

async function reconstruct(agent: string, flags: Flags): Promise<Reconstructed> {
  const settings = resolveContextSettings();
  const windowSeconds = intFlag(flags.window, '--window', 3600);
  const timeoutMs = flags.timeout !== undefined ? intFlag(flags.timeout, '--timeout', settings.timeoutMs) : settings.timeoutMs;
  const opts = { threadId: flags.thread ?? null, windowSeconds, timeoutMs, expectedPeers: flags.expect ?? [] };
  const counter = progressCounter();
  const progress = (p: ProgressEvent): void => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${counter(p)}`);
  };
  if (flags.via === 'kafka' || flags.via === 'rabbitmq') {
    // a bus of our own for this one run, configured like a hub's (SWITCHBOARD_* and the seed's KAFKA_* variables)
    const bus = createBus({ ...busConfigFromEnv(), kind: flags.via, clientName: 'switchboard-reconstruct' });
    const rec = new Reconstructor({ transport: new BusContextTransport({ bus }), settings });
    try {
      return { reconstruction: await rec.reconstruct(agent, { ...opts, onProgress: progress }) };
    } finally {
      await rec.close();
      await bus.close();
    }
  }
  if (flags.via !== 'hub') throw new CliError(`Unknown --via "${flags.via}".`, 'Use hub, kafka or rabbitmq.');
  const transport = new WebSocketContextTransport({ url: resolveHubUrl(flags.url), name: 'switchboard reconstruct' });
  const rec = new Reconstructor({ transport, source: transport.source(), settings });
  try {
    await transport.connect();
    const reconstruction = await rec.reconstruct(resolveAgentId(transport.agents(), agent), { ...opts, onProgress: progress });
    const agents = transport.agents();
    return { reconstruction, nameOf: (id) => agents.get(id)?.agent_name };
  } finally {
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    await rec.close();
  }
}

/** What the Reconstructor reports: after each answer (responder_id set), and once the asked peers are known (null). */
interface ProgressEvent {
  answered: number;
  queried: number;
  responder_id: string | null;
}

/**
 * The progress line, kept monotonic and honest. Fast peers answer before the hub has said whom it reached; until then
 * the Reconstructor counts only the answers as "queried" ("2 of 2"), and when the peer set arrives it reports 0
 * answered ("0 of 3") although the two answers are kept. So: answers only grow, and until the peer set is known the
 * line does not claim a total.
 */
export function progressCounter(): (p: ProgressEvent) => string {
  let answered = 0;
  let queried: number | undefined;
  return (p) => {
    answered = Math.max(answered, p.answered);
    if (p.responder_id === null) queried = p.queried;
    else if (queried !== undefined) queried = p.queried;
    if (queried === undefined) return `${answered} peer${answered === 1 ? '' : 's'} answered so far…`;
    return `${answered} of ${Math.max(queried, answered)} peers answered…`;
  };
}

/** An id passes as is (the hub may have forgotten it, peers may not); a name must match exactly one agent. */
function resolveAgentId(agents: Map<string, { agent_id: string; agent_name: string; is_online: boolean }>, wanted: string): string {
  if (agents.has(wanted) || wanted.startsWith('agent_')) return wanted;
  const byName = [...agents.values()].filter((a) => a.agent_name === wanted);
  const offline = byName.filter((a) => !a.is_online);
  const pick = byName.length === 1 ? byName[0] : offline.length === 1 ? offline[0] : undefined;
  if (pick) return pick.agent_id;
  if (byName.length > 1) throw new CliError(`Several agents are named "${wanted}": ${byName.map((a) => a.agent_id).join(', ')}.`, 'Use the agent id instead.');
  throw new CliError(`The hub knows no agent "${wanted}".`, 'Give its id (agent_…): peers may remember it even if the hub does not. See `switchboard agents`.');
}

function print(r: ReconstructionT, json: boolean, nameOf?: ReportNameOf): void {
  process.stdout.write((json ? JSON.stringify(r, null, 2) : formatReconstruction(r, nameOf)) + '\n');
}
