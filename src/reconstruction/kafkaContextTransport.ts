// Seed 002 on Kafka: requests on `agent.context.request`, answers on `agent.context.response.<requester_id>`; every
// peer consumes requests in its own consumer group (`<prefix>-<peer id>`) so each one sees every request. Topic names,
// brokers and the group prefix come from the seed's environment variables (contextConfig.ts).

import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import type { RequestContextMsg } from '../protocol/contextSchemas';
import { validateMessage } from '../protocol/codec';
import { MessageType } from '../protocol/messageTypes';
import { newClientId } from '../protocol/ids';
import type { Logger } from '../protocol/logger';
import { silentLogger } from '../protocol/logger';
import { SwitchboardError, errorMessage } from '../protocol/errors';
import type { AnswerSink, ContextPeerTransport, ContextTransport, PeerRequestHandler } from './contextTransport';
import { responseTopic, safeName, type ContextSettings } from './contextConfig';

export interface KafkaContextOptions {
  kafka: ContextSettings['kafka'];
  /** Our requester id; a fresh `reconstructor-<8 hex>` by default (its response topic is deleted on close). */
  requesterId?: string;
  logger?: Logger;
  /** Requests older than this when a peer starts are skipped (a new consumer group reads from the beginning). */
  peerStaleMs?: number;
  /** How long joining a consumer group may take before open()/serve() fail. */
  joinTimeoutMs?: number;
  /**
   * Delete our response topic and the consumer groups we made on close. Default: only when the requester id was
   * generated (nobody else will use it again). A hub passes true: its id is new on every start unless configured.
   */
  cleanupOnClose?: boolean;
}

function parseJson(buf: Buffer | null): unknown {
  if (!buf) return undefined;
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    return { __unparseable: buf.toString('utf8', 0, Math.min(buf.length, 200)) };
  }
}

export class KafkaContextTransport implements ContextTransport, ContextPeerTransport {
  readonly kind = 'kafka' as const;
  readonly requesterId: string;
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private readonly ephemeralRequester: boolean;
  private producer: Producer | undefined;
  private producerReady: Promise<Producer> | undefined;
  private inbox: Consumer | undefined;
  private opening: Promise<void> | undefined;
  private readonly consumers = new Set<Consumer>();
  private readonly ensured = new Set<string>();
  private readonly groups = new Set<string>();
  private closed = false;

