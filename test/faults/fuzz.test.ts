// Fuzz: ≥100,000 generated bad frames against a live hub. No crash, no unhandled rejection, every bad frame answered
// with an ERROR, and a well-behaved pair of clients on the same hub receives every one of its messages meanwhile.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Hub } from '../../src/hub/hub';
import { MESSAGE_SCHEMAS } from '../../src/protocol/schemas';
import { open, register, waitFor, closeAll, type Frame } from './helpers';

const TOTAL = Number(process.env.SWITCHBOARD_FUZZ_FRAMES ?? 100_000);
const KNOWN = Object.keys(MESSAGE_SCHEMAS);

type Bad = { data: string | Buffer; binary?: boolean; kind: string };

/** Each arbitrary yields frames the protocol must refuse, by construction. */
function badFrames(maxPayload: number): fc.Arbitrary<Bad> {
  const notObject = fc
    .oneof(fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 5 }))
    .map((v) => ({ data: JSON.stringify(v), kind: 'not-an-object' }));
  const randomObject = fc
    .dictionary(fc.string({ maxLength: 12 }).filter((k) => k !== 'message_type' && k !== '__proto__'), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
    .map((o) => ({ data: JSON.stringify(o), kind: 'no-message-type' }));
  const unknownType = fc
    .tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }))
    .filter(([t]) => !KNOWN.includes(t))
    .map(([t, v]) => ({ data: JSON.stringify({ message_type: t, v }), kind: 'unknown-type' }));
  const wrongTypeField = fc
    .tuple(
      fc.constantFrom('TEXT', 'REPLY', 'SYSTEM', 'STATUS'),
      fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 })),
    )
    .map(([t, v]) => ({ data: JSON.stringify({ message_type: t, receiver_id: 'broadcast', text_payload: v }), kind: 'wrong-field-type' }));
  const wrongMessageType = fc
    .oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }))
    .map((v) => ({ data: JSON.stringify({ message_type: v, text_payload: 'x' }), kind: 'message-type-not-string' }));
  const brokenJson = fc
    .string({ minLength: 1, maxLength: 200 })
    .map((s) => '{"message_type":"TEXT","text_payload":' + s)
    .filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    })
    .map((s) => ({ data: s, kind: 'invalid-json' }));
  const deepNesting = fc.integer({ min: 1000, max: 20_000 }).map((d) => ({ data: '['.repeat(d) + ']'.repeat(d), kind: 'deep-nesting' }));
  const huge = fc.integer({ min: 1, max: 3 }).map((k) => ({
    data: JSON.stringify({ message_type: 'TEXT', receiver_id: 'broadcast', text_payload: 'x'.repeat(maxPayload + k * 1000) }),
    kind: 'too-large',
  }));
  const binary = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({ data: Buffer.from(b), binary: true, kind: 'binary' }));
  const invalidUtf8 = fc
    .uint8Array({ minLength: 0, maxLength: 20 })
    .map((b) => ({ data: Buffer.concat([Buffer.from('{"message_type":"TEXT","text_payload":"'), Buffer.from(b), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]), kind: 'invalid-utf8' }));
  return fc.oneof(
    { arbitrary: notObject, weight: 10 },
    { arbitrary: randomObject, weight: 10 },
    { arbitrary: unknownType, weight: 10 },
    { arbitrary: wrongTypeField, weight: 10 },
    { arbitrary: wrongMessageType, weight: 5 },
    { arbitrary: brokenJson, weight: 10 },
    { arbitrary: deepNesting, weight: 1 },
    { arbitrary: huge, weight: 1 },
    { arbitrary: binary, weight: 5 },
    { arbitrary: invalidUtf8, weight: 5 },
  );
}

test(`${TOTAL.toLocaleString('en-US')} generated bad frames: each answered with an ERROR, the hub stays up, a good pair loses nothing`, async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  const maxPayload = 64 * 1024;
  const hub = new Hub({ port: 0, token: 'fuzz', rateLimitPerSecond: 1_000_000, maxPayloadBytes: maxPayload, pingIntervalMs: 60_000, inactivityTimeoutMs: 120_000 });
  await hub.start();
  const url = hub.agentUrl;
  try {
    // the well-behaved pair: a front-end sends counted messages to an agent throughout
    const agent = await register(url, 'agent', 'steady');
    const fe = await register(url, 'frontend', 'steady-ui');
    let goodSent = 0;
    const goodTimer = setInterval(() => {
      for (let i = 0; i < 5; i++) fe.ws.send(JSON.stringify({ message_type: 'TEXT', sender_id: fe.id, receiver_id: agent.id, text_payload: `good-${goodSent++}` }));
    }, 5);

    const fuzzers = await Promise.all([
      open(url), // unregistered
      register(url, 'agent', 'fuzz-agent').then((r) => r.ws),
      register(url, 'frontend', 'fuzz-ui').then((r) => r.ws),
    ]);
    const errors = fuzzers.map(() => 0);
    const sent = fuzzers.map(() => 0);
    fuzzers.forEach((ws, i) =>
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as Frame;
        if (m.message_type === 'ERROR') errors[i]!++;
      }),
    );
    const closes: string[] = [];
    fuzzers.forEach((ws) => ws.on('close', (code, reason) => closes.push(`${code} ${String(reason)}`)));

    const gen = badFrames(maxPayload);
    const kinds = new Map<string, number>();
    const BATCH = 1000;
    for (let done = 0; done < TOTAL; done += BATCH) {
      const batch = fc.sample(gen, { numRuns: Math.min(BATCH, TOTAL - done), seed: 42 + done });
      batch.forEach((f, j) => {
        const i = (done + j) % fuzzers.length;
        kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
        fuzzers[i]!.send(f.data, { binary: f.binary ?? false });
        sent[i]!++;
      });
      // flow control: let the answers catch up so a fuzzer is never a slow consumer of its own ERRORs
      await waitFor(() => sent.every((s, i) => s - errors[i]! < 2 * BATCH), 60_000, 'ERROR answers to catch up');
      assert.deepEqual(closes, [], 'no fuzzing connection was closed');
    }
    await waitFor(() => sent.every((s, i) => errors[i] === s), 60_000, 'an ERROR for every bad frame').catch((e: Error) => {
      throw new Error(`${e.message}: sent ${sent.join('/')}, errors ${errors.join('/')}, closes [${closes.join('; ')}], kinds ${JSON.stringify([...kinds])}`);
    });
    clearInterval(goodTimer);
    await waitFor(() => agent.frames.filter((f) => f.message_type === 'TEXT').length >= goodSent, 30_000, 'the good pair to receive everything');

    const got = agent.frames.filter((f) => f.message_type === 'TEXT').map((f) => String(f.text_payload));
    assert.equal(got.length, goodSent, 'the agent got each good message once');
    assert.deepEqual(got, Array.from({ length: goodSent }, (_, i) => `good-${i}`), 'in order');
    assert.deepEqual(sent, errors, 'one ERROR per bad frame, per connection');
    assert.equal(sent.reduce((a, b) => a + b, 0), TOTAL);
    for (const k of ['not-an-object', 'no-message-type', 'unknown-type', 'wrong-field-type', 'invalid-json', 'deep-nesting', 'too-large', 'binary', 'invalid-utf8']) {
      assert.ok((kinds.get(k) ?? 0) > 0, `the generator produced ${k} frames`);
    }
    assert.deepEqual(unhandled, [], 'no unhandled rejection or exception');
    assert.equal(hub.state, 'running');
    closeAll(agent.ws, fe.ws, ...fuzzers);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
    await hub.stop();
  }
});
