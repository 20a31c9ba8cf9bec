// The Kafka bus's link to the cluster: the kafkajs client and its admin clients, the first connect, the probe that
// notices an outage (and its end) while nothing else talks to the broker, and the up/down transitions every other
// part reports into. kafkajs's own log lines come through here too.
//
// Two retry layers, on purpose: kafkajs's retrier (bounded, `retry` below) rides out a blip inside one request, the
// bus's loops (publisher, consumer start) with the shared backoff ride out an outage. kafkajs's cannot be the only one:
// a send it retries reconnects the cluster from inside the retrier (producer/sendMessages.js) even after disconnect(),
// so an unbounded kafkajs retry would outlive close(); the bus's loops end when the bus closes.

import { Kafka, logLevel as KafkaLogLevel, type Admin, type LogEntry } from 'kafkajs';
import { withTimeout } from '../busSupport';
import type { BrokerLink } from '../brokerBusBase';
import { errorText, safeJson } from './kafkaErrors';

/** kafkajs's retrier settings for every client of one bus. */
export interface KafkaRetry {
  initialRetryTime: number;
  maxRetryTime: number;
  retries: number;
}

export interface KafkaConnectionOptions {
  brokers: string[];
  clientId: string;
  retry: KafkaRetry;
  probeIntervalMs: number;
  /** Messages waiting to be sent, for the log line when the broker goes away. */
  held: () => number;
  /** Called each time the cluster is seen up again. */
  onUp: () => void;
}

export class KafkaConnection {
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** Checks reachability without kafkajs's retries, so an outage is noticed in one attempt. */
  private readonly probeAdmin: Admin;
  private probeTimer: NodeJS.Timeout | undefined;
  /** The first connect (settles either way); publishing and consuming start after it. */
  started: Promise<void> = Promise.resolve();

  constructor(
    private readonly link: BrokerLink,
    private readonly opts: KafkaConnectionOptions,
  ) {
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      retry: opts.retry,
      logLevel: KafkaLogLevel.INFO,
      logCreator: () => (entry) => this.onKafkaLog(entry),
    });
    this.admin = this.kafka.admin();
    this.probeAdmin = this.kafka.admin({ retry: { retries: 0 } });
  }

  /** Connects the admin clients and whatever `connectOthers` connects (the producer); then probes until closed. */
  start(connectOthers: () => Promise<void>): Promise<void> {
    this.started = this.connectFirst(connectOthers);
    return this.started;
  }

  private async connectFirst(connectOthers: () => Promise<void>): Promise<void> {
    try {
      await this.admin.connect();
      await connectOthers();
      await this.probeAdmin.connect();
      this.markUp();
    } catch (err) {
      this.markDown(err, `cannot reach ${this.opts.brokers.join(',')}`);
    }
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.link.closed) return;
    const delay = this.link.state === 'up' ? this.opts.probeIntervalMs : this.link.backoff(this.link.attempt);
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe().finally(() => this.scheduleProbe());
    }, delay);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    try {
      await withTimeout(this.probeAdmin.describeCluster(), 5_000);
      this.markUp();
    } catch (err) {
      if (this.link.closed) return;
      this.link.attempt++;
      this.markDown(err, 'broker check failed', true);
    }
  }

  markUp(): void {
    const was = this.link.markUp();
    if (was === undefined) return;
    if (was > 0) this.link.log.info(`Kafka at ${this.opts.brokers.join(',')} is back after ${was} check(s)`);
    this.opts.onUp();
  }

  /** `always`: the attempt count changed, so the listeners hear it even when the bus was down already. */
  markDown(err: unknown, what: string, always = false): void {
    this.link.noteError(err);
    if (this.link.closed) return;
    if (this.link.state !== 'down') {
      this.link.log.warn(`${what}: ${errorText(err)}; retrying (${this.opts.held()} message(s) held)`);
      this.link.setState('down');
      // Check again soon rather than at the idle interval: 'up' comes back as soon as the broker does.
      if (this.probeTimer && !always) {
        clearTimeout(this.probeTimer);
        this.probeTimer = undefined;
        this.scheduleProbe();
      }
    } else if (always) {
      this.link.setState('down', true);
    }
  }

  /** kafkajs's own log lines, into ours: chatter at debug; errors once per outage as warnings, then at debug. */
  private onKafkaLog({ namespace, level, log }: LogEntry): void {
    const { message, timestamp: _t, logger: _l, stack: _s, ...extra } = log;
    const line = `${namespace}: ${message}${Object.keys(extra).length ? ' ' + safeJson(extra) : ''}`;
    if (level <= KafkaLogLevel.WARN && this.link.state === 'up' && !this.link.closed && !message.startsWith('Limiting retries')) {
      this.link.log.warn(line);
    } else {
      this.link.log.debug(line);
    }
  }

  stopProbing(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  async disconnect(): Promise<void> {
    for (const client of [this.admin, this.probeAdmin]) await withTimeout(client.disconnect(), 5_000).catch(() => undefined);
  }
}