  constructor(private readonly opts: KafkaContextOptions) {
    this.ephemeralRequester = opts.requesterId === undefined;
    this.requesterId = opts.requesterId ?? newClientId('reconstructor-');
    this.logger = (opts.logger ?? silentLogger).child('kafka-context');
    this.kafka = new Kafka({
      clientId: `switchboard-${safeName(this.requesterId)}`,
      brokers: opts.kafka.brokers,
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 100, retries: 8 },
    });
  }

  get responseTopic(): string {
    return responseTopic(this.opts.kafka.responseTopicPrefix, safeName(this.requesterId));
  }

  open(sink: AnswerSink): Promise<void> {
    this.opening ??= this.openInbox(sink).catch((err: unknown) => {
      this.opening = undefined;
      throw err;
    });
    return this.opening;
  }

  async send(request: RequestContextMsg): Promise<null> {
    await this.publish(this.opts.kafka.requestTopic, request.request_id ?? null, request);
    return null;
  }

  /** Publish an answer (or anything, for tests) to a requester's response topic. */
  async reply(requesterId: string, body: unknown, key: string | null = null): Promise<void> {
    await this.publish(responseTopic(this.opts.kafka.responseTopicPrefix, safeName(requesterId)), key, body);
  }

  async serve(peerId: string, handler: PeerRequestHandler): Promise<() => Promise<void>> {
    await this.ensureTopics([this.opts.kafka.requestTopic]);
    const startedAt = Date.now();
    const stale = this.opts.peerStaleMs ?? 30_000;
    const consumer = await this.joinedConsumer(`${this.opts.kafka.groupPrefix}-${safeName(peerId)}`, this.opts.kafka.requestTopic, async ({ message }) => {
      if (Number(message.timestamp) < startedAt - stale) return;
      const v = validateMessage(parseJson(message.value));
      if (!v.ok || v.message.message_type !== MessageType.REQUEST_CONTEXT) {
        this.logger.debug(`peer ${peerId}: ignoring a non-request on the request topic`);
        return;
      }
      const req = v.message as RequestContextMsg;
      try {
        await handler(req, (answer) => this.reply(req.requester_id, answer, req.request_id ?? null));
      } catch (err) {
        this.logger.warn(`peer ${peerId}: answering ${req.request_id ?? '?'} failed: ${errorMessage(err)}`);
      }
    });
    return () => this.stopConsumer(consumer);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.consumers].map((c) => this.stopConsumer(c)));
    if ((this.opts.cleanupOnClose ?? this.ephemeralRequester) && (this.inbox || this.groups.size > 0)) {
      await this.withAdmin(async (a) => {
        if (this.inbox) await a.deleteTopics({ topics: [this.responseTopic], timeout: 5000 }).catch(() => undefined);
        if (this.groups.size > 0) await a.deleteGroups([...this.groups]).catch(() => undefined);
      }).catch(() => undefined);
    }
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect().catch(() => undefined);
  }

  private async openInbox(sink: AnswerSink): Promise<void> {
    const topic = this.responseTopic;
    await this.ensureTopics([this.opts.kafka.requestTopic, topic]);
    // a fresh group on our own topic reads it from the beginning, so an answer that beats the join is not lost
    this.inbox = await this.joinedConsumer(`${this.opts.kafka.groupPrefix}-${safeName(this.requesterId)}`, topic, async ({ message }) => {
      sink.answer(parseJson(message.value), message.value?.length ?? 0);
    });
  }

  private async joinedConsumer(
    groupId: string,
    topic: string,
    eachMessage: (p: { message: { value: Buffer | null; timestamp: string } }) => Promise<void>,
  ): Promise<Consumer> {
    if (this.closed) throw new SwitchboardError('shutdown', 'The Kafka context transport is closed.');
    const consumer = this.kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 100 });
    this.consumers.add(consumer);
    this.groups.add(groupId);
    try {
      const joined = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new SwitchboardError('timeout', `Kafka consumer group ${groupId} did not join within ${this.opts.joinTimeoutMs ?? 30_000} ms.`, { retriable: true })),
          this.opts.joinTimeoutMs ?? 30_000,
        );
        const off = consumer.on(consumer.events.GROUP_JOIN, () => {
          clearTimeout(timer);
          off();
          resolve();
        });
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ eachMessage });
      await joined;
      return consumer;
    } catch (err) {
      await this.stopConsumer(consumer);
      throw err instanceof SwitchboardError ? err : new SwitchboardError('bus_down', `Kafka at ${this.opts.kafka.brokers.join(',')}: ${errorMessage(err)}`, { retriable: true, cause: err });
    }
  }

  private async stopConsumer(c: Consumer): Promise<void> {
    if (!this.consumers.delete(c)) return;
    await c.disconnect().catch(() => undefined);
  }

  private async publish(topic: string, key: string | null, body: unknown): Promise<void> {
    const producer = await this.getProducer();
    await producer.send({ topic, messages: [{ key, value: JSON.stringify(body) }] });
  }

  private getProducer(): Promise<Producer> {
    if (this.closed) return Promise.reject(new SwitchboardError('shutdown', 'The Kafka context transport is closed.'));
    this.producerReady ??= (async () => {
      const p = this.kafka.producer({ allowAutoTopicCreation: true, createPartitioner: Partitioners.DefaultPartitioner });
      await p.connect();
      this.producer = p;
      return p;
    })().catch((err: unknown) => {
      this.producerReady = undefined;
      throw new SwitchboardError('bus_down', `Kafka producer could not connect to ${this.opts.kafka.brokers.join(',')}: ${errorMessage(err)}`, { retriable: true, cause: err });
    });
    return this.producerReady;
  }

  /** Create topics before subscribing: a consumer on a topic auto-creation has not finished fails on a fresh broker. */
  private async ensureTopics(topics: string[]): Promise<void> {
    const missing = topics.filter((t) => !this.ensured.has(t));
    if (missing.length === 0) return;
    await this.withAdmin((a) => a.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: true }));
    for (const t of missing) this.ensured.add(t);
  }

  private async withAdmin<T>(fn: (a: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
