// The amqplib internals the RabbitMQ bus relies on (src/bus/rabbitmq/amqplibPrivate.ts), checked against the amqplib
// installed: these tests fail when an amqplib upgrade renames or reshapes one of them. No broker: amqplib's own
// Connection and ChannelModel are built over an in-memory socket.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import type { ChannelModel } from 'amqplib';
import { amqplibInternals, coalesceWrites, destroyConnection } from '../../src/bus/rabbitmq/amqplibPrivate';

const req = createRequire(__filename);
// amqplib's package exports hide lib/; its files are reached by path, as the bus reaches their objects at run time.
const lib = join(dirname(req.resolve('amqplib')), 'lib');
const { Connection } = req(join(lib, 'connection.js')) as { Connection: new (s: Duplex) => unknown };
const { ChannelModel: Model } = req(join(lib, 'channel_model.js')) as { ChannelModel: new (c: unknown) => ChannelModel };

/** A socket that records how each write reached it: one `_write` per chunk, or one `_writev` for a corked batch. */
function recordingSocket(): { sock: Duplex; writes: number[] } {
  const writes: number[] = [];
  const sock = new Duplex({
    read() {},
    write(_chunk, _enc, cb) {
      writes.push(1);
      cb();
    },
    writev(chunks, cb) {
      writes.push(chunks.length);
      cb();
    },
  });
  return { sock, writes };
}

/** Three frames from one channel stream through amqplib's muxer; resolves with the writes the socket saw. */
async function throughMuxer(coalesce: boolean): Promise<{ writes: number[]; installed: boolean }> {
  const { sock, writes } = recordingSocket();
  const model = new Model(new Connection(sock));
  const installed = coalesce ? coalesceWrites(model) : false;
  const frames = new PassThrough({ objectMode: true });
  for (const f of ['a', 'b', 'c']) frames.write(Buffer.from(f));
  (amqplibInternals(model).muxer as unknown as { pipeFrom(r: PassThrough): void }).pipeFrom(frames);
  await new Promise((r) => setTimeout(r, 20));
  sock.destroy();
  return { writes, installed };
}

test('amqplib internals: a ChannelModel has connection.muxer._readIncoming and connection.stream with cork, uncork and destroy', () => {
  const { sock } = recordingSocket();
  const model = new Model(new Connection(sock));
  const { muxer, stream } = amqplibInternals(model);
  assert.equal(typeof muxer?._readIncoming, 'function', 'connection.muxer._readIncoming');
  assert.equal(stream, sock, 'connection.stream is the socket');
  assert.equal(typeof stream?.cork, 'function');
  assert.equal(typeof stream?.uncork, 'function');
  assert.equal(typeof stream?.destroy, 'function');
  sock.destroy();
});

test('amqplib internals: with coalesceWrites one muxer pass reaches the socket as one write; without it, a write per frame', async () => {
  const corked = await throughMuxer(true);
  assert.equal(corked.installed, true, 'coalesceWrites found what it patches');
  assert.deepEqual(corked.writes, [3], 'the three frames in one writev');
  const plain = await throughMuxer(false);
  assert.deepEqual(plain.writes, [1, 1, 1], 'without it, one write per frame (the test can tell the difference)');
});

test('amqplib internals: destroyConnection destroys the socket under the connection with the given error', () => {
  const { sock } = recordingSocket();
  let seen: unknown;
  sock.on('error', (err) => (seen = err));
  const model = new Model(new Connection(sock));
  model.on('error', () => undefined);
  const err = new Error('broker stalled');
  destroyConnection(model, err);
  assert.equal(sock.destroyed, true);
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      assert.equal(seen, err);
      resolve();
    }),
  );
});
