// Redis for the topic store's broker tests: present (or skipped loudly, or failed under SWITCHBOARD_REQUIRE_BROKERS=1)
// and a key prefix of the run's own, deleted afterwards.

import type { TestContext } from 'node:test';
import { brokersRequired, portAnswers, uniquePrefix } from './helpers';

export function redisUrl(): string {
  return process.env.SWITCHBOARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** The Redis URL when Redis answers; else skip loudly (or throw when brokers are required). */
export async function requireRedis(t: TestContext): Promise<string | undefined> {
  const url = redisUrl();
  const u = new URL(url);
  if (await portAnswers(u.hostname, Number(u.port || 6379))) return url;
  const reason = `Redis is not reachable at ${u.host}: start redis-server on 127.0.0.1:6379 or point SWITCHBOARD_TEST_REDIS_URL at one`;
  if (brokersRequired()) throw new Error(`SWITCHBOARD_REQUIRE_BROKERS=1 but ${reason}`);
  process.stderr.write(`\n*** SKIPPED (broker missing): ${reason}\n`);
  t.skip(reason);
  return undefined;
}

/** `sbt_<label>_<hex>_` as a Redis key prefix (a `:` at the end to read well in redis-cli). */
export function redisPrefix(label: string): string {
  return uniquePrefix(label) + ':';
}
