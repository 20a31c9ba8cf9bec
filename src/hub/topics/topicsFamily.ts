// Seed 004 topic messaging as a hub family: SUBSCRIBE / UNSUBSCRIBE / PUBLISH / HISTORY / GET_MESSAGES from clients,
// TOPIC_MESSAGE to subscribers, a store behind one interface (memory or Redis), and traffic between hubs on one bus
// channel per namespace, subscribed while this hub has a local subscriber in it (reference counted). Namespaces come
// from registration (the connection), never from a frame; topic names are restricted so none can reach into another
// namespace. Sender, id, priority and timestamp are the hub's. It attaches through the HubPort alone.

import type { Envelope } from '../../protocol/schemas';
import type { Logger } from '../../protocol/logger';
import type { Unsubscribe } from '../../bus/bus';
import type { ClientContext, HubPort, PortBus } from '../port';
import { extendPresence } from '../presenceExtensions';
import { BufferPool } from '../bufferPool';
import { decodeFrame } from '../../protocol/codec';
import { errorMessage, type ErrorCode } from '../../protocol/errors';
import { TopicIdGenerator, compareTopicIds, decodeTopicId, isTopicId, isoNow, TOPIC_PRIORITY_DEFAULT } from '../../protocol/ids';
import {
  DEFAULT_TOPIC_NAMESPACE,
  TOPIC_HISTORY_DEFAULT,
  TOPIC_HISTORY_MAX,
  TOPIC_MAX_PAYLOAD_BYTES,
  TopicMessageType as T,
  isTopicName,
  type PublishMsg,
  type StoredTopicMessageT,
  type TopicSummaryT,
} from '../../protocol/topics';
import { idOfJson, isExpired, topicKey, withTopic, type HistoryBodies, type HistoryQuery, type TopicCount, type TopicStore } from './topicStore';

export interface TopicsOptions {
  /** Opens the store when the hub starts (closed when it stops). */
  openStore: () => TopicStore;
  /** 0–255, unique among hubs sharing a bus or a store. */
  machineId: number;
  /** True when the machine id was configured (--topic-machine-id); a derived one gives way on a collision. */
  machineIdConfigured?: boolean;
  /** Prefix of the bus channels (the hub's busPrefix). */
  channelPrefix?: string;
}

/** A topic as a client names it, resolved into its namespace. */
interface Resolved {
  namespace: string;
  topic: string;
  key: string;
}

class TopicInputError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What the Topics view shows for one topic. */
export interface TopicStats extends TopicCount {
  subscribers: number;
  /** Messages published here (on this hub) in the last minute. */
  perMinute: number;
}

/** Everything the in-process API may publish with (the sender is named by the caller: the hub's own user, a test). */
export interface PublishInput extends Omit<PublishMsg, 'message_type' | 'topics'> {
  topics: string | string[];
}

/** The part of the hub's bus (or of a store's notifier) that topic traffic between hubs needs. */
type TopicLink = Pick<PortBus, 'publish' | 'reject'> & { subscribe(channel: string, handler: (m: Envelope) => void): Promise<Unsubscribe> };

interface NamespaceLink {
  refs: number;
  unsub: Unsubscribe | undefined;
  /** Subscribe/unsubscribe calls run one after another, each reconciling with the current count. */
  chain: Promise<void>;
}

const RATE_WINDOW_MS = 60_000;
/** Publish times remembered per topic for the rate (a bound, not a sample: beyond it the rate reads as at least this). */
const RATE_MAX_SAMPLES = 10_000;

export class TopicsFamily {
  private store: TopicStore | undefined;
  private readonly ids: TopicIdGenerator;
  private readonly logger: Logger;
  /** key → ids of local clients subscribed. */
  private readonly subs = new Map<string, Set<string>>();
  /** client id → keys it subscribes to. */
  private readonly byClient = new Map<string, Set<string>>();
  private readonly links = new Map<string, NamespaceLink>();
  private readonly publishTimes = new Map<string, number[]>();
  /** Hubs already reported for using this hub's machine id. */
  private readonly collisions = new Set<string>();
  /** The topic machine id each other hub on the bus announced in its presence. */
  private readonly hubMachineIds = new Map<string, number>();
  private readonly disposers: (() => void)[] = [];
  /** HISTORY_RESPONSE frames, lent for one write each (sendHistory). */
  private readonly frames = new BufferPool();

