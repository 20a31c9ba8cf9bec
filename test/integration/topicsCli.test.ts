// `switchboard publish`, `switchboard history` and `switchboard tail --topic` as a person runs them: real processes
// against a real hub.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHub } from './hubHarness';
import { cli } from './cliHarness';

test('publish prints the id, history prints since an id, tail --topic follows a namespace\'s topic', async () => {
  const hub = await startHub();
  const env = { SWITCHBOARD_URL: hub.agentUrl };
  const tail = cli(['tail', '--topic', 'ops', '--namespace', 'crew', '--json'], env);
  try {
    await tail.waitForLine(/following crew:ops/, 30_000, 'stderr');
    const first = cli(['publish', 'ops', '{"step": 1}', '--namespace', 'crew'], env);
    const [, firstId] = (await first.waitForLine(/^(\d+)$/)) as unknown as [string, string];
    assert.equal((await first.waitExit()).code, 0);
    const second = cli(['publish', 'ops', '{"step": 2}', '--namespace', 'crew', '--priority', '0', '--thread', firstId, '--in-response-to', firstId, '--json'], env);
    const [line] = await second.waitForLine(/^\{.*\}$/);
    const stored = JSON.parse(line) as { id: string; priority: number; thread: string[]; in_response_to: string };
    assert.deepEqual([stored.priority, stored.thread, stored.in_response_to], [0, [firstId], firstId]);
    await second.waitExit();

    const seen = await tail.waitForLine(new RegExp(`"id":"${stored.id}"`));
    assert.ok(seen, 'tail --topic printed the second message');
    assert.equal(tail.count(new RegExp(`"id":"${firstId}"`)), 1, 'and the first, once');

    const history = cli(['history', 'ops', '--namespace', 'crew', '--since', firstId], env);
    assert.equal((await history.waitExit()).code, 0);
    assert.equal(history.stdout.filter(Boolean).length, 1, history.stdout.join('\n'));
    assert.match(history.stdout[0]!, new RegExp(`${stored.id} crew:ops switchboard publish ↩ ${firstId}  \\{"step":2\\}`));
    const other = cli(['history', 'ops'], env);
    assert.equal((await other.waitExit()).code, 0);
    assert.deepEqual(other.stdout.filter(Boolean), [], 'the default namespace has no crew messages');

    const bad = cli(['publish', 'ops', 'not json'], env);
    assert.notEqual((await bad.waitExit()).code, 0);
    assert.match(bad.stderr.join('\n'), /not JSON/);
    const badTopic = cli(['publish', 'a.b', '{}'], env);
    assert.notEqual((await badTopic.waitExit()).code, 0);
    assert.match(badTopic.stderr.join('\n'), /not allowed/);
  } finally {
    await tail.kill();
    await hub.stop();
    hub.dispose();
  }
});
