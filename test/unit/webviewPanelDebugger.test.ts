// What the VS Code Monitor panel relays of the message debugger (issue 20), through the real HubManager in two
// windows: the window that owns the hub (hub.debugger in process) and a second window attached as a monitor (DEBUG_*
// over its monitor client). Both windows' frames, fed to the webview's DebugHolds, show the held message; a
// breakpoint set from window A holds it, window B continues it, window A edits the next one, and closing window A's
// panel takes its breakpoints away.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/protocol/logger';
import { AgentClient } from '../../src/sdk/agentClient';
import type { ManagerSettings } from '../../src/extension/model/hubManager';
import { ManagerMonitorSource } from '../../src/extension/model/managerMonitorSource';
import type { Hub } from '../../src/hub/hub';
import { actionFrame, DebugHolds } from '../../src/webview/debugHolds';
import { freePort, manager, waitFor } from './managerHarness';

test('the panel source relays held messages in the owning and in an attached window, and both can act on them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-paneldebug-'));
  const port = await freePort();
  const settings: ManagerSettings = { hub: { host: '127.0.0.1', port, token: 'panel-debug-token', logDir: '' }, autoStart: true };
  const a = manager(dir, settings);
  const b = manager(dir, settings);
  const agents: AgentClient[] = [];
  const holds = { a: new DebugHolds(), b: new DebugHolds() };
  try {
    assert.equal(await a.startOrAttach(true), 'local');
    assert.equal(await b.startOrAttach(true), 'attached');
    const sa = new ManagerMonitorSource(a);
    const sb = new ManagerMonitorSource(b);
    const subA = sa.onDebugger((f) => holds.a.apply(f));
    const subB = sb.onDebugger((f) => holds.b.apply(f));
    const hub = a.hub as Hub;

    const url = a.connection!.info().agentUrl;
    const receiver = new AgentClient({ url, name: 'dbg-receiver', logger: silentLogger, reconnect: false });
    const sender = new AgentClient({ url, name: 'dbg-sender', logger: silentLogger, reconnect: false });
    agents.push(receiver, sender);
    const receiverId = (await receiver.connect()).agent_id;
    await sender.connect();
    const received: string[] = [];
    receiver.onMessage((m) => {
      if (typeof m.text_payload === 'string') received.push(m.text_payload);
    });

    await sa.debugCommand(holds.a.addBreakpoint(`type:TEXT to:${receiverId}`));
    await waitFor('window A to see its breakpoint verified', () => holds.a.breakpoints()[0]?.verified === true);
    assert.deepEqual(hub.debugger.breakpointInfos().map((x) => [x.owner, x.filter]), [['monitor panel', `type:TEXT to:${receiverId}`]]);

    const id1 = await sender.send(receiverId, 'one');
    await waitFor('both windows to show the message held', () => holds.a.heldFor(id1) !== undefined && holds.b.heldFor(id1) !== undefined);
    assert.equal(received.length, 0);
    await sb.debugCommand(actionFrame('continue', holds.b.heldFor(id1)!.held_id));
    await waitFor('the continued message delivered', () => received.includes('one'));
    await waitFor('both windows to unmark it', () => holds.a.count === 0 && holds.b.count === 0);

    const id2 = await sender.send(receiverId, 'two');
    await waitFor('the second message held in window A', () => holds.a.heldFor(id2) !== undefined);
    await sa.debugCommand(actionFrame('edit', holds.a.heldFor(id2)!.held_id, { text_payload: 'two, edited' }));
    await waitFor('the edited message delivered', () => received.includes('two, edited'));
    assert.ok(!received.includes('two'));
    await assert.rejects(sa.debugCommand(actionFrame('continue', 'no-such-held')), 'an unknown held id is refused');

    subA.dispose();
    assert.deepEqual(hub.debugger.breakpointInfos(), [], 'closing the panel takes its breakpoints away');
    subB.dispose();
  } finally {
    for (const c of agents) await c.close();
    await b.dispose();
    await a.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
