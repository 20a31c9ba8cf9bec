// Topology and administration on the RabbitMQ bus: the queues of `queue:` channels (declared exactly as seed 001 does,
// and again after every reconnect), the seed 002 fanout exchanges and reply queues, and deleting or purging them.
// Every declaration that might be refused runs on a channel of its own, so a refusal never takes traffic down.

import type { Channel, Options } from 'amqplib';
import { SwitchboardError, errorMessage } from '../../protocol/errors';
import { QUEUE_CHANNEL_PREFIX, isQueueChannel, parseContextChannel } from '../bus';
import type { BrokerLink } from '../brokerBusBase';
import type { RabbitConnection } from './connection';

/** Queues remembered for re-declaration after a reconnect (and declared on this connection). */
const MAX_KNOWN_QUEUES = 10_000;
/** A context reply queue (and a peer group's request queue): not durable, deleted when its last consumer leaves. */
export const REPLY_QUEUE: Options.AssertQueue = { durable: false, autoDelete: true };

export class RabbitAdmin {
  /** `queue:` channels declared on the current connection; cleared on reconnect. */
  private readonly declaredQueues = new Set<string>();
  /** Fanout exchanges of context request channels declared on the current connection; cleared on reconnect. */
  private readonly declaredExchanges = new Set<string>();
  /** Queues to declare after every reconnect (declareQueues()). */
  private readonly knownQueues = new Set<string>();
  /** The declareQueues() batch on the wire (settled when there is none) and the one gathering behind it. */
  private declaring: Promise<void> = Promise.resolve();
  private nextDeclare: { names: string[]; done: Promise<void> } | undefined;

  constructor(
    private readonly link: BrokerLink,
    private readonly connection: RabbitConnection,
  ) {}

  isDeclaredQueue(queue: string): boolean {
    return this.declaredQueues.has(queue);
  }

  isDeclaredExchange(exchange: string): boolean {
    return this.declaredExchanges.has(exchange);
  }

  /** A new connection: nothing is declared on it yet; the queues asked for before are declared again. */
  async redeclare(): Promise<void> {
    this.declaredQueues.clear();
    this.declaredExchanges.clear();
    await this.declareQueuesOn([...this.knownQueues]);
  }

  /** Declares a `queue:` channel's queue exactly as seed 001 does (durable, no arguments), or a context reply queue. */
  async declareQueueOn(queue: string, options: Options.AssertQueue = { durable: true }): Promise<void> {
    await this.declareQueuesOn([queue], options);
  }

  /**
   * Declares these queues on one channel aside (opening and closing a channel costs the broker two round trips and a
   * process, more than the declaration itself: one per queue made a burst of seed agents' registrations wait on it).
   * A queue that exists with other arguments makes the broker close that channel: it is used as it is, and the rest
   * are declared on a fresh channel.
   */
  async declareQueuesOn(queues: string[], options: Options.AssertQueue = { durable: true }): Promise<void> {
    let i = 0;
    while (i < queues.length) {
      await this.connection.withChannel(async (ch) => {
        for (; i < queues.length; i++) {
          const queue = queues[i]!;
          try {
            await ch.assertQueue(queue, options);
          } catch (err) {
            if ((err as { code?: unknown }).code !== 406) throw err;
            this.link.log.warn(`queue ${queue} exists with other arguments; using it as it is (${errorMessage(err)})`);
            remember(this.declaredQueues, queue);
            i++;
            return; // the broker closed this channel: the rest on a new one
          }
          remember(this.declaredQueues, queue);
        }
      });
    }
  }

  /** A context request channel's fanout exchange, as the seed declares it. */
  async declareFanoutOn(exchange: string): Promise<void> {
    if (this.declaredExchanges.has(exchange)) return;
    await this.declareAside(`exchange ${exchange}`, (ch) => ch.assertExchange(exchange, 'fanout', { durable: true, autoDelete: false }));
    remember(this.declaredExchanges, exchange);
  }

  /**
   * A declaration on a channel of its own: one someone made with other arguments makes the broker refuse (406) and
   * close the channel it was asked on. That must neither take the traffic channels down nor loop reconnecting: such
   * a queue or exchange is used as it is.
   */
  private async declareAside(what: string, declare: (ch: Channel) => Promise<unknown>): Promise<void> {
    await this.connection.withChannel(async (ch) => {
      try {
        await declare(ch);
      } catch (err) {
        if ((err as { code?: unknown }).code !== 406) throw err;
        this.link.log.warn(`${what} exists with other arguments; using it as it is (${errorMessage(err)})`);
      }
    });
  }

