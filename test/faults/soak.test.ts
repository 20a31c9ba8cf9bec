// Soak: the demo fleet (with its crashes and silences) plus a steady stream of front-end messages for
// SWITCHBOARD_SOAK_SECONDS (default 600 = 10 minutes), heap sampled every second after a full GC. After warm-up (the
// log ring filling, JIT settling) the heap's least-squares slope must stay under SLOPE_BOUND bytes per second.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Hub } from '../../src/hub/hub';
import { startDemoFleet } from '../../src/sdk/demoFleet';
import { FrontendClient } from '../../src/sdk/frontendClient';
import { sleep } from './helpers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SECONDS = Number(process.env.SWITCHBOARD_SOAK_SECONDS ?? 600);
const WARMUP = Math.min(120, Math.floor(SECONDS / 4));
/** 2 KiB/s is 1.2 MB over ten minutes: a leak of one small object per message at this rate would exceed it. */
const SLOPE_BOUND = 2048;
const RATE = 50; // front-end messages per second, on top of the fleet's own traffic

function slope(ys: number[]): number {
  const n = ys.length;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

test(`soak: ${SECONDS} s of the demo fleet at a steady rate keeps the heap flat after ${WARMUP} s of warm-up`, { timeout: (SECONDS + 120) * 1000 }, async () => {
  const hub = new Hub({ port: 0, token: 'soak', logRingSize: 10_000, inactivityTimeoutMs: 15_000 });
  await hub.start();
  const fleet = await startDemoFleet({ url: hub.agentUrl, count: 5, crashes: true, chaosEveryMs: [20_000, 40_000], chores: true, user: false });
  const fe = new FrontendClient({ url: hub.agentUrl, name: 'soak-ui' });
  await fe.connect();
  let sent = 0;
  let replies = 0;
  fe.onMessage((m) => {
    if (m.message_type === 'REPLY') replies++;
  });
  const timer = setInterval(() => {
    const ids = fleet.agents();
    const online = new Set(hub.agents().filter((a) => a.status === 'online').map((a) => a.agent_id));
    for (let i = 0; i < RATE / 10; i++) {
      const to = ids[(sent + i) % ids.length];
      if (to && online.has(to)) void fe.send(to, `soak task ${sent + i}`).catch(() => undefined);
    }
    sent += RATE / 10;
  }, 100);
  const samples: number[] = [];
  try {
    for (let s = 0; s < SECONDS; s++) {
      await sleep(1000);
      gc();
      samples.push(process.memoryUsage().heapUsed);
    }
  } finally {
    clearInterval(timer);
    await fe.close();
    await fleet.stop();
    await hub.stop();
  }
  const steady = samples.slice(WARMUP);
  const perSecond = slope(steady);
  const mb = (x: number): string => (x / 1048576).toFixed(1);
  console.log(
    `soak: ${SECONDS} s, ${sent} messages offered, ${replies} replies; heap ${mb(samples[0]!)} → ${mb(samples[WARMUP]!)} (warm) → ${mb(samples.at(-1)!)} MiB; ` +
      `slope after warm-up ${perSecond.toFixed(0)} B/s (bound ${SLOPE_BOUND})`,
  );
  assert.ok(replies > 0, 'the fleet answered');
  assert.ok(perSecond < SLOPE_BOUND, `heap slope ${perSecond.toFixed(0)} B/s after warm-up exceeds ${SLOPE_BOUND} B/s`);
});
