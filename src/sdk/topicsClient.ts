// Seed 004 topics for SDK clients: publish, subscribe(topic, handler, ...decorators), history and getMessages over any
// registered client that can send raw frames and see every frame (an AgentClient, or the TopicFrontendClient below).
// Requests carry a request_id; the hub answers with HISTORY_RESPONSE (a PUBLISH with the stored message) or an ERROR
// carrying the same request_id. Subscriptions are made again after a reconnect.

import { SwitchboardError } from '../protocol/errors';
import { isoNow } from '../protocol/ids';
import { MessageType } from '../protocol/messageTypes';
import type { Envelope } from '../protocol/schemas';
import { isTopicName, type PublishMsg, type StoredTopicMessageT, type TopicSummaryT } from '../protocol/topics';
import type { ClientState } from './clientSocket';
import { FrontendClient, type FrontendClientOptions } from './frontendClient';
import { composeTopicHandler, type TopicHandler, type TopicMiddleware } from './topicsDecorators';

/** What TopicClient needs of a connected client. */
export interface TopicTransport {
  sendRaw(frame: Envelope): Promise<void>;
  onFrame(listener: (m: Envelope) => void): void;
  onState?(listener: (state: ClientState, detail: string) => void): unknown;
}

export type PublishOptions = Omit<PublishMsg, 'message_type' | 'topics' | 'payload'>;

interface Pending {
  resolve: (m: Envelope) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

let requestSeq = 0;

export class TopicClient {
  private readonly pending = new Map<string, Pending>();
  /** topic → handlers (each already wrapped in its decorators). */
  private readonly handlers = new Map<string, Set<TopicHandler>>();
  private readonly errorListeners: ((err: Error, m: StoredTopicMessageT) => void)[] = [];
  private readonly prefix = `tq_${Math.random().toString(36).slice(2, 8)}_`;

  constructor(
    private readonly transport: TopicTransport,
    private readonly opts: { requestTimeoutMs?: number } = {},
  ) {
    transport.onFrame((m) => this.onFrame(m));
    let connectedBefore = false;
    transport.onState?.((state) => {
      if (state !== 'connected') return;
      // a new connection starts with no subscriptions on the hub
      if (connectedBefore) for (const topic of this.handlers.keys()) void this.transport.sendRaw({ message_type: MessageType.SUBSCRIBE, topic }).catch(() => undefined);
      connectedBefore = true;
    });
  }

  /** A handler threw (after any retrying decorator gave up). Without a listener the error is dropped. */
  onHandlerError(listener: (err: Error, m: StoredTopicMessageT) => void): void {
    this.errorListeners.push(listener);
  }

  /** Publish to one topic or several; resolves with the stored message (its id, priority, timestamp) per topic. */
  async publish(topics: string | string[], payload: Record<string, unknown>, options: PublishOptions = {}): Promise<StoredTopicMessageT[]> {
    for (const t of Array.isArray(topics) ? topics : [topics]) checkTopic(t);
    const r = await this.request({ ...options, message_type: MessageType.PUBLISH, topics, payload });
    return r.messages as StoredTopicMessageT[];
  }

  /**
   * Receive the topic's messages through `handler`, wrapped in the decorators (outermost first). Resolves once the
   * hub has the subscription; the returned function unsubscribes this handler (the topic when it was the last).
   */
  async subscribe(topic: string, handler: TopicHandler, ...decorators: TopicMiddleware[]): Promise<() => Promise<void>> {
    checkTopic(topic);
    const wrapped = composeTopicHandler(handler, ...decorators);
    let set = this.handlers.get(topic);
    const first = !set;
    if (!set) this.handlers.set(topic, (set = new Set()));
    set.add(wrapped);
    if (first) {
      await this.transport.sendRaw({ message_type: MessageType.SUBSCRIBE, topic });
      // frames are handled in order: when this answer comes, the subscription is in place
      await this.request({ message_type: MessageType.HISTORY, topic, limit: 1 });
    }
    return async () => {
      const s = this.handlers.get(topic);
      if (!s?.delete(wrapped) || s.size > 0) return;
      this.handlers.delete(topic);
      await this.transport.sendRaw({ message_type: MessageType.UNSUBSCRIBE, topic });
    };
  }