  constructor(
    private readonly port: HubPort,
    private readonly opts: TopicsOptions,
  ) {
    this.ids = new TopicIdGenerator(opts.machineId);
    this.logger = port.logger.child('topics');
    this.own(
      extendPresence(port, {
        fields: () => ({ topic_machine_id: this.ids.machineId, topic_machine_id_configured: opts.machineIdConfigured === true }),
        heard: (hubId, frame) => this.heardHub(hubId, frame),
      }),
    );
  }

  get machineId(): number {
    return this.ids.machineId;
  }

  /** The store while the hub runs. */
  get currentStore(): TopicStore | undefined {
    return this.store;
  }

  open(): void {
    this.store ??= this.opts.openStore();
  }

  async close(): Promise<void> {
    const store = this.store;
    this.store = undefined; // a restart right after opens a new one
    for (const id of [...this.byClient.keys()]) this.release(id);
    await this.settled();
    await store?.close();
  }

  dispose(): void {
    for (const d of this.disposers.splice(0)) d();
  }

  own(fn: () => void): void {
    this.disposers.push(fn);
  }

  /** Namespaces whose bus channel this hub subscribes to now. */
  busNamespaces(): string[] {
    return [...this.links].filter(([, l]) => l.unsub !== undefined).map(([ns]) => ns);
  }

