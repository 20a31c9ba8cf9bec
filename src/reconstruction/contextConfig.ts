// Settings of peer-context reconstruction and their defaults in one place, with the seed 002 environment variables
// PEER_CONTEXT_ENABLED, PEER_CONTEXT_TIMEOUT_SECONDS and KAFKA_CONSUMER_GROUP_PREFIX mapped onto them. Where requests
// and answers travel (topics, exchanges, queues, brokers) is the bus's configuration (bus/contextChannels.ts).

import { ENV_VARS, readEnv } from '../protocol/envOptions';

export interface ContextSettings {
  /** PEER_CONTEXT_ENABLED: when false the reconstructor asks no peers and merges the hub's log only. */
  peerContextEnabled: boolean;
  /** PEER_CONTEXT_TIMEOUT_SECONDS × 1000: how long answers are collected at most. */
  timeoutMs: number;
  /** Window of history asked for when the caller names none (seconds). */
  windowSeconds: number;
  /** One answer larger than this (bytes of JSON) is rejected. */
  maxAnswerBytes: number;
  /** Answers kept per request. */
  maxAnswers: number;
  /** Timeline entries kept (newest). */
  maxTimelineEntries: number;
  /** Hub event-log entries read per reconstruction. */
  maxLogEntries: number;
  /** KAFKA_CONSUMER_GROUP_PREFIX: a peer serves requests in the group `<prefix>-<peer id>`, so each sees every one. */
  peerGroupPrefix: string;
}

export const DEFAULT_CONTEXT_SETTINGS: Readonly<ContextSettings> = Object.freeze({
  peerContextEnabled: true,
  timeoutMs: 5000,
  windowSeconds: 3600,
  maxAnswerBytes: 512 * 1024,
  maxAnswers: 1000,
  maxTimelineEntries: 5000,
  maxLogEntries: 10_000,
  peerGroupPrefix: ENV_VARS.kafkaConsumerGroupPrefix.default,
});

/**
 * PEER_CONTEXT_TIMEOUT_SECONDS, or undefined when unset or not a positive number: a bad value keeps the default
 * rather than stopping reconstruction (the behaviour this setting has always had here).
 */
function lenientTimeoutSeconds(env: NodeJS.ProcessEnv): number | undefined {
  try {
    return readEnv(env, ['peerContextTimeoutSeconds']).peerContextTimeoutSeconds;
  } catch {
    return undefined;
  }
}

/** Defaults ← environment ← explicit overrides (an undefined override keeps what is below it). */
export function resolveContextSettings(overrides: Partial<ContextSettings> = {}, env: NodeJS.ProcessEnv = process.env): ContextSettings {
  const d = DEFAULT_CONTEXT_SETTINGS;
  // the seed 002 variables, parsed (and a bad value named) by the one options module
  const v = readEnv(env, ['peerContextEnabled', 'kafkaConsumerGroupPrefix']);
  const timeoutSeconds = lenientTimeoutSeconds(env);
  const base: ContextSettings = {
    ...d,
    peerContextEnabled: v.peerContextEnabled ?? d.peerContextEnabled,
    timeoutMs: timeoutSeconds !== undefined ? Math.round(timeoutSeconds * 1000) : d.timeoutMs,
    peerGroupPrefix: v.kafkaConsumerGroupPrefix?.trim() || d.peerGroupPrefix,
  };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (base as unknown as Record<string, unknown>)[k] = v;
  return base;
}
