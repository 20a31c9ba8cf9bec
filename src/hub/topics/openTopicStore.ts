// Chooses the topic store from the hub's options: `memory` (the default) or a redis:// / rediss:// URL.

import { SwitchboardError } from '../../protocol/errors';
import type { HubOptions } from '../options';
import type { TopicsOptions } from './topicsFamily';
import type { TopicStore } from './topicStore';
import { MemoryTopicStore } from './memoryTopicStore';
import { RedisTopicStore } from './redisTopicStore';

/** True for a value --topic-store accepts. */
export function isTopicStoreSpec(spec: string): boolean {
  return spec === 'memory' || /^rediss?:\/\/./.test(spec);
}

export function openTopicStore(spec: string, keyPrefix: string): TopicStore {
  if (spec === '' || spec === 'memory') return new MemoryTopicStore();
  if (/^rediss?:\/\/./.test(spec)) return new RedisTopicStore(spec, keyPrefix ? { keyPrefix } : {});
  throw new SwitchboardError('invalid_config', `Unknown topic store "${spec}": use memory or redis://host:port.`);
}

/** A machine id from the hub id when none is configured (FNV-1a to 8 bits): configure one for hubs sharing a bus. */
export function machineIdFor(hubId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < hubId.length; i++) h = Math.imul(h ^ hubId.charCodeAt(i), 0x01000193) >>> 0;
  return h & 0xff;
}

export function topicsOptions(opts: HubOptions, hubId: string): TopicsOptions {
  if (!isTopicStoreSpec(opts.topicStore || 'memory')) {
    throw new SwitchboardError('invalid_config', `Unknown topic store "${opts.topicStore}": use memory or redis://host:port.`);
  }
  return {
    openStore: () => openTopicStore(opts.topicStore, opts.topicKeyPrefix),
    machineId: opts.topicMachineId >= 0 ? opts.topicMachineId : machineIdFor(hubId),
    machineIdConfigured: opts.topicMachineId >= 0,
    channelPrefix: opts.busPrefix,
  };
}
