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
    for (const q of this.knownQueues) await this.declareQueueOn(q);
  }

  /** Declares a `queue:` channel's queue exactly as seed 001 does (durable, no arguments), or a context reply queue. */
  async declareQueueOn(queue: string, options: Options.AssertQueue = { durable: true }): Promise<void> {
    await this.declareAside(`queue ${queue}`, (ch) => ch.assertQueue(queue, options));
    remember(this.declaredQueues, queue);
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
    await this.connection.bounded(async () => {
      for (const q of queueNames) await this.declareQueueOn(q);
    }, 'queue.declare');
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
