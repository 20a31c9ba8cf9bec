// Chooses the bus from configuration (setting, CLI flag, environment): memory (default), rabbitmq, kafka. Above
// bus/, code receives a Bus and never learns which one is live.

import { readEnv } from '../protocol/envOptions';
import type { Bus, BusKind } from './bus';
import { MemoryBus } from './memoryBus';
import type { RabbitMqBus } from './rabbitmqBus';
import type { KafkaBus } from './kafkaBus';
import { SwitchboardError } from '../protocol/errors';
import type { Logger } from '../protocol/logger';

export interface BusConfig {
  kind: BusKind;
  /** RabbitMQ: amqp://user:pass@host:port/vhost. Default amqp://guest:guest@127.0.0.1:5672. */
  rabbitmqUrl?: string;
  /** Kafka: bootstrap brokers, host:port. Default from the environment (see kafkaConfig.ts). */
  kafkaBrokers?: string[];
  /** Prepended to exchange/topic names this bus makes (several systems or test runs on one broker). */
  prefix?: string;
  /** Shown by the broker for this connection. */
  clientName?: string;
}

export const DEFAULT_RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';
export const BUS_KINDS: readonly BusKind[] = ['memory', 'rabbitmq', 'kafka'];

export function isBusKind(v: unknown): v is BusKind {
  return typeof v === 'string' && (BUS_KINDS as readonly string[]).includes(v);
}

/**
 * The bus from SWITCHBOARD_BUS (memory|rabbitmq|kafka), SWITCHBOARD_RABBITMQ_URL, SWITCHBOARD_KAFKA_BROKERS
 * (comma-separated) and SWITCHBOARD_BUS_PREFIX. Throws a SwitchboardError naming the variable on a bad value.
 */
export function busConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BusConfig {
  const v = readEnv(env, ['bus', 'rabbitmqUrl', 'kafkaBrokers', 'busPrefix']);
  const config: BusConfig = { kind: v.bus ?? 'memory' };
  if (v.rabbitmqUrl) config.rabbitmqUrl = v.rabbitmqUrl;
  if (v.kafkaBrokers?.length) config.kafkaBrokers = v.kafkaBrokers;
  if (v.busPrefix) config.prefix = v.busPrefix;
  return config;
}

/**
 * A new bus of the configured kind. It starts connecting at once and never throws for an absent broker: its state
 * (connecting/up/down, last error, reconnect attempt) says what is going on, and publishes wait (bounded) meanwhile.
 */
export function createBus(config: BusConfig, logger?: Logger): Bus {
  switch (config.kind) {
    case 'memory':
      return new MemoryBus({ shared: false });
    case 'rabbitmq': {
      const url = config.rabbitmqUrl ?? DEFAULT_RABBITMQ_URL;
      if (!/^amqps?:\/\//.test(url)) {
        throw new SwitchboardError('invalid_message', `A RabbitMQ URL starts with amqp:// or amqps:// (got "${url.replace(/\/\/[^@]*@/, '//***@')}").`);
      }
      // required on demand (here and for Kafka): the broker clients are most of the bundle, and the default memory
      // bus needs neither, so VS Code activates the extension without evaluating them
      const { RabbitMqBus: Rabbit } = require('./rabbitmqBus') as { RabbitMqBus: typeof RabbitMqBus };
      return new Rabbit({ url, prefix: config.prefix, connectionName: config.clientName, logger });
    }
    case 'kafka': {
      const { KafkaBus: Kafka } = require('./kafkaBus') as { KafkaBus: typeof KafkaBus };
      return new Kafka({
        ...(config.kafkaBrokers ? { brokers: config.kafkaBrokers } : {}),
        ...(config.clientName ? { clientId: config.clientName } : {}),
        ...(config.prefix ? { topicPrefix: config.prefix } : {}),
        ...(logger ? { logger } : {}),
      });
    }
  }
}
