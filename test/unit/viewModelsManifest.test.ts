// The manifest and the code agree: every command id in constants.ts is contributed (in the "Switchboard" category)
// and registered, every contributed command is known to the code, views and settings line up, and the view-model
// folder never imports vscode (so these tests can run in plain Node).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApprovalCommands, Commands, DebugCommands, ReconstructCommands, Settings, TopicCommands, Views } from '../../src/extension/constants';

interface Manifest {
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    views: Record<string, { id: string }[]>;
    viewsWelcome: { view: string }[];
    configuration: { properties: Record<string, { markdownDescription?: string; description?: string }> };
    menus: Record<string, { command: string }[]>;
    walkthroughs: { steps: { media: { markdown?: string } }[] }[];
    viewsContainers: { activitybar: { id: string; icon: string }[] };
  };
  engines: { vscode: string };
  icon: string;
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Manifest;
const ids = [...Object.values(Commands), ...Object.values(ReconstructCommands), ...Object.values(ApprovalCommands), ...Object.values(TopicCommands), ...Object.values(DebugCommands)] as string[];

test('every command in constants.ts is contributed with a title in the Switchboard category, and nothing else is', () => {
  const contributed = pkg.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual(contributed, [...ids].sort());
  for (const c of pkg.contributes.commands) {
    assert.equal(c.category, 'Switchboard', c.command);
    assert.ok(c.title.length > 0, c.command);
  }
});

test('menus only name contributed commands', () => {
  for (const [menu, items] of Object.entries(pkg.contributes.menus)) {
    for (const item of items) assert.ok(ids.includes(item.command), `${menu} names unknown ${item.command}`);
  }
});

test('the views live in the Switchboard activity bar container and have welcome content', () => {
  assert.equal(pkg.contributes.viewsContainers.activitybar[0]?.id, Views.container);
  assert.ok(existsSync(pkg.contributes.viewsContainers.activitybar[0]!.icon));
  const views = (pkg.contributes.views[Views.container] ?? []).map((v) => v.id);
  assert.deepEqual(views, [Views.agents, Views.sessions, Views.transports, Views.topics]);
  assert.ok(pkg.contributes.viewsWelcome.some((w) => w.view === Views.agents));
});

test('every setting the code reads is contributed with a description', () => {
  const props = pkg.contributes.configuration.properties;
  for (const [name, key] of Object.entries(Settings)) {
    if (name === 'section') continue;
    const p = props[`switchboard.${key}`];
    assert.ok(p, `switchboard.${key} is not contributed`);
    assert.ok((p.markdownDescription ?? p.description ?? '').length > 20, `switchboard.${key} needs a description`);
  }
});

test('engines.vscode stays at or below 1.100 so code-server 4.100 loads it, and the walkthrough media exist', () => {
  const m = /^\^?(\d+)\.(\d+)/.exec(pkg.engines.vscode);
  assert.ok(m && Number(m[1]) === 1 && Number(m[2]) <= 100, pkg.engines.vscode);
  assert.ok(existsSync(pkg.icon));
  for (const step of pkg.contributes.walkthroughs[0]!.steps) assert.ok(existsSync(step.media.markdown ?? ''), step.media.markdown);
});

test('every command is registered by the code (one handler per id)', () => {
  const src = readFileSync('src/extension/commands.ts', 'utf8');
  for (const [key] of Object.entries(Commands)) assert.ok(src.includes(`[Commands.${key}]: (`) || src.includes(`[Commands.${key}]: async`), `no handler for Commands.${key}`);
  const rc = readFileSync('src/extension/reconstructCommand.ts', 'utf8');
  for (const [key] of Object.entries(ReconstructCommands)) assert.ok(rc.includes(`registerCommand(ReconstructCommands.${key},`), `no handler for ReconstructCommands.${key}`);
  const ap = readFileSync('src/extension/approvals.ts', 'utf8');
  for (const [key] of Object.entries(ApprovalCommands)) assert.ok(ap.includes(`registerCommand(ApprovalCommands.${key},`), `no handler for ApprovalCommands.${key}`);
  const tc = readFileSync('src/extension/topicsCommands.ts', 'utf8');
  for (const [key] of Object.entries(TopicCommands)) assert.ok(tc.includes(`registerCommand(TopicCommands.${key},`), `no handler for TopicCommands.${key}`);
  const dc = readFileSync('src/extension/debug/debugAgents.ts', 'utf8');
  for (const [key] of Object.entries(DebugCommands)) assert.ok(dc.includes(`registerCommand(DebugCommands.${key},`), `no handler for DebugCommands.${key}`);
});

test('the extension model folder never imports vscode', () => {
  const dir = 'src/extension/model';
  const offenders = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => /from\s+['"]vscode['"]|require\(['"]vscode['"]\)/.test(readFileSync(join(dir, f), 'utf8')));
  assert.deepEqual(offenders, []);
});