  /** Resolves when every pending bus subscribe/unsubscribe has run. */
  async settled(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.chain));
  }

  channel(namespace: string): string {
    return `${this.opts.channelPrefix ?? ''}topics.${namespace}`;
  }

  // --- from clients ----------------------------------------------------------------------------------------------

  onSubscribe(m: Envelope, client: ClientContext): void {
    const r = this.resolve(client, m.topic);
    this.subscribeLocal(client.id, r);
  }

  onUnsubscribe(m: Envelope, client: ClientContext): void {
    const r = this.resolve(client, m.topic);
    this.unsubscribeLocal(client.id, r.key);
  }

  async onPublish(m: Envelope, client: ClientContext): Promise<void> {
    const msg = m as unknown as PublishMsg;
    const raw = Array.isArray(msg.topics) ? msg.topics : [msg.topics];
    const targets = raw.map((t) => this.resolve(client, t));
    const stored = await this.publish(targets, msg, { id: client.id, name: client.name });
    if (typeof m.request_id === 'string') {
      client.send(this.response({ messages: stored, request_id: m.request_id, receiver_id: client.id }));
    }
  }

  async onHistory(m: Envelope, client: ClientContext): Promise<void> {
    const store = this.requireStore();
    const limit = typeof m.limit === 'number' ? m.limit : TOPIC_HISTORY_DEFAULT;
    const sinceId = m.since_id === undefined ? undefined : this.idOf(m.since_id, 'since_id');
    const beforeId = m.before_id === undefined ? undefined : this.idOf(m.before_id, 'before_id');
    const request_id = typeof m.request_id === 'string' ? m.request_id : undefined;
    if (m.client === true) {
      const keys = [...(this.byClient.get(client.id) ?? [])];
      const lists = await Promise.all(keys.map((k) => this.historyOfKey(store, k, { sinceId, beforeId, limit })));
      const merged = lists.flat().sort((a, b) => compareTopicIds(a.id, b.id));
      const messages = sinceId === undefined ? merged.slice(Math.max(0, merged.length - limit)) : merged.slice(0, limit);
      client.send(this.response({ messages, request_id, receiver_id: client.id }));
      return;
    }
    if (m.topic === undefined) throw new TopicInputError('invalid_message', 'HISTORY needs "topic" (or "client": true for every topic you subscribe to).');
    const r = this.resolve(client, m.topic);
    const page = await store.historyJson(r.namespace, r.topic, { sinceId, beforeId, limit });
    try {
      this.sendHistory(client, m.topic as string, r.namespace, page, request_id);
    } finally {
      page.release(); // the frame holds a copy of the bodies
    }
  }

  async onGetMessages(m: Envelope, client: ClientContext): Promise<void> {
    const store = this.requireStore();
    const ids = (m.ids as unknown[]).map((v, i) => this.idOf(v, `ids[${i}]`));
    const messages = await store.byIds(this.namespaceOf(client), ids);
    client.send(this.response({ messages, request_id: typeof m.request_id === 'string' ? m.request_id : undefined, receiver_id: client.id }));
  }

  /** TOPICS: a monitor sees every namespace (or the one it names), anyone else its own namespace only. */
  async onTopics(m: Envelope, client: ClientContext): Promise<void> {
    requireRegistered(client);
    const asked = m.namespace as unknown;
    if (asked !== undefined && !isTopicName(asked)) throw new TopicInputError('invalid_message', `Namespace "${String(asked).slice(0, 64)}" is not a valid name (letters, digits, "_" and "-").`);
    let namespace = asked;
    if (client.role !== 'monitor') {
      const own = this.namespaceOf(client);
      if (namespace !== undefined && namespace !== own) throw new TopicInputError('forbidden', `You may list the topics of your own namespace "${own}" only.`);
      namespace = own;
    }
    const stats = await this.stats();
    const topics: TopicSummaryT[] = stats
      .filter((s) => namespace === undefined || s.namespace === namespace)
      .map((s) => ({ namespace: s.namespace, topic: s.topic, count: s.count, rate: s.perMinute, subscribers: s.subscribers }));
    const f: Envelope = { message_type: T.TOPICS_RESPONSE, sender_id: 'server', receiver_id: client.id, send_timestamp: isoNow(), topics };
    if (typeof m.request_id === 'string') f.request_id = m.request_id;
    client.send(f);
  }

  private async historyOfKey(store: TopicStore, key: string, q: HistoryQuery): Promise<StoredTopicMessageT[]> {
    const at = key.indexOf(':');
    return store.history(key.slice(0, at), key.slice(at + 1), q);
  }

  // --- in-process API (sees every namespace) --------------------------------------------------------------------

  /** Publish as `sender` into a namespace (the UI's "Publish to Topic", tests). Returns the stored message per topic. */
  publishAs(namespace: string, input: PublishInput, sender: { id: string; name: string }): Promise<StoredTopicMessageT[]> {
    const raw = Array.isArray(input.topics) ? input.topics : [input.topics];
    return this.publish(raw.map((t) => this.resolveIn(namespace, t)), input, sender);
  }

  history(namespace: string, topic: string, q: { sinceId?: string; beforeId?: string; limit?: number } = {}): Promise<StoredTopicMessageT[]> {
    const r = this.resolveIn(namespace, topic);
    return this.requireStore().history(r.namespace, r.topic, { sinceId: q.sinceId, beforeId: q.beforeId, limit: q.limit ?? TOPIC_HISTORY_DEFAULT });
  }

  /** Every stored topic with its subscribers on this hub and its publish rate here. */
  async stats(): Promise<TopicStats[]> {
    const counts = await this.requireStore().topics();
    const seen = new Set(counts.map((c) => topicKey(c.namespace, c.topic)));
    for (const key of this.subs.keys()) {
      if (seen.has(key)) continue;
      const at = key.indexOf(':');
      counts.push({ namespace: key.slice(0, at), topic: key.slice(at + 1), count: 0 });
    }
    const now = Date.now();
    return counts.map((c) => {
      const key = topicKey(c.namespace, c.topic);
      const times = this.publishTimes.get(key) ?? [];
      return { ...c, subscribers: this.subs.get(key)?.size ?? 0, perMinute: times.filter((t) => t > now - RATE_WINDOW_MS).length };
    });
  }

  /** A client left (or the hub stops): its subscriptions go, and with the last of a namespace its bus channel. */
  release(clientId: string): void {
    const keys = this.byClient.get(clientId);
    if (!keys) return;
    for (const key of [...keys]) this.unsubscribeLocal(clientId, key);
  }

  // --- the work --------------------------------------------------------------------------------------------------

  private async publish(targets: Resolved[], msg: Omit<PublishInput, 'topics'> & { topics: string | string[] }, sender: { id: string; name: string }): Promise<StoredTopicMessageT[]> {
    const store = this.requireStore();
    const bytes = Buffer.byteLength(JSON.stringify(msg.payload));
    if (bytes > TOPIC_MAX_PAYLOAD_BYTES) {
      throw new TopicInputError('frame_too_large', `The payload is ${bytes} bytes; a topic message's payload may be at most ${TOPIC_MAX_PAYLOAD_BYTES} bytes.`);
    }
    const thread = msg.thread?.map((v, i) => this.idOf(v, `thread[${i}]`));
    const inResponseTo = msg.in_response_to == null ? msg.in_response_to : this.idOf(msg.in_response_to, 'in_response_to');
    const conversationId = msg.conversation_id == null ? msg.conversation_id : this.idOf(msg.conversation_id, 'conversation_id');
    const priority = msg.priority ?? TOPIC_PRIORITY_DEFAULT;
    const id = this.ids.next(priority);
    const { timestamp } = decodeTopicId(id);
    const base = { ...msg } as Record<string, unknown>;
    for (const k of ['message_type', 'message_id', 'sender_id', 'receiver_id', 'send_timestamp', 'text_payload', 'in_reply_to_message_id', 'request_id', 'id', 'namespace', 'topic_published_to']) delete base[k];
    // one message per namespace named (a monitor may name several), stored once and listed under each of its topics
    const byNamespace = new Map<string, string[]>();
    for (const t of targets) {
      const topics = byNamespace.get(t.namespace);
      if (!topics) byNamespace.set(t.namespace, [t.topic]);
      else if (!topics.includes(t.topic)) topics.push(t.topic);
    }
    const out: { s: StoredTopicMessageT; json: string }[] = [];
    const writes: Promise<void>[] = [];
    for (const [namespace, topics] of byNamespace) {
      // id, namespace and topic_published_to first (storedHead in topicStore.ts): a store can re-topic the JSON unparsed
      const stored = {
        id,
        namespace,
        topic_published_to: topics[0]!,
        ...base,
        sender: { id: sender.id, name: sender.name },
        topics: msg.topics,
        payload: msg.payload,
        format: msg.format ?? 'generic_json',
        priority,
        timestamp: timestamp / 1000,
        thread: thread && thread.length > 0 ? thread : [id],
      } as StoredTopicMessageT;
      if (inResponseTo !== undefined) stored.in_response_to = inResponseTo;
      if (conversationId !== undefined) stored.conversation_id = conversationId;
      // serialised once: these bytes are stored, sent to every subscriber and to other hubs
      const json = JSON.stringify(stored);
      writes.push(store.put(stored, json, topics));
      topics.forEach((topic, i) => out.push(i === 0 ? { s: stored, json } : { s: { ...stored, topic_published_to: topic }, json: withTopic(json, topic) }));
    }
    // delivered once written (one pipeline per turn on Redis): a subscriber never sees a message history lacks
    await Promise.all(writes);
    for (const { s, json } of out) {
      this.countPublish(topicKey(s.namespace, s.topic_published_to));
      const data = await this.deliver(s, json);
      this.toBus(s, json, data);
    }
    return out.map((o) => o.s);
  }

  /**
   * To every local subscriber of the message's topic, with the thread's history when asked for. `json` is the stored
   * message's JSON; the frame is built around it. Returns the frame's JSON when it was made (toBus reuses it).
   */
  private async deliver(s: StoredTopicMessageT, json: string): Promise<string | undefined> {
    const subscribers = this.subs.get(topicKey(s.namespace, s.topic_published_to));
    if (!subscribers || subscribers.size === 0 || isExpired(s)) return undefined;
    const n = s.enrich_with_history ?? 0;
    if (n > 0 && this.store) {
      const earlier = s.thread.filter((x) => x !== s.id).slice(-n);
      const history = earlier.length ? await this.store.byIds(s.namespace, earlier) : [];
      const message = { ...s, session_state: { ...(s.session_state ?? {}), enriched_history: history } };
      // one frame for every subscriber: serialised once, logged once with the number of recipients
      this.port.sendToClients(subscribers, this.frame(message, undefined));
      return undefined;
    }
    const frame = this.frame(s, undefined);
    const data = topicFrameJson(frame, json);
    this.port.sendPrebuilt(subscribers, data, frame, data);
    return data;
  }

  private frame(s: StoredTopicMessageT, receiver: string | undefined): Envelope {
    const f: Envelope = {
      message_type: T.TOPIC_MESSAGE,
      message_id: s.id,
      sender_id: s.sender.id ?? null,
      send_timestamp: isoNow(),
      thread: s.thread,
      message: s,
    };
    if (receiver !== undefined) f.receiver_id = receiver;
    if (s.in_response_to != null) f.in_reply_to_message_id = String(s.in_response_to);
    return f;
  }

  /**
   * A HISTORY_RESPONSE built around the stored bodies as the store returned them (nothing parsed or serialised again),
   * logged as a summary — how many messages, the first and last id — not as a copy of every body.
   */
  private sendHistory(client: ClientContext, topic: string, namespace: string, bodies: HistoryBodies, request_id: string | undefined): void {
    const summary = this.response({ topic, messages: [], request_id, receiver_id: client.id });
    let head = '{"message_type":"HISTORY_RESPONSE","sender_id":"server","receiver_id":' + JSON.stringify(client.id) + ',"send_timestamp":' + JSON.stringify(summary.send_timestamp);
    head += ',"topic":' + JSON.stringify(topic);
    if (request_id !== undefined) head += ',"request_id":' + JSON.stringify(request_id);
    // bytes end to end: Redis's replies are copied once into the frame, never decoded to strings and encoded again;
    // one buffer of the frame's size, the commas written in place (a Buffer.concat of 2,000 parts took 2-3× as long)
    head += ',"messages":[';
    const headBytes = Buffer.byteLength(head);
    const size = headBytes + bodies.joinedBytes + 2;
    // a buffer from the pool, back once the socket has the bytes: a query allocates no ~350 KB buffer of its own, so
    // these do not pile up outside the heap and set off garbage collections (the tail of a query's latency)
    const lent = this.frames.take(size);
    const data = lent.subarray(0, size);
    let at = data.write(head, 0);
    at = bodies.writeJoined(data, at);
    data[at++] = 0x5d; // ]
    data[at] = 0x7d; // }
    delete summary.messages;
    summary.namespace = namespace; // with topic: the monitor's topic filter places the row
    summary.message_count = bodies.count;
    if (bodies.count > 0) {
      summary.first_id = idOfJson(bodies.body(0));
      summary.last_id = idOfJson(bodies.body(bodies.count - 1));
    }
    if (this.port.sendPrebuilt([client.id], data, summary, undefined, () => this.frames.give(lent)) === 0) this.frames.give(lent);
  }

  private response(r: { topic?: string; messages: StoredTopicMessageT[]; request_id?: string; receiver_id: string }): Envelope {
    const f: Envelope = { message_type: T.HISTORY_RESPONSE, sender_id: 'server', receiver_id: r.receiver_id, send_timestamp: isoNow(), messages: r.messages };
    if (r.topic !== undefined) f.topic = r.topic;
    if (r.request_id !== undefined) f.request_id = r.request_id;
    return f;
  }

  // --- between hubs ----------------------------------------------------------------------------------------------

  /**
   * What carries topic messages to other hubs: the shared bus when the hub has one; else the store's own notifier
   * (Redis pub/sub), whose frames are put through the codec here as the bus's are in busIntake.
   */
  private link(): TopicLink | undefined {
    const bus = this.port.bus;
    if (bus) return bus;
    const notifier = this.store?.notifier;
    if (!notifier) return undefined;
    return {
      publish: (channel, frame) => notifier.publish(channel, JSON.stringify(frame)),
      subscribe: (channel, handler) =>
        notifier.subscribe(channel, (json) => {
          const r = decodeFrame(json);
          if (r.ok && r.message.message_type === T.TOPIC_MESSAGE) handler(r.message);
          else this.logger.warn(`a frame on ${channel} was refused: ${r.ok ? `unexpected ${r.message.message_type}` : r.error.message}`);
        }),
      reject: (channel, type, _code, detail) => this.logger.warn(`${type ?? 'a frame'} on ${channel} refused: ${detail}`),
    };
  }

  /**
   * `json`: the stored message's JSON; `data`: the TOPIC_MESSAGE's when deliver made it. Redis pub/sub carries that
   * text as it is; a bus takes the frame and serialises it itself (the bus's publish takes an object).
   */
  private toBus(s: StoredTopicMessageT, json: string, data: string | undefined): void {
    const link = this.link();
    if (!link) return;
    const channel = this.channel(s.namespace);
    const notifier = this.port.bus ? undefined : this.store?.notifier;
    const sent =
      notifier
        ? notifier.publish(channel, (data ?? topicFrameJson(this.frame(s, undefined), json)).slice(0, -1) + ',"origin_hub":' + JSON.stringify(this.port.id) + '}')
        : // the bus drops a message_id it has seen (its de-duplication of redeliveries): each topic's copy of a message
          // published to several needs its own there; the receiving hub delivers s.id as the message_id again
          link.publish(channel, { ...this.frame(s, undefined), message_id: `${s.id}:${s.topic_published_to}`, origin_hub: this.port.id });
    sent.catch((err: unknown) => {
      this.logger.warn(`topic message ${s.id} not sent to other hubs: ${errorMessage(err)}`);
    });
  }

  /** A TOPIC_MESSAGE from another hub (the codec has checked it): stored here too (idempotent per id) and delivered. */
  private async fromBus(namespace: string, m: Envelope): Promise<void> {
    if (m.origin_hub === this.port.id) return; // ours: delivered locally already
    const s = m.message as StoredTopicMessageT;
    const channel = this.channel(namespace);
    if (s.namespace !== namespace || !isTopicName(s.topic_published_to)) {
      this.link()?.reject(channel, m.message_type, 'forbidden', `a topic message of namespace "${s.namespace}" on the channel of "${namespace}"`);
      return;
    }
    this.checkMachineId(s, m.origin_hub);
    if (isExpired(s)) return;
    const json = JSON.stringify(s);
    try {
      await this.store?.adopt(s, json, [s.topic_published_to]);
    } catch (err) {
      this.logger.warn(`topic message ${s.id} from hub ${String(m.origin_hub)} not stored: ${errorMessage(err)}`);
    }
    await this.deliver(s, json);
  }

  /** Machine ids other hubs on the bus announced (hub id → machine id). */
  announcedMachineIds(): ReadonlyMap<string, number> {
    return this.hubMachineIds;
  }

  /**
   * Another hub's presence: a machine id equal to this hub's is a collision, found at start (presence is announced
   * then). A derived id gives way to a configured one, and between two derived ids the hub with the greater hub id
   * moves, to a machine id no hub announced; two configured ids can only be reported.
   */
  private heardHub(hubId: string, frame: Envelope): void {
    if (frame.leaving === true) {
      this.hubMachineIds.delete(hubId);
      return;
    }
    const theirs = frame.topic_machine_id;
    if (typeof theirs !== 'number' || !Number.isInteger(theirs) || theirs < 0 || theirs > 255) return;
    this.hubMachineIds.set(hubId, theirs);
    const mine = this.ids.machineId;
    if (theirs !== mine) return;
    const theirsConfigured = frame.topic_machine_id_configured === true;
    const mineConfigured = this.opts.machineIdConfigured === true;
    if (!mineConfigured && (theirsConfigured || this.port.id > hubId)) {
      const free = this.freeMachineId();
      if (free === undefined) {
        this.reportCollision(hubId, `Hub ${hubId} announces topic machine id ${mine}, as this hub ${this.port.id} uses, and every other machine id is taken: their topic message ids can collide. Give each hub its own --topic-machine-id (0–255).`);
        return;
      }
      this.ids.setMachineId(free);
      this.reportCollision(hubId, `Hub ${hubId} announces topic machine id ${mine}, which this hub ${this.port.id} had derived from its hub id: this hub now uses machine id ${free}. Give each hub sharing a bus its own --topic-machine-id (0–255) to choose.`);
      return;
    }
    if (mineConfigured && theirsConfigured) {
      this.reportCollision(hubId, `Hub ${hubId} and this hub ${this.port.id} are both configured with topic machine id ${mine}: their topic message ids can collide. Give each hub its own --topic-machine-id (0–255).`);
    }
    // else the other hub's derived id gives way (it hears this hub's presence)
  }

  /** The first machine id after this hub's that no hub announced. */
  private freeMachineId(): number | undefined {
    const taken = new Set(this.hubMachineIds.values());
    for (let i = 1; i < 256; i++) {
      const candidate = (this.ids.machineId + i) % 256;
      if (!taken.has(candidate)) return candidate;
    }
    return undefined;
  }

  private reportCollision(hubId: string, text: string): void {
    if (this.collisions.has(hubId)) return;
    this.collisions.add(hubId);
    this.logger.warn(text);
    this.port.events.emit('warning', text);
  }

  /** Another hub minting ids with this hub's machine id could mint this hub's ids: said once per hub, as a warning. */
  private checkMachineId(s: StoredTopicMessageT, origin: unknown): void {
    const hubId = typeof origin === 'string' ? origin : '?';
    if (decodeTopicId(s.id).machineId !== this.ids.machineId) return;
    this.reportCollision(hubId, `Hub ${hubId} makes topic message ids with machine id ${this.ids.machineId}, as this hub ${this.port.id} does: their ids can collide. Give each hub its own --topic-machine-id (0–255).`);
  }

  private subscribeLocal(clientId: string, r: Resolved): void {
    let set = this.subs.get(r.key);
    if (!set) this.subs.set(r.key, (set = new Set()));
    if (set.has(clientId)) return;
    set.add(clientId);
    let mine = this.byClient.get(clientId);
    if (!mine) this.byClient.set(clientId, (mine = new Set()));
    mine.add(r.key);
    this.adjustLink(r.namespace, +1);
  }

  private unsubscribeLocal(clientId: string, key: string): void {
    const set = this.subs.get(key);
    if (!set?.delete(clientId)) return;
    if (set.size === 0) this.subs.delete(key);
    const mine = this.byClient.get(clientId);
    mine?.delete(key);
    if (mine?.size === 0) this.byClient.delete(clientId);
    this.adjustLink(key.slice(0, key.indexOf(':')), -1);
  }

  /** The bus channel of a namespace is subscribed while it has local subscriptions (first in subscribes, last out drops). */
  private adjustLink(namespace: string, delta: number): void {
    let link = this.links.get(namespace);
    if (!link) this.links.set(namespace, (link = { refs: 0, unsub: undefined, chain: Promise.resolve() }));
    link.refs += delta;
    const l = link;
    l.chain = l.chain.then(async () => {
      const link = this.link();
      try {
        if (l.refs > 0 && !l.unsub && link) {
          l.unsub = await link.subscribe(this.channel(namespace), (m) => void this.fromBus(namespace, m).catch((err: unknown) => this.logger.warn(errorMessage(err))));
        } else if (l.refs <= 0 && l.unsub) {
          const u = l.unsub;
          l.unsub = undefined;
          await u();
        }
      } catch (err) {
        this.logger.warn(`bus channel of topic namespace ${namespace}: ${errorMessage(err)}`);
      }
      if (l.refs <= 0 && !l.unsub && this.links.get(namespace) === l) this.links.delete(namespace);
    });
  }

  // --- input checks ----------------------------------------------------------------------------------------------

  private namespaceOf(client: ClientContext): string {
    const ns = client.namespace || DEFAULT_TOPIC_NAMESPACE;
    if (!isTopicName(ns)) {
      throw new TopicInputError('invalid_message', `Your namespace "${String(ns as unknown).slice(0, 64)}" is not usable for topics: register with a namespace of letters, digits, "_" and "-".`);
    }
    return ns;
  }

  /** A client's topic in its own namespace; a monitor may name `namespace:topic` (monitors see every namespace). */
  private resolve(client: ClientContext, raw: unknown): Resolved {
    requireRegistered(client);
    if (client.role === 'monitor' && typeof raw === 'string' && raw.includes(':')) {
      const at = raw.indexOf(':');
      return this.resolveIn(raw.slice(0, at), raw.slice(at + 1));
    }
    return this.resolveIn(this.namespaceOf(client), raw);
  }

  private resolveIn(namespace: string, topic: unknown): Resolved {
    if (!isTopicName(namespace)) throw new TopicInputError('invalid_message', `Namespace "${String(namespace as unknown).slice(0, 64)}" is not a valid name (letters, digits, "_" and "-").`);
    if (!isTopicName(topic)) {
      throw new TopicInputError(
        'invalid_message',
        `Topic name "${String(topic).slice(0, 64)}" is not allowed: use 1–128 letters, digits, "_" and "-" (no ":", ".", "#", "*" or spaces).`,
      );
    }
    return { namespace, topic, key: topicKey(namespace, topic) };
  }

  /** A topic id from the wire: a decimal string; a number is refused when JSON could not carry it exactly. */
  private idOf(v: unknown, field: string): string {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v) && v >= 0) return String(v);
      throw new TopicInputError('invalid_message', `"${field}" is a JSON number above 2^53, which has lost digits on the way: send topic message ids as decimal strings.`);
    }
    if (!isTopicId(v)) throw new TopicInputError('invalid_message', `"${field}" is not a topic message id (a decimal string of at most 20 digits).`);
    return v;
  }

  private requireStore(): TopicStore {
    if (!this.store) throw new TopicInputError('shutdown', 'The hub is not running: topics are unavailable.');
    return this.store;
  }

  private countPublish(key: string): void {
    let times = this.publishTimes.get(key);
    if (!times) this.publishTimes.set(key, (times = []));
    times.push(Date.now());
    const cut = Date.now() - RATE_WINDOW_MS;
    if (times.length > RATE_MAX_SAMPLES || (times[0] ?? cut) < cut) {
      const keep = times.filter((t) => t >= cut).slice(-RATE_MAX_SAMPLES);
      this.publishTimes.set(key, keep);
    }
  }
}