  /** Stored messages of a topic, oldest first: after sinceId (exclusive), or the latest `limit` (before beforeId). */
  async history(topic: string, q: { sinceId?: string; beforeId?: string; limit?: number } = {}): Promise<StoredTopicMessageT[]> {
    checkTopic(topic);
    const frame: Envelope = { message_type: MessageType.HISTORY, topic };
    if (q.sinceId !== undefined) frame.since_id = q.sinceId;
    if (q.beforeId !== undefined) frame.before_id = q.beforeId;
    if (q.limit !== undefined) frame.limit = q.limit;
    return (await this.request(frame)).messages as StoredTopicMessageT[];
  }

  /** Stored messages of every topic this client subscribes to, after sinceId. */
  async historyOfSubscriptions(sinceId?: string, limit?: number): Promise<StoredTopicMessageT[]> {
    const frame: Envelope = { message_type: MessageType.HISTORY, client: true };
    if (sinceId !== undefined) frame.since_id = sinceId;
    if (limit !== undefined) frame.limit = limit;
    return (await this.request(frame)).messages as StoredTopicMessageT[];
  }

  async getMessages(ids: string[]): Promise<StoredTopicMessageT[]> {
    return (await this.request({ message_type: MessageType.GET_MESSAGES, ids })).messages as StoredTopicMessageT[];
  }

  /** The topics this client may see (TOPICS): a monitor every namespace (or `namespace`), others their own. */
  async topics(namespace?: string): Promise<TopicSummaryT[]> {
    const frame: Envelope = { message_type: MessageType.TOPICS };
    if (namespace !== undefined) frame.namespace = namespace;
    return (await this.request(frame)).topics as TopicSummaryT[];
  }

  /** Rejects what is still waiting (the client is closing). */
  close(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new SwitchboardError('shutdown', 'The topic client closed before the hub answered.'));
      this.pending.delete(id);
    }
  }

  private request(frame: Envelope): Promise<Envelope> {
    const request_id = this.prefix + (++requestSeq).toString(36);
    const timeoutMs = this.opts.requestTimeoutMs ?? 10_000;
    return new Promise<Envelope>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(request_id);
        reject(new SwitchboardError('timeout', `The hub did not answer ${frame.message_type} within ${timeoutMs} ms.`, { retriable: true }));
      }, timeoutMs);
      this.pending.set(request_id, { resolve, reject, timer });
      this.transport.sendRaw({ ...frame, request_id, send_timestamp: isoNow() }).catch((err: unknown) => {
        clearTimeout(timer);
        this.pending.delete(request_id);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  private onFrame(m: Envelope): void {
    if (m.message_type === MessageType.TOPIC_MESSAGE) {
      const msg = m.message as StoredTopicMessageT;
      for (const h of this.handlers.get(msg.topic_published_to) ?? []) {
        Promise.resolve()
          .then(() => h(msg))
          .catch((err: unknown) => {
            const e = err instanceof Error ? err : new Error(String(err));
            for (const l of this.errorListeners) l(e, msg);
          });
      }
      return;
    }
    if (m.message_type !== MessageType.HISTORY_RESPONSE && m.message_type !== MessageType.TOPICS_RESPONSE && m.message_type !== MessageType.ERROR) return;
    const id = typeof m.request_id === 'string' ? m.request_id : undefined;
    const p = id ? this.pending.get(id) : undefined;
    if (!p || !id) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (m.message_type === MessageType.ERROR) {
      const code = typeof m.code === 'string' ? m.code : 'invalid_message';
      p.reject(new SwitchboardError(code as ConstructorParameters<typeof SwitchboardError>[0], String(m.text_payload)));
    } else p.resolve(m);
  }
}

function checkTopic(topic: string): void {
  if (!isTopicName(topic)) {
    throw new SwitchboardError('invalid_message', `Topic name "${String(topic as unknown).slice(0, 64)}" is not allowed: use 1–128 letters, digits, "_" and "-".`);
  }
}

export interface TopicFrontendClientOptions extends FrontendClientOptions {
  /** The topic namespace this session lives in (seed 004); the hub's `default` when absent. */
  namespace?: string;
}

/** A front-end session that speaks topics: `client.topics.publish(…)`, `client.topics.subscribe(…)`. */
export class TopicFrontendClient extends FrontendClient implements TopicTransport {
  readonly topics: TopicClient;
  private readonly namespace: string | undefined;

  constructor(opts: TopicFrontendClientOptions) {
    super(opts);
    this.namespace = opts.namespace;
    this.topics = new TopicClient(this);
  }

  override async close(reason?: string): Promise<void> {
    this.topics.close();
    await super.close(reason);
  }

  protected override registrationFrame(): Envelope {
    const frame = super.registrationFrame();
    if (this.namespace) frame.namespace = this.namespace;
    return frame;
  }
}
