// Id generation shared by hub, SDK and CLI: `<prefix><8 hex>` like the seed, from a CSPRNG that exists in Node and browsers.

// CSPRNG bytes are drawn 1 KiB at a time: one getRandomValues call (~29 µs under load, most of it the Web Crypto
// call's own overhead) per id was a tenth of a registration's CPU in the hub's registration-burst profile.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const pool = new Uint8Array(1024);
let poolAt = pool.length;

function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    globalThis.crypto.getRandomValues(pool);
    poolAt = 0;
  }
  let out = '';
  for (let i = 0; i < bytes; i++) out += HEX[pool[poolAt++]!]!;
  return out;
}

/** `agent_1a2b3c4d`, `web_…`, `broker_…`: 8 hex digits after the prefix, as seed 001 clients expect. */
export function newClientId(prefix: string): string {
  return prefix + randomHex(4);
}

// Message ids are a random per-process prefix and a counter: unique across processes and hubs in practice, and
// cheap — a CSPRNG call per message cost the hub ~11% of its CPU in the routed-throughput profile.
const MESSAGE_ID_PREFIX = 'msg_' + randomHex(6) + '_';
let messageCounter = 0;

/** `msg_<12 hex>_<counter>`: unique per hub process; the de-duplication window never sees a collision in practice. */
export function newMessageId(): string {
  messageCounter = (messageCounter + 1) % Number.MAX_SAFE_INTEGER;
  return MESSAGE_ID_PREFIX + messageCounter.toString(36);
}

/** A token for the hub: 32 hex digits (128 bits). */
export function newToken(): string {
  return randomHex(16);
}

export function isoNow(): string {
  return new Date().toISOString();
}

// --- seed 004 topic message ids (GemstoneID-like) ----------------------------------------------------------------
// 64 bits, high to low: priority (4 bits, 0–9), milliseconds since TOPIC_ID_EPOCH (41 bits, ~69 years), machine id
// (8 bits), sequence (11 bits, 2048 per ms per machine). Written as decimal strings on the wire: a JSON number above
// 2^53 loses digits. BigInt inside. Priority first, so ids sort by priority, then time, then machine, then sequence.

/** 2024-01-01T00:00:00Z: ids stay within 41 bits of milliseconds until 2093. */
export const TOPIC_ID_EPOCH = 1_704_067_200_000;
export const TOPIC_PRIORITY_DEFAULT = 4;
export const TOPIC_PRIORITY_MAX = 9;
const SEQ_BITS = 11n;
const MACHINE_BITS = 8n;
const TIME_BITS = 41n;
const SEQ_MAX = (1 << Number(SEQ_BITS)) - 1;
const TIME_SHIFT = SEQ_BITS + MACHINE_BITS;
const PRIORITY_SHIFT = TIME_SHIFT + TIME_BITS;
const TIME_MASK = (1n << TIME_BITS) - 1n;
/** Time and sequence without priority and machine: what "since id" compares. */
const MACHINE_MASK = (1n << MACHINE_BITS) - 1n;
const SEQ_MASK = (1n << SEQ_BITS) - 1n;
/** Decimal digits only, at most 20 (2^64 has 20 digits). */
const TOPIC_ID_PATTERN = /^[0-9]{1,20}$/;

export interface DecodedTopicId {
  priority: number;
  /** Epoch milliseconds. */
  timestamp: number;
  machineId: number;
  sequence: number;
}

/**
 * One generator per hub (its machine id from configuration). Ids increase in call order for one priority: the clock
 * is never allowed to go backwards (a clock step back reuses the last millisecond), and a full sequence moves on to
 * the next millisecond.
 */
export class TopicIdGenerator {
  private lastMs = -1;
  private seq = 0;
  private machine: number;

  constructor(
    machineId: number,
    private readonly now: () => number = Date.now,
  ) {
    this.machine = checkMachineId(machineId);
  }

  get machineId(): number {
    return this.machine;
  }

  /**
   * Mints with another machine id from now on (a hub whose derived id another hub announced). The next id moves on
   * to the next millisecond, so ids still increase across the change (the machine id sits above the sequence).
   */
  setMachineId(machineId: number): void {
    this.machine = checkMachineId(machineId);
    this.seq = SEQ_MAX;
  }

  next(priority: number = TOPIC_PRIORITY_DEFAULT): string {
    if (!Number.isInteger(priority) || priority < 0 || priority > TOPIC_PRIORITY_MAX) {
      throw new RangeError(`priority must be an integer 0–${TOPIC_PRIORITY_MAX}, got ${priority}`);
    }
    let ms = Math.max(this.now() - TOPIC_ID_EPOCH, 0);
    if (ms <= this.lastMs) {
      ms = this.lastMs;
      if (this.seq >= SEQ_MAX) {
        ms = this.lastMs + 1;
        this.seq = 0;
      } else this.seq++;
    } else this.seq = 0;
    this.lastMs = ms;
    const id =
      (BigInt(priority) << PRIORITY_SHIFT) |
      ((BigInt(ms) & TIME_MASK) << TIME_SHIFT) |
      (BigInt(this.machine) << SEQ_BITS) |
      BigInt(this.seq);
    return id.toString(10);
  }
}

function checkMachineId(machineId: number): number {
  if (!Number.isInteger(machineId) || machineId < 0 || machineId > Number(MACHINE_MASK)) {
    throw new RangeError(`machine id must be an integer 0–${MACHINE_MASK}, got ${machineId}`);
  }
  return machineId;
}

export function isTopicId(v: unknown): v is string {
  return typeof v === 'string' && TOPIC_ID_PATTERN.test(v) && BigInt(v) < 1n << 64n;
}

export function decodeTopicId(id: string): DecodedTopicId {
  const n = BigInt(id);
  return {
    priority: Number(n >> PRIORITY_SHIFT),
    timestamp: Number((n >> TIME_SHIFT) & TIME_MASK) + TOPIC_ID_EPOCH,
    machineId: Number((n >> SEQ_BITS) & MACHINE_MASK),
    sequence: Number(n & SEQ_MASK),
  };
}

/** Time then sequence then machine, priority left out: the order "since id" follows. */
export function topicIdTimeKey(id: string): bigint {
  const n = BigInt(id);
  const time = (n >> TIME_SHIFT) & TIME_MASK;
  return (time << (SEQ_BITS + MACHINE_BITS)) | ((n & SEQ_MASK) << MACHINE_BITS) | ((n >> SEQ_BITS) & MACHINE_MASK);
}

/** True when `id` came after `since` (exclusive), whatever either's priority. */
export function isAfterTopicId(id: string, since: string): boolean {
  return topicIdTimeKey(id) > topicIdTimeKey(since);
}

/** Sort comparator on the time key (oldest first). */
export function compareTopicIds(a: string, b: string): number {
  const ka = topicIdTimeKey(a);
  const kb = topicIdTimeKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
