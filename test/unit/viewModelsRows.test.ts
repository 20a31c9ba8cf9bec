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

type Row = { model: TreeItemModel };

/** A tree as a map from parent key ('' for the top level) to its rows now. */
function treeOf(tree: Record<string, Row[]>): (parent: string) => Row[] | undefined {
  return (parent) => tree[parent];
}

test('a refresh names only the rows whose text changed, as the objects VS Code was handed', () => {
  const cache = new RowCache<Row>();
  const handed = cache.give('', [row('a', '1'), row('b', '1')]);
  assert.deepEqual(cache.changes(treeOf({ '': [row('a', '1'), row('b', '1')] })), [], 'nothing changed: nothing is redrawn');
  const changed = cache.changes(treeOf({ '': [row('a', '1'), row('b', '2')] }));
  assert.ok(Array.isArray(changed));
  assert.equal(changed.length, 1);
  assert.equal(changed[0], handed[1], 'the same object VS Code holds');
  assert.equal(handed[1]!.model.description, '2');
  assert.equal(cache.changes(treeOf({ '': [row('b', '2'), row('a', '1')] })), 'all', 'a move at the top level needs a whole refresh');
  assert.equal(cache.changes(treeOf({ '': [row('a', '1')] })), 'all', 'so does a row that went');
  assert.equal(cache.has('bus'), false);
});

test('a row that can newly expand (its first child) is redrawn alone, keeping its object: no whole refresh', () => {
  // the Agents view: the online coder gains its first approval while a menu is open on the offline coder's row
  const cache = new RowCache<Row>();
  const [offline, online] = cache.give('', [row('agent:old', 'offline'), row('agent:new', 'working')]);
  const redraw = cache.changes(treeOf({ '': [row('agent:old', 'offline'), row('agent:new', 'working', 'collapsed')] }));
  assert.notEqual(redraw, 'all');
  assert.deepEqual(redraw, [online], 'only the row that can now expand');
  assert.equal(online!.model.collapsible, 'collapsed', 'its object carries the new state');
  assert.equal(cache.row('agent:old'), offline, 'the other row is the object VS Code holds');
  // and back: its last child went
  assert.deepEqual(cache.changes(treeOf({ '': [row('agent:old', 'offline'), row('agent:new', 'working')] })), [online]);
});

test('children that came, went or moved redraw their parent row, not the tree; changed children alone are redrawn alone', () => {
  const cache = new RowCache<Row>();
  const [agent] = cache.give('', [row('agent:a', '', 'collapsed'), row('agent:b', '')]);
  const [line1] = cache.give('agent:a', [row('line:1', 'first')]);
  const top = [row('agent:a', '', 'collapsed'), row('agent:b', '')];
  assert.deepEqual(cache.changes(treeOf({ '': top, 'agent:a': [row('line:1', 'first, edited')] })), [line1], 'a child whose text changed');
  const redraw = cache.changes(treeOf({ '': top, 'agent:a': [row('pending:a', '1 waiting', 'collapsed'), row('line:1', 'first, edited')] }));
  assert.deepEqual(redraw, [agent], 'a new child: its parent is redrawn (VS Code fetches its children again)');
  assert.equal(cache.has('agent:a'), false, 'until VS Code asks again, its children are not compared');
  const [pending] = cache.give('agent:a', [row('pending:a', '1 waiting', 'collapsed'), row('line:1', 'first, edited')]);
  assert.equal(cache.row('line:1'), line1, 'a child that stayed is the same object');
  cache.give('pending:a', [row('approval:1', 'write_file')]);
  const more = cache.changes(
    treeOf({ '': top, 'agent:a': [row('pending:a', '2 waiting', 'collapsed'), row('line:1', 'first, edited')], 'pending:a': [row('approval:1', 'write_file'), row('approval:2', 'shell')] }),
  );
  assert.deepEqual(more, [pending], 'a second approval redraws the pending node (its count and its rows), nothing above it');
});

test('rows that went are forgotten with everything under them', () => {
  const cache = new RowCache<Row>();
  cache.give('', [row('agent:a', '', 'collapsed'), row('agent:b', '')]);
  cache.give('agent:a', [row('line:1', ''), row('line:2', '')]);
  assert.equal(cache.size, 4);
  cache.give('agent:a', [row('line:3', '')]);
  assert.equal(cache.size, 3, 'the lines that went are not kept');
  cache.give('', [row('agent:b', '')]);
  assert.equal(cache.size, 1, 'an agent that went takes its children along');
  assert.equal(cache.row('line:3'), undefined);
  cache.give('', [row('agent:b', '', 'collapsed')]);
  cache.give('agent:b', [row('line:9', '')]);
  assert.deepEqual(cache.changes(treeOf({ '': [row('agent:b', '', 'collapsed')] })), [], 'a parent that is gone (no children to read) is dropped, not redrawn');
  assert.equal(cache.has('agent:b'), false);
});

test('a row keeps what the provider stores beside its model (a namespace\'s topics) fresh, redrawn or not', () => {
  const cache = new RowCache<Row & { extra?: number }>();
  const [ns] = cache.give('', [{ ...row('ns', ''), extra: 1 }]);
  assert.deepEqual(cache.changes(() => [{ ...row('ns', ''), extra: 2 }]), []);
  assert.equal(ns!.extra, 2);
});
