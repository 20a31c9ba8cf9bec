// Interoperability: the Python topics example (examples/python/topics_agent.py) against a real hub — subscribes in a
// namespace, answers on a reply topic linked by thread and in_response_to; publishes one message and prints its id.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TopicFrontendClient } from '../../src/sdk/topicsClient';
import type { StoredTopicMessageT } from '../../src/protocol/topics';
import { findPythonWithWebsockets, Proc, ROOT } from './cliHarness';
import { startHub, waitUntil } from './hubHarness';

const SCRIPT = join(ROOT, 'examples', 'python', 'topics_agent.py');

test('the Python topics example subscribes in its namespace, answers on a reply topic, and publishes', async (t) => {
  const found = findPythonWithWebsockets();
  if (!found) {
    const reason = 'no python3 with the websockets package (Debian: apt-get install python3-websockets; or set SWITCHBOARD_PYTHON)';
    if (process.env.SWITCHBOARD_REQUIRE_BROKERS === '1' || process.env.CI) throw new Error(`interoperability test cannot run: ${reason}`);
    process.stderr.write(`\n*** SKIPPED (python interop): ${reason}\n`);
    t.skip(reason);
    return;
  }
  const hub = await startHub();
  const py = new Proc(spawn(found.python, [SCRIPT, '--url', hub.agentUrl, '--namespace', 'crew', '--subscribe', 'questions', '--reply-to', 'answers'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  const ui = new TopicFrontendClient({ url: hub.agentUrl, name: 'ui', namespace: 'crew', reconnect: false });
  try {
    await py.waitForLine(/^registered as agent_[0-9a-f]{8} in crew, subscribed to questions$/, 20_000);
    await ui.connect();
    const answers: StoredTopicMessageT[] = [];
    await ui.topics.subscribe('answers', (m) => void answers.push(m));
    const [question] = await ui.topics.publish('questions', { ask: 'why?' });
    await py.waitForLine(new RegExp(`^received ${question!.id} on questions from ui: \\{"ask": "why\\?"\\}$`));
    await waitUntil(() => answers.length === 1, 10_000, 'the answer from Python');
    assert.deepEqual(answers[0]!.payload, { echo: { ask: 'why?' } });
    assert.deepEqual(answers[0]!.thread, [question!.id], 'kept in the thread');
    assert.equal(answers[0]!.in_response_to, question!.id);
    assert.equal(answers[0]!.namespace, 'crew');

    const once = new Proc(spawn(found.python, [SCRIPT, '--url', hub.agentUrl, '--namespace', 'crew', '--publish', 'questions', '{"ask": "again"}'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    const [, id] = await once.waitForLine(/^(\d+)$/, 20_000);
    assert.equal((await once.waitExit()).code, 0);
    assert.deepEqual((await ui.topics.getMessages([id!])).map((m) => m.payload), [{ ask: 'again' }]);
  } finally {
    await py.kill();
    await ui.close();
    await hub.stop();
    hub.dispose();
  }
});
