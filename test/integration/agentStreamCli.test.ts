// Seed 003 on the command line: `switchboard agents` lists pending approvals, `watch` follows an agent's live state,
// `approve` resolves the agent's request (decided_by the CLI's monitor) and a second `deny` is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentClient } from '../../src/sdk/agentClient';
import { startHub } from './hubHarness';
import { cli } from './cliHarness';

test('`switchboard agents` lists the pending approval, `watch` shows context changes, `approve` decides once', async () => {
  const hub = await startHub({ streamDiffIntervalMs: 20 });
  const agent = new AgentClient({ url: hub.agentUrl, name: 'cli-asker' });
  const watch = cli(['watch', 'cli-asker', '--url', hub.agentUrl]);
  try {
    const { agent_id } = await agent.connect();
    await agent.reportContext({ model: 'first' });
    const asked = agent.requestApproval('write_file', { path: 'out.txt' });
    await watch.waitForLine(/^(SNAPSHOT|DIFF) cli-asker online/);
    await agent.reportContext({ model: 'second', tools: ['write_file'] });
    await watch.waitForLine(/context: \{"model":"second","tools":\["write_file"\]\}/);

    const listed = cli(['agents', '--url', hub.agentUrl]);
    assert.equal((await listed.waitExit()).code, 0, listed.transcript());
    const out = listed.stdout.join('\n');
    assert.match(out, /PENDING APPROVALS \(1\)/);
    const id = /^(ap_\S+)\s+cli-asker\s+write_file \{"path":"out.txt"\}/m.exec(out)?.[1];
    assert.ok(id, out);

    const approve = cli(['approve', id, '--note', 'fine', '--url', hub.agentUrl]);
    assert.equal((await approve.waitExit()).code, 0, approve.transcript());
    assert.deepEqual(approve.stdout.filter(Boolean), [`approved ${id}`]);
    const decision = await asked;
    assert.equal(decision.approved, true);
    assert.equal(decision.note, 'fine');
    assert.match(decision.decidedBy, /^mon_/);
    await watch.waitForLine(/EVENT approval_decided/);

    const deny = cli(['deny', id, '--url', hub.agentUrl]);
    assert.notEqual((await deny.waitExit()).code, 0);
    assert.match(deny.stderr.join('\n'), /already resolved/);
    assert.equal(hub.log.query({ agent_id, message_type: 'TOOL_APPROVAL_DECISION' }).filter((e) => e.direction === 'out').length, 1);
  } finally {
    await watch.kill();
    await agent.close();
    await hub.stop();
  }
});