/** The TOPIC_MESSAGE `frame` as JSON, around the stored message's JSON (`frame.message` is that message). */
function topicFrameJson(frame: Envelope, json: string): string {
  let out = '{"message_type":"TOPIC_MESSAGE","message_id":' + JSON.stringify(frame.message_id) + ',"sender_id":' + JSON.stringify(frame.sender_id);
  out += ',"send_timestamp":' + JSON.stringify(frame.send_timestamp) + ',"thread":' + JSON.stringify(frame.thread);
  if (frame.in_reply_to_message_id !== undefined) out += ',"in_reply_to_message_id":' + JSON.stringify(frame.in_reply_to_message_id);
  return out + ',"message":' + json + '}';
}

function requireRegistered(client: ClientContext): void {
  if (client.role === undefined) throw new TopicInputError('not_registered', 'Register first (REGISTER_AGENT, REGISTER_FRONTEND or REGISTER_MONITOR) before using topics.');
}

/** Runs a handler; a bad input becomes an ERROR to its sender and the connection carries on. */
function guarded(family: TopicsFamily, logger: Logger, fn: (m: Envelope, c: ClientContext) => void | Promise<void>) {
  return (m: Envelope, c: ClientContext): void => {
    const fail = (err: unknown): void => {
      const known = err instanceof TopicInputError;
      if (!known) logger.warn(`${m.message_type} from ${c.id}: ${errorMessage(err)}`);
      const code: ErrorCode = known ? err.code : 'internal';
      const text = known ? `${m.message_type}: ${err.message}` : `${m.message_type} failed: ${errorMessage(err)}`;
      // with a request_id the ERROR carries it, so a client with several requests in flight knows which one failed
      if (typeof m.request_id === 'string') {
        c.send({ message_type: 'ERROR', sender_id: 'server', receiver_id: c.id, send_timestamp: isoNow(), code, text_payload: text, request_id: m.request_id });
      } else c.error(code, text);
    };
    try {
      const p = fn.call(family, m, c);
      if (p) p.catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}

/** Creates the family and plugs it into the hub: its message types, departures, and the hub's start and stop. */
export function attachTopics(port: HubPort, opts: TopicsOptions): TopicsFamily {
  const family = new TopicsFamily(port, opts);
  const logger = port.logger.child('topics');
  const handlers: [string, (m: Envelope, c: ClientContext) => void | Promise<void>][] = [
    [T.SUBSCRIBE, family.onSubscribe],
    [T.UNSUBSCRIBE, family.onUnsubscribe],
    [T.PUBLISH, family.onPublish],
    [T.HISTORY, family.onHistory],
    [T.GET_MESSAGES, family.onGetMessages],
    [T.TOPICS, family.onTopics],
  ];
  for (const [type, fn] of handlers) family.own(port.handle(type, guarded(family, logger, fn)));
  family.own(port.onLifecycle({ released: (_role, id) => family.release(id) }));
  const onState = (state: string): void => {
    if (state === 'starting') family.open();
    if (state === 'stopped') void family.close().catch((err: unknown) => logger.warn(`topic store close: ${errorMessage(err)}`));
  };
  port.events.on('state', onState);
  family.own(() => port.events.off('state', onState));
  return family;
}
