// Tree rows that keep their place and identity: same-named agents told apart, one definition of "online" shared with
// the monitor, and refreshes that name only the rows whose text changed (so a hovered row keeps its tooltip).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countPresence, distinctNames, presenceOf, shortId } from '../../src/protocol/agentNames';
import { RowCache } from '../../src/extension/model/rowCache';
import type { TreeItemModel } from '../../src/extension/model/treeItemModel';

test('same-named agents get a short id suffix, unique names stay bare, and colliding short ids fall back to the id', () => {
  const names = distinctNames([
    { agent_id: 'agent_ebd1c6fd', agent_name: 'coder' },
    { agent_id: 'agent_0a1b2c3d', agent_name: 'coder' },
    { agent_id: 'agent_11112222', agent_name: 'planner' },
    { agent_id: 'agent_abcd0001', agent_name: 'x' },
    { agent_id: 'agent_abcd0002', agent_name: 'x' },
  ]);
  assert.equal(names.get('agent_ebd1c6fd'), 'coder (ebd1)');
  assert.equal(names.get('agent_0a1b2c3d'), 'coder (0a1b)');
  assert.equal(names.get('agent_11112222'), 'planner');
  assert.equal(names.get('agent_abcd0001'), 'x (agent_abcd0001)');
  assert.equal(shortId('agent_ebd1c6fd'), 'ebd1');
});

test('online is one definition: a paused agent is connected but not online; is_online alone decides for seed peers', () => {
  const c = countPresence([{ status: 'online' }, { status: 'paused', is_online: true }, { status: 'offline' }, { is_online: true }]);
  assert.deepEqual(c, { online: 2, paused: 1, offline: 1, total: 4 });
  assert.equal(presenceOf({ is_online: false }), 'offline');
});

const row = (id: string, description: string, collapsible: TreeItemModel['collapsible'] = 'none'): { model: TreeItemModel } => ({
  model: { id, label: id, description, collapsible },
});

test('a refresh names only the rows whose text changed, as the objects VS Code was handed', () => {
  const cache = new RowCache<{ model: TreeItemModel }>();
  const handed = cache.give('', [row('a', '1'), row('b', '1')]);
  assert.deepEqual(cache.changed('', [row('a', '1'), row('b', '1')]), [], 'nothing changed: nothing is redrawn');
  const changed = cache.changed('', [row('a', '1'), row('b', '2')])!;
  assert.equal(changed.length, 1);
  assert.equal(changed[0], handed[1], 'the same object VS Code holds');
  assert.equal(handed[1]!.model.description, '2');
  assert.equal(cache.changed('', [row('b', '2'), row('a', '1')]), undefined, 'a move needs a whole refresh');
  assert.equal(cache.changed('', [row('a', '1'), row('b', '2', 'collapsed')]), undefined, 'a row that can now expand too');
  assert.equal(cache.has('bus'), false);
});
