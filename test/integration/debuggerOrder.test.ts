// Order per sender under any schedule of holds and releases (issue 20): random sends from several senders to two
// agents, some stopped by a breakpoint, with continue/edit/drop/step in random order and release all at the end.
// Whatever the schedule, each agent receives each sender's messages in the order sent, none twice, none lost but the
// dropped ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { agent, closeAll, startHub, waitUntil } from './hubHarness';

type Cmd = { kind: 'send'; sender: number; to: number; stop: boolean } | { kind: 'act'; pick: number; action: 'continue' | 'edit' | 'drop' | 'step' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), sender: fc.integer({ min: 0, max: 2 }), to: fc.integer({ min: 0, max: 1 }), stop: fc.boolean() }),
  fc.record({ kind: fc.constant('act' as const), pick: fc.nat(), action: fc.constantFrom('continue' as const, 'edit' as const, 'drop' as const, 'step' as const) }),
);

test('a released message never overtakes an earlier held one of its sender, under a randomised schedule', async () => {
  const hub = await startHub();
  const receivers = [await agent(hub, 'planner'), await agent(hub, 'coder')];
  hub.debugger.setBreakpoints('order-test', [{ filter: 'text:stop' }]);
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 40 }), async (cmds) => {
        run++;
        const expected = new Map<string, string[]>(); // receiver|sender → texts in send order (prefix only)
        const dropped = new Set<string>();
        const seen = receivers.map((r) => r.c.ofType('TEXT').length);
        let n = 0;
        for (const c of cmds) {
          if (c.kind === 'send') {
            const tag = `r${run}:s${c.sender}:${n++}`;
            const key = `${c.to}|s${c.sender}`;
            expected.set(key, [...(expected.get(key) ?? []), tag]);
            hub.sendMessage({ receiver_id: receivers[c.to]!.id, sender_id: `s${c.sender}`, text_payload: c.stop ? `${tag} stop` : tag });
            continue;
          }
          const stopped = hub.debugger.held().filter((h) => h.reason !== 'order');
          if (stopped.length === 0) continue;
          const h = stopped[c.pick % stopped.length]!;
          if (c.action === 'continue') hub.debugger.continue(h.held_id);
          else if (c.action === 'step') hub.debugger.step(h.held_id);
          else if (c.action === 'edit') hub.debugger.edit(h.held_id, { text_payload: `${String(h.message.text_payload).split(' ')[0]} edited` });
          else {
            dropped.add(String(h.message.text_payload).split(' ')[0]);
            hub.debugger.drop(h.held_id);
          }
        }
        hub.debugger.releaseAll();
        assert.equal(hub.debugger.held().length, 0);
        const want = receivers.map((_, i) => [...expected].filter(([k]) => k.startsWith(`${i}|`)).flatMap(([, v]) => v).filter((t) => !dropped.has(t)).length);
        await waitUntil(() => receivers.every((r, i) => r.c.ofType('TEXT').length - seen[i]! >= want[i]!), 5000, 'every message delivered');
        for (const [i, r] of receivers.entries()) {
          const got = r.c.ofType('TEXT').slice(seen[i]).map((m) => String(m.text_payload).split(' ')[0]!);
          assert.equal(got.length, want[i], 'none twice');
          for (const [key, tags] of expected) {
            if (!key.startsWith(`${i}|`)) continue;
            const sender = key.split('|')[1]!;
            const mine = got.filter((t) => t.split(':')[1] === sender);
            assert.deepEqual(mine, tags.filter((t) => !dropped.has(t)), `order of ${sender} → receiver ${i}`);
          }
        }
      }),
      { numRuns: 40 },
    );
  } finally {
    await closeAll(hub, ...receivers);
  }
});
