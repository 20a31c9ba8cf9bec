// The history connection (src/hub/topics/redisPages.ts) on the machine's real Redis — replies split across many
// socket reads, members kept intact while their page is lent, error replies, a connection Redis drops, a setup Redis
// refuses, a database other than 0 — and, over a TCP server of the test's own that hands out a reply a few bytes at a
// time, the parsing of a reply cut at every kind of place.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisPageReader, type RedisPage } from '../../src/hub/topics/redisPages';
import { redisPrefix, requireRedis } from './topicKit';
import { RedisTopicStore } from '../../src/hub/topics/redisTopicStore';
import { agent, closeAll, startHub } from '../integration/hubHarness';
import { ask, messagesOf, publish } from '../integration/topicHarness';

const members = (p: RedisPage): string[] => Array.from({ length: p.count }, (_, i) => p.member(i).toString());

async function withRedis(t: Parameters<typeof requireRedis>[0], body: (url: string, redis: Redis, prefix: string) => Promise<void>): Promise<void> {
  const url = await requireRedis(t);
  if (!url) return;
  const redis = new Redis(url);
  const prefix = redisPrefix('pages');
  try {
    await body(url, redis, prefix);
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}

test('history connection: a page of large members arrives over many reads and reads back byte for byte, concurrent commands each get their own reply, and a lent page stays intact while others are read', async (t) => {
  await withRedis(t, async (url, redis, prefix) => {
    const z = `${prefix}z`;
    // 300 members of 1–9 KB: ~1.5 MB in one reply, far more than one 64 KB read
    const want: string[] = [];
    for (let i = 0; i < 300; i++) want.push(`${String(i).padStart(4, '0')}:${randomBytes(500 + ((i * 37) % 4000)).toString('hex')}`);
    await redis.zadd(z, ...want.flatMap((m) => [1, m]));
    const reader = new RedisPageReader(new Redis(url, { lazyConnect: true }).options);
    try {
      const whole = await reader.command(['ZRANGEBYSCORE', z, '-inf', '+inf']);
      assert.deepEqual(members(whole), want);
      // pipelined: three commands written before any reply is read, each resolved with its own reply
      const [a, b, c] = await Promise.all([
        reader.command(['ZRANGE', z, '0', '9']),
        reader.command(['ZRANGE', z, '10', '10']),
        reader.command(['ZRANGE', `${prefix}none`, '0', '-1']),
      ]);
      assert.deepEqual(members(a), want.slice(0, 10));
      assert.deepEqual(members(b), want.slice(10, 11));
      assert.equal(c.count, 0);
      // `whole` is still lent: reading more pages (which reuse released pages) leaves it as it was
      a.release();
      b.release();
      c.release();
      for (let i = 0; i < 5; i++) (await reader.command(['ZRANGE', z, String(i * 50), String(i * 50 + 60)])).release();
      assert.deepEqual(members(whole), want);
      whole.release();
    } finally {
      reader.close();
    }
  });
});

test('history connection: an error reply fails that command only; a connection Redis drops fails what waits and the next command connects again; a refused setup says so', async (t) => {
  await withRedis(t, async (url, redis, prefix) => {
    await redis.set(`${prefix}s`, 'a string');
    await redis.zadd(`${prefix}z`, 1, 'one', 2, 'two');
    const reader = new RedisPageReader(new Redis(url, { lazyConnect: true }).options);
    try {
      await assert.rejects(reader.command(['ZRANGE', `${prefix}s`, '0', '-1']), /Redis: WRONGTYPE/);
      assert.deepEqual(members(await reader.command(['ZRANGE', `${prefix}z`, '0', '-1'])), ['one', 'two']);
      // Redis drops the connection while a command waits for its reply (BZPOPMIN would block; CLIENT KILL ends it)
      const name = `pages-${randomBytes(4).toString('hex')}`;
      (await reader.command(['CLIENT', 'SETNAME', name])).release(); // a status reply: a page of no members
      // its failure is expected from the moment it is sent: the close may come before the KILL's own reply
      const waiting = assert.rejects(reader.command(['BZPOPMIN', `${prefix}empty`, '5']), /Redis closed the history connection/);
      await new Promise((r) => setTimeout(r, 100));
      const line = String(await redis.client('LIST')).split('\n').find((l) => l.includes(` name=${name} `));
      assert.ok(line, 'the history connection is listed by its name');
      await redis.client('KILL', 'ID', /\bid=(\d+)/.exec(line)![1]!);
      await waiting;
      assert.deepEqual(members(await reader.command(['ZRANGE', `${prefix}z`, '0', '0'])), ['one'], 'the next command connects again');
    } finally {
      reader.close();
    }
    // a password on a Redis that has none: Redis refuses AUTH, and the command behind it fails with that reason
    const refused = new RedisPageReader({ ...new Redis(url, { lazyConnect: true }).options, password: 'not-the-password' });
    try {
      await assert.rejects(refused.command(['ZRANGE', `${prefix}z`, '0', '-1']), /refused the history connection's setup: .*(AUTH|password|WRONGPASS)/i);
    } finally {
      refused.close();
    }
    await assert.rejects(reader.command(['ZRANGE', `${prefix}z`, '0', '-1']), /closed/);
  });
});

test('history connection: the database of the URL is the one read', async (t) => {
  await withRedis(t, async (url, _redis, prefix) => {
    const db1 = new Redis(url, { db: 1 });
    try {
      await db1.zadd(`${prefix}z`, 1, 'in-db-1');
      const reader = new RedisPageReader(new Redis(url, { lazyConnect: true, db: 1 }).options);
      try {
        assert.deepEqual(members(await reader.command(['ZRANGE', `${prefix}z`, '0', '-1'])), ['in-db-1']);
      } finally {
        reader.close();
      }
    } finally {
      await db1.del(`${prefix}z`);
      db1.disconnect();
    }
  });
});

test('history connection: replies handed out a few bytes at a time (every header, length and CRLF cut somewhere) parse the same', async () => {
  const items = ['', 'a', 'x'.repeat(70_000), '{"id":"1"}\r\n$5\r\nfake', 'é€😀'];
  const arrayReply = `*${items.length + 1}\r\n` + items.map((s) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`).join('') + '$-1\r\n';
  const script = Buffer.from(arrayReply + '-ERR no such thing\r\n' + '*0\r\n' + arrayReply);
  for (const step of [1, 2, 3, 7, 64, 65_536]) {
    const server = net.createServer((sock) => {
      let sent = false;
      sock.on('data', () => {
        if (sent) return;
        sent = true;
        let at = 0;
        const dribble = (): void => {
          if (at >= script.length) return;
          sock.write(script.subarray(at, at + step));
          at += step;
          setImmediate(dribble);
        };
        // once all four commands are in (they come in one write or several)
        setTimeout(dribble, 20);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const reader = new RedisPageReader({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
    try {
      const [p1, p2, p3, p4] = await Promise.allSettled([reader.command(['A']), reader.command(['B']), reader.command(['C']), reader.command(['D'])]);
      assert.equal(p1.status, 'fulfilled');
      assert.deepEqual(members((p1 as PromiseFulfilledResult<RedisPage>).value), items, `step ${step}`);
      assert.equal(p2.status, 'rejected');
      assert.match(String((p2 as PromiseRejectedResult).reason), /Redis: ERR no such thing/);
      assert.equal((p3 as PromiseFulfilledResult<RedisPage>).value.count, 0);
      assert.deepEqual(members((p4 as PromiseFulfilledResult<RedisPage>).value), items, `step ${step}, the reply after others`);
    } finally {
      reader.close();
      await new Promise((r) => server.close(r));
    }
  }
});

test('a hub on Redis answers many HISTORY queries of two clients at once, each frame its own (pages and frames are lent and given back only once written)', async (t) => {
  const url = await requireRedis(t);
  if (!url) return;
  const topicKeyPrefix = redisPrefix('pagehub');
  const hub = await startHub({ topicStore: url, topicKeyPrefix });
  const w = await agent(hub, 'writer');
  const readers = [await agent(hub, 'reader-a'), await agent(hub, 'reader-b')];
  try {
    const ids: Record<string, string[]> = { alpha: [], beta: [] };
    for (let i = 0; i < 30; i++) {
      for (const topic of ['alpha', 'beta']) ids[topic]!.push((await publish(w.c, topic, { i, topic, pad: `${topic}-${i}-`.repeat(200) })).id);
    }
    // 20 queries from each reader sent at once, without waiting: frames of ~60-150 KB, more at once than the pool keeps
    const asks = readers.flatMap((r, k) =>
      Array.from({ length: 20 }, (_, j) => {
        const topic = k === 0 ? 'alpha' : 'beta';
        const since = j % 10;
        return ask(r.c, { message_type: 'HISTORY', topic, since_id: ids[topic]![since]!, limit: 1000 }).then((res) => ({ topic, since, res }));
      }),
    );
    for (const { topic, since, res } of await Promise.all(asks)) {
      const got = messagesOf(res);
      assert.deepEqual(
        got.map((m) => m.id),
        ids[topic]!.slice(since + 1),
        `${topic} since its message ${since}`,
      );
      for (const m of got) assert.equal((m.payload as { topic: string }).topic, topic);
    }
  } finally {
    await closeAll(hub, w, ...readers);
    const probe = new RedisTopicStore(url, { keyPrefix: topicKeyPrefix });
    await probe.deleteAll();
    await probe.close();
  }
});

test('history connection: a server that never answers fails the waiting commands after the reply timeout, with the reason, and the next command connects again', async () => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((sock) => void sockets.push(sock)); // accepts, reads nothing back
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const reader = new RedisPageReader({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, replyTimeout: 200 });
  try {
    const both = Promise.allSettled([reader.command(['ZRANGE', 'a', '0', '-1']), reader.command(['ZRANGE', 'b', '0', '-1'])]);
    for (const r of await both) {
      assert.equal(r.status, 'rejected');
      assert.match(String((r as PromiseRejectedResult).reason), /Redis did not answer the history connection within 200 ms/);
    }
    await assert.rejects(reader.command(['ZRANGE', 'c', '0', '-1']), /within 200 ms/);
    assert.equal(sockets.length, 2, 'the connection given up, the next command made a new one');
  } finally {
    reader.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
});