  async declareQueues(queueNames: string[]): Promise<void> {
    for (const q of queueNames) {
      this.knownQueues.delete(q); // re-inserted last: the most recently asked-for survive the bound
      this.knownQueues.add(q);
    }
    while (this.knownQueues.size > MAX_KNOWN_QUEUES) this.knownQueues.delete(this.knownQueues.values().next().value as string);
    if (!this.connection.pub || this.link.state !== 'up') return; // declared on (re)connect
    return this.coalescedDeclare(queueNames);
  }

  /**
   * Declarations asked for while another batch is on the wire (a burst of registrations, each asking for its agent's
   * queue) wait for it and go together, on one channel, in one batch after it.
   */
  private coalescedDeclare(queueNames: string[]): Promise<void> {
    let next = this.nextDeclare;
    if (!next) {
      const batch: { names: string[]; done: Promise<void> } = { names: [], done: Promise.resolve() };
      batch.done = this.declaring.then(() => {
        if (this.nextDeclare === batch) this.nextDeclare = undefined;
        if (!this.connection.pub || this.link.state !== 'up') return; // declared on (re)connect: they are known
        return this.connection.bounded(() => this.declareQueuesOn(batch.names), 'queue.declare');
      });
      this.declaring = batch.done.catch(() => undefined);
      this.nextDeclare = next = batch;
    }
    next.names.push(...queueNames);
    return next.done;
  }

  /** Deletes queues; resolves with how many messages they held. (The caller ends its consumers of them first.) */
  async deleteQueues(queueNames: string[]): Promise<number> {
    let messages = 0;
    await this.withAdminChannel(async (ch) => {
      for (const q of queueNames) {
        this.forgetQueue(q);
        const r = await ch.deleteQueue(q);
        messages += r.messageCount;
      }
    });
    return messages;
  }

  async purgeQueue(queueName: string): Promise<number> {
    let n = 0;
    await this.withAdminChannel(async (ch) => {
      await ch.assertQueue(queueName, { durable: true });
      n = (await ch.purgeQueue(queueName)).messageCount;
    });
    return n;
  }

  /** Deletes the queue or fanout exchange that carries this channel (Bus.releaseChannel); logs, never throws. */
  async releaseChannel(channel: string): Promise<void> {
    const context = parseContextChannel(channel);
    const queue = isQueueChannel(channel) ? channel.slice(QUEUE_CHANNEL_PREFIX.length) : context?.role === 'response' ? context.name : undefined;
    const exchange = context?.role === 'request' ? context.name : undefined;
    if (queue !== undefined) this.forgetQueue(queue);
    if (exchange !== undefined) this.declaredExchanges.delete(exchange);
    if ((queue === undefined && exchange === undefined) || this.link.closed) return;
    if (this.link.state !== 'up') {
      this.link.log.info(`${queue ?? exchange} left in place: the broker is unreachable`);
      return;
    }
    try {
      await this.withAdminChannel(async (ch) => {
        if (queue !== undefined) await ch.deleteQueue(queue);
        if (exchange !== undefined) await ch.deleteExchange(exchange);
      });
    } catch (err) {
      this.link.log.warn(`could not delete ${queue ?? exchange}: ${errorMessage(err)}`);
    }
  }

  private forgetQueue(queue: string): void {
    this.knownQueues.delete(queue);
    this.declaredQueues.delete(queue);
  }

  /** A short-lived channel on the live connection, with a deadline. */
  private async withAdminChannel(fn: (ch: Channel) => Promise<void>): Promise<void> {
    if (!this.connection.conn || this.link.state !== 'up') throw new SwitchboardError('bus_down', 'RabbitMQ is not connected.', { retriable: true });
    await this.connection.bounded(() => this.connection.withChannel(fn), 'an administrative request');
  }
}

/** A cache of declared names, bounded: forgetting an entry only costs one more (idempotent) declaration. */
function remember(set: Set<string>, name: string): void {
  if (set.size >= MAX_KNOWN_QUEUES) set.clear();
  set.add(name);
}
