// The Python example agent speaks seed 003 too: it reports its context and, asked to "/write" a file, waits for a
// person's decision (here the hub's in-process API, as VS Code decides) before it answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FrontendClient } from '../../src/sdk/frontendClient';
import { startHub, waitUntil } from './hubHarness';
import { findPythonWithWebsockets, Proc, ROOT } from './cliHarness';

test('the Python example asks for approval before writing and answers with the decision; its context is streamed', async (t) => {
  const found = findPythonWithWebsockets();
  if (!found) {
    const reason = 'no python3 with the websockets package (Debian: apt-get install python3-websockets; or set SWITCHBOARD_PYTHON)';
    if (process.env.SWITCHBOARD_REQUIRE_BROKERS === '1' || process.env.CI) throw new Error(`interoperability test cannot run: ${reason}`);
    process.stderr.write(`\n*** SKIPPED (python approvals): ${reason}\n`);
    t.skip(reason);
    return;
  }
  const hub = await startHub();
  const proc = new Proc(spawn(found.python, [join(ROOT, 'examples', 'python', 'agent.py'), '--url', hub.agentUrl, '--name', 'py-approver'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  const fe = new FrontendClient({ url: hub.agentUrl, name: 'asker' });
  try {
    const [, agentId] = await proc.waitForLine(/^registered as (agent_[0-9a-f]{8})$/, 20_000);
    await waitUntil(() => (hub.agentStreams.snapshot(agentId!).context as { model?: string } | null)?.model === 'python-example', 10_000, 'context reported');
    await fe.connect();
    const id = await fe.send(agentId!, '/write notes.txt');
    await waitUntil(() => hub.agentStreams.pendingApprovals(agentId).length === 1, 10_000, 'approval requested');
    const ap = hub.agentStreams.pendingApprovals(agentId)[0]!;
    assert.equal(ap.tool, 'write_file');
    assert.deepEqual(ap.arguments, { path: 'notes.txt' });
    hub.agentStreams.decide(ap.approval_id, true);
    const reply = await fe.waitForReply(id, 10_000);
    assert.equal(reply.text_payload, 'wrote notes.txt (approved by web_switchboard)');
    await waitUntil(() => ((hub.agentStreams.snapshot(agentId!).context as { recent_messages?: unknown[] }).recent_messages ?? []).length === 2, 10_000, 'recent messages in the context');
  } finally {
    await proc.kill();
    await fe.close();
    await hub.stop();
  }
});
