// Multi-hub scenarios written once for every shared bus: each test file passes a function that starts a hub on its
// broker under the test's prefix. (Used by kafkaHubs.test.ts; rabbitHubs.test.ts could run the same ones.)

import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { AgentClient } from '../../src/sdk/agentClient';
import type { Hub } from '../../src/hub/hub';
import type { HubOptions } from '../../src/hub/options';
import type { Envelope } from '../../src/protocol/schemas';
import { waitFor } from './helpers';
import { RawClient } from './rabbitHarness';

export type StartHub = (options?: Partial<HubOptions>) => Promise<Hub>;

/** The newest entry for an agent in the AGENT_STATUS_UPDATEs a raw front-end received. */
export function statusOf(fe: RawClient, agentId: string): Envelope | undefined {
  const updates = fe.of('AGENT_STATUS_UPDATE');
  for (let i = updates.length - 1; i >= 0; i--) {
    const e = (updates[i]!.agents as Envelope[]).find((a) => a.agent_id === agentId);
    if (e) return e;
  }
  return undefined;
}

/** Agent on A seen on B with A's hub_id; a front-end on B asks it and gets the reply; the agent leaves → offline on B. */
export async function presenceChatAndDeparture(t: TestContext, startHub: StartHub, busName: string): Promise<void> {
  const hubs: Hub[] = [];
  const clients: RawClient[] = [];
  let agent: AgentClient | undefined;
  try {
    const hubA = await startHub({ hubId: 'hub_aaaa0001' });
    hubs.push(hubA);
    const hubB = await startHub({ hubId: 'hub_bbbb0002' });
    hubs.push(hubB);
    const fe = await RawClient.open(hubB.agentUrl);
    clients.push(fe);
    const feId = await fe.register('frontend');

    agent = new AgentClient({ url: hubA.agentUrl, name: 'on-a', reconnect: false });
    agent.onMessage((m, ctx) => ctx.reply(`A says: ${String(m.text_payload)}`));
    const registeredAt = Date.now();
    await agent.connect();
    const agentId = agent.id!;
    const online = (): Envelope | undefined => {
      const e = statusOf(fe, agentId);
      return e && e.is_online === true ? e : undefined;
    };
    const seen = await waitFor(online, 'the front-end on B to see the agent of A online', 15_000, 5);
    t.diagnostic(`agent registered on A → online in B's AGENT_STATUS_UPDATE after ${Date.now() - registeredAt} ms (${busName})`);
    assert.equal(seen.hub_id, hubA.id, 'marked with the hub it lives on');
    assert.equal(hubB.agents().find((a) => a.agent_id === agentId)?.hub_id, hubA.id, 'hub.agents() on B lists it too');

    const askedAt = Date.now();
    fe.send({ message_type: 'TEXT', message_id: 'hx-1', sender_id: feId, receiver_id: agentId, text_payload: 'across hubs' });
    const r1 = await fe.next((m) => m.message_type === 'REPLY' && m.in_reply_to_message_id === 'hx-1', 'the reply from A', 15_000);
    t.diagnostic(`front-end on B → agent on A → reply on B: ${Date.now() - askedAt} ms (${busName})`);
    assert.equal(r1.text_payload, 'A says: across hubs');
    assert.equal(r1.sender_id, agentId);

    const leftAt = Date.now();
    await agent.close();
    await waitFor(() => statusOf(fe, agentId)?.is_online === false, 'B to show the agent offline', 15_000, 5);
    t.diagnostic(`agent left A → offline on B after ${Date.now() - leftAt} ms (${busName})`);
    assert.equal(hubB.agents().find((a) => a.agent_id === agentId)?.is_online, false);
  } finally {
    for (const c of clients) await c.close();
    await agent?.close().catch(() => undefined);
    for (const h of hubs.reverse()) await h.stop();
  }
}

/** A broadcast on hub A reaches one agent on A and two on B, once each. */
export async function broadcastAcrossHubs(startHub: StartHub): Promise<void> {
  const hubs: Hub[] = [];
  const agents: AgentClient[] = [];
  try {
    const hubA = await startHub();
    hubs.push(hubA);
    const hubB = await startHub();
    hubs.push(hubB);
    const got = new Map<string, string[]>();
    for (const [hub, name] of [[hubA, 'a1'], [hubB, 'b1'], [hubB, 'b2']] as const) {
      const a = new AgentClient({ url: hub.agentUrl, name, reconnect: false });
      got.set(name, []);
      a.onMessage((m) => void got.get(name)!.push(String(m.text_payload)));
      await a.connect();
      agents.push(a);
    }
    await waitFor(() => hubA.agents().filter((x) => x.is_online).length === 3, 'A to see all three agents', 15_000);
    hubA.broadcast('to everyone');
    await waitFor(() => [...got.values()].every((g) => g.length === 1), 'every agent on both hubs to get it', 15_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual([...got.values()].map((g) => g.length), [1, 1, 1], 'once each');
  } finally {
    for (const a of agents) await a.close().catch(() => undefined);
    for (const h of hubs.reverse()) await h.stop();
  }
}
