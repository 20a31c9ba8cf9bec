// Topic commands (seed 004): `switchboard publish <topic> <json>`, `switchboard history <topic> [--since id]
// [--limit n]`, and what `tail --topic` runs: a front-end session in a namespace that subscribes and prints each message.

import type { Command } from 'commander';
import type { StoredTopicMessageT } from '../protocol/topics';
import { TopicFrontendClient } from '../sdk/topicsClient';
import { CliError, intFlag, resolveHubUrl } from './cliErrors';
import { waitForSignal } from './hubCommand';
import { clock } from './tailPrinter';
import { colorWanted, palette } from './terminal';

type Run = (fn: () => Promise<void>) => Promise<void>;

interface TopicFlags {
  url?: string;
  namespace?: string;
  json?: boolean;
}

const ids = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

async function session<T>(flags: TopicFlags, name: string, fn: (c: TopicFrontendClient) => Promise<T>): Promise<T> {
  const client = new TopicFrontendClient({ url: resolveHubUrl(flags.url), name, namespace: flags.namespace, reconnect: false });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** One line per message: time, id, topic, sender, payload (or the whole message as JSON). */
export function topicLine(m: StoredTopicMessageT, json: boolean, color = false): string {
  if (json) return JSON.stringify(m);
  const pal = palette(color);
  const time = clock(Math.round(m.timestamp * 1000));
  const reply = m.in_response_to != null ? pal.dim(` ↩ ${String(m.in_response_to)}`) : '';
  return `${pal.dim(time)} ${m.id} ${pal.cyan(`${m.namespace}:${m.topic_published_to}`)} ${m.sender.name ?? m.sender.id ?? '?'}${reply}  ${JSON.stringify(m.payload)}`;
}

export function registerTopicCommands(program: Command, run: Run): void {
  program
    .command('publish')
    .description('publish a JSON payload to a topic (seed 004) and print the stored message\'s id')
    .argument('<topic>', 'topic name (letters, digits, "_" and "-")')
    .argument('<json>', 'the payload, a JSON object')
    .option('--url <url>', 'hub agent URL (default: $SWITCHBOARD_URL)')
    .option('--namespace <ns>', 'the namespace to publish in', 'default')
    .option('--priority <n>', '0 (highest) to 9; default 4')
    .option('--thread <ids>', 'the thread\'s message ids, oldest first (comma-separated)', ids)
    .option('--in-response-to <id>', 'the message this answers')
    .option('--ttl <seconds>', 'seconds the message lives')
    .option('--json', 'print the stored message as JSON')
    .action((topic: string, json: string, flags: TopicFlags & { priority?: string; thread?: string[]; inResponseTo?: string; ttl?: string }) =>
      run(async () => {
        let payload: unknown;
        try {
          payload = JSON.parse(json);
        } catch (err) {
          throw new CliError(`The payload is not JSON: ${(err as Error).message}.`, `Quote it for the shell, e.g. '{"text": "hello"}'.`);
        }
        if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
          throw new CliError('The payload must be a JSON object, e.g. \'{"text": "hello"}\'.');
        }
        const opts: Record<string, unknown> = {};
        if (flags.priority !== undefined) opts.priority = intFlag(flags.priority, '--priority', 4);
        if (flags.thread?.length) opts.thread = flags.thread;
        if (flags.inResponseTo) opts.in_response_to = flags.inResponseTo;
        if (flags.ttl !== undefined) opts.ttl = intFlag(flags.ttl, '--ttl', 0);
        const [stored] = await session(flags, 'switchboard publish', (c) => c.topics.publish(topic, payload as Record<string, unknown>, opts));
        process.stdout.write((flags.json ? JSON.stringify(stored) : stored!.id) + '\n');
      }),
    );

  program
    .command('history')
    .description('print a topic\'s stored messages, oldest first: after --since (exclusive), or the latest --limit')
    .argument('<topic>', 'topic name')
    .option('--url <url>', 'hub agent URL (default: $SWITCHBOARD_URL)')
    .option('--namespace <ns>', 'the namespace of the topic', 'default')
    .option('--since <id>', 'only messages after this id')
    .option('--before <id>', 'only messages before this id (page backwards)')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'one JSON message per line (NDJSON)')
    .action((topic: string, flags: TopicFlags & { since?: string; before?: string; limit: string }) =>
      run(async () => {
        const limit = intFlag(flags.limit, '--limit', 100);
        const messages = await session(flags, 'switchboard history', (c) => c.topics.history(topic, { sinceId: flags.since, beforeId: flags.before, limit }));
        const color = colorWanted(process.stdout);
        for (const m of messages) process.stdout.write(topicLine(m, flags.json === true, color) + '\n');
      }),
    );
}

/** `tail --topic a,b`: subscribe in the namespace and print each message until Ctrl-C. */
export async function tailTopics(topics: string[], flags: TopicFlags & { color?: boolean }): Promise<void> {
  const stopped = waitForSignal();
  const client = new TopicFrontendClient({ url: resolveHubUrl(flags.url), name: 'switchboard tail --topic', namespace: flags.namespace });
  const color = colorWanted(process.stdout, process.env, flags.color);
  try {
    await client.connect();
    for (const t of topics) await client.topics.subscribe(t, (m) => void process.stdout.write(topicLine(m, flags.json === true, color) + '\n'));
    process.stderr.write(`tail: following ${topics.map((t) => `${flags.namespace ?? 'default'}:${t}`).join(', ')} (Ctrl-C to stop)\n`);
    await stopped;
  } finally {
    await client.close();
  }
}
