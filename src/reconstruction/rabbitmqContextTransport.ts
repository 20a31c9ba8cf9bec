// Seed 002 on RabbitMQ: requests go to a fanout exchange (every peer binds its own exclusive queue, so each sees every
// request); answers go to a reply queue per requester (`<prefix>.<requester_id>`), named in the request's reply_to
// and in the AMQP replyTo/correlationId properties, so any AMQP client can answer without knowing our code.

import { connect, type ChannelModel, type Channel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { RequestContextMsg } from '../protocol/contextSchemas';
import { validateMessage } from '../protocol/codec';
import { MessageType } from '../protocol/messageTypes';
import { newClientId } from '../protocol/ids';
import type { Logger } from '../protocol/logger';
import { silentLogger } from '../protocol/logger';
import { SwitchboardError, errorMessage } from '../protocol/errors';
import type { AnswerSink, ContextPeerTransport, ContextTransport, PeerRequestHandler } from './contextTransport';
import type { ContextSettings } from './contextConfig';
import { safeName } from './contextConfig';
import { closeConnection } from '../bus/rabbitmqBus';

export interface RabbitMqContextOptions {
  rabbitmq: ContextSettings['rabbitmq'];
  /** Our requester id; a fresh `reconstructor-<8 hex>` by default. */
  requesterId?: string;
  logger?: Logger;
}

/** Answers waiting in a reply queue beyond this are not delivered until we ack (prefetch). */
const PREFETCH = 100;

function parseBody(msg: ConsumeMessage): unknown {
  try {
    return JSON.parse(msg.content.toString('utf8'));
  } catch {
    return { __unparseable: msg.content.toString('utf8', 0, Math.min(msg.content.length, 200)) };
  }
}

export class RabbitMqContextTransport implements ContextTransport, ContextPeerTransport {
  readonly kind = 'rabbitmq' as const;
  readonly requesterId: string;
  private readonly logger: Logger;
  private conn: ChannelModel | undefined;
  private connecting: Promise<{ consume: Channel; publish: ConfirmChannel }> | undefined;
  private opening: Promise<void> | undefined;
  private readonly consumerTags = new Set<string>();
  private closed = false;

  constructor(private readonly opts: RabbitMqContextOptions) {
    this.requesterId = opts.requesterId ?? newClientId('reconstructor-');
    this.logger = (opts.logger ?? silentLogger).child('rabbitmq-context');
  }

  get replyQueue(): string {
    return `${this.opts.rabbitmq.responseQueuePrefix}.${safeName(this.requesterId)}`;
  }

  open(sink: AnswerSink): Promise<void> {
    this.opening ??= (async () => {
      const { consume } = await this.channels();
      await consume.assertQueue(this.replyQueue, { exclusive: true, autoDelete: true, durable: false });
      const { consumerTag } = await consume.consume(
        this.replyQueue,
        (msg) => {
          if (!msg) return;
          consume.ack(msg);
          sink.answer(parseBody(msg), msg.content.length);
        },
        { noAck: false },
      );
      this.consumerTags.add(consumerTag);
    })().catch((err: unknown) => {
      this.opening = undefined;
      throw this.wrap(err);
    });
    return this.opening;
  }

  async send(request: RequestContextMsg): Promise<null> {
    const { publish } = await this.channels();
    const body: RequestContextMsg = { ...request, reply_to: this.replyQueue };
    await this.publishConfirmed(publish, this.opts.rabbitmq.requestExchange, '', body, {
      replyTo: this.replyQueue,
      correlationId: request.request_id,
    });
    return null;
  }

  /** Publish an answer (or anything, for tests) to a reply queue. */
  async reply(replyQueue: string, body: unknown, correlationId?: string): Promise<void> {
    const { publish } = await this.channels();
    await this.publishConfirmed(publish, '', replyQueue, body, { correlationId });
  }

  async serve(peerId: string, handler: PeerRequestHandler): Promise<() => Promise<void>> {
    const { consume } = await this.channels();
    const { queue } = await consume.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await consume.bindQueue(queue, this.opts.rabbitmq.requestExchange, '');
    const { consumerTag } = await consume.consume(
      queue,
      (msg) => {
        if (!msg) return;
        consume.ack(msg);
        const v = validateMessage(parseBody(msg));
        if (!v.ok || v.message.message_type !== MessageType.REQUEST_CONTEXT) return;
        const req = v.message as RequestContextMsg;
        const replyTo =
          msg.properties.replyTo ?? req.reply_to ?? `${this.opts.rabbitmq.responseQueuePrefix}.${safeName(req.requester_id)}`;
        Promise.resolve()
          .then(() => handler(req, (answer) => this.reply(replyTo, answer, req.request_id)))
          .catch((err: unknown) => this.logger.warn(`peer ${peerId}: answering failed: ${errorMessage(err)}`));
      },
      { noAck: false },
    );
    this.consumerTags.add(consumerTag);
    return async () => {
      if (!this.consumerTags.delete(consumerTag)) return;
      await consume.cancel(consumerTag).catch(() => undefined);
      await consume.deleteQueue(queue).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const conn = this.conn;
    this.conn = undefined;
    this.consumerTags.clear();
    // exclusive, auto-delete queues go with the connection
    if (conn) await closeConnection(conn);
  }

  private channels(): Promise<{ consume: Channel; publish: ConfirmChannel }> {
    if (this.closed) return Promise.reject(new SwitchboardError('shutdown', 'The RabbitMQ context transport is closed.'));
    this.connecting ??= (async () => {
      const conn = await connect(this.opts.rabbitmq.url, { clientProperties: { connection_name: `switchboard-context-${this.requesterId}` }, timeout: 5000 });
      this.conn = conn;
      conn.on('error', (err: Error) => this.logger.warn(`connection error: ${err.message}`));
      conn.on('close', () => {
        if (!this.closed) this.logger.warn('connection closed by the broker; the next call reconnects');
        this.connecting = undefined;
        this.opening = undefined;
      });
      const consume = await conn.createChannel();
      await consume.prefetch(PREFETCH);
      const publish = await conn.createConfirmChannel();
      await publish.assertExchange(this.opts.rabbitmq.requestExchange, 'fanout', { durable: true, autoDelete: false });
      return { consume, publish };
    })().catch((err: unknown) => {
      this.connecting = undefined;
      throw this.wrap(err);
    });
    return this.connecting;
  }

  private publishConfirmed(
    ch: ConfirmChannel,
    exchange: string,
    routingKey: string,
    body: unknown,
    props: { replyTo?: string; correlationId?: string },
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      ch.publish(exchange, routingKey, Buffer.from(JSON.stringify(body)), { contentType: 'application/json', ...props }, (err) =>
        err ? reject(this.wrap(err)) : resolve(),
      );
    });
  }

  private wrap(err: unknown): SwitchboardError {
    if (err instanceof SwitchboardError) return err;
    return new SwitchboardError('bus_down', `RabbitMQ context transport: ${errorMessage(err)}`, { retriable: true, cause: err });
  }
}
