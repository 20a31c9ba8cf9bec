// End to end, seed 003 on the hub's /monitor page in Debian's Chromium: an SDK agent reports its context and asks
// for a tool approval; the page's Agent pane shows the live context (updated by DIFFs), the pending approval (a badge
// in the agent list, a marker on the request row), and its Approve button resolves the agent's promise with
// decided_by naming the page's monitor connection. Screenshots go to /work/screens/streamsui-*.png when that folder
// exists, else test-results/. Needs `npm run build` first (npm test and npm run test:e2e do it).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { Hub } from '../../src/hub/hub';
import { AgentClient } from '../../src/sdk/agentClient';
import type { ApprovalOutcome } from '../../src/protocol/agentStreams';
import { launchChromium, makeRunDir, repoRoot } from '../../tools/vscode/codeServer.mjs';

const SCREENS = existsSync('/work/screens') ? '/work/screens' : join(repoRoot, 'test-results');
const WEBVIEW_DIR = join(repoRoot, 'dist', 'webview');
const WAIT = 20_000;

let agent: AgentClient;
let agentId = '';
let hub: Hub;
let page: Page;
let context: BrowserContext;
let runDir = '';
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  const file = join(SCREENS, `streamsui-${name}.png`);
  await page.screenshot({ path: file });
  console.log(`screenshot: ${file}`);
}

type Stats = { pendingApprovals: number };
const stats = (): Promise<Stats> =>
  page.evaluate(() => (globalThis as unknown as { switchboardMonitor: { stats(): Stats } }).switchboardMonitor.stats());

async function waitFor(cond: () => Promise<boolean>, what: string, ms = WAIT): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const context1 = {
  model: 'gpt-4o-mini',
  tools: [{ name: 'read_file' }, { name: 'write_file' }],
  mcp_servers: { filesystem: { state: 'connected' } },
  recent_messages: [{ role: 'user', content: 'refactor the parser' }],
};

before(async () => {
  mkdirSync(SCREENS, { recursive: true });
  assert.ok(existsSync(join(WEBVIEW_DIR, 'monitor.js')), 'dist/webview/monitor.js is missing: run `npm run build` first');
  hub = new Hub({ port: 0, host: '127.0.0.1' }, { webviewDir: WEBVIEW_DIR });
  await hub.start();
  agent = new AgentClient({ url: hub.agentUrl, name: 'approval-coder' });
  agentId = (await agent.connect()).agent_id;
  await agent.reportContext(context1);

  runDir = makeRunDir('monitor-approvals-e2e');
  context = await launchChromium(join(runDir, 'chromium'), { viewport: { width: 1300, height: 800 } });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  await context?.close().catch(() => undefined);
  await agent?.close().catch(() => undefined);
  await hub?.stop('e2e done');
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

test('the Agent pane shows the live context from the snapshot, then from diffs', async () => {
  await page.goto(hub.monitorUrl);
  await page.locator('.agent', { hasText: 'approval-coder' }).click({ timeout: WAIT });
  const pane = page.locator('.panel-agent .agent-context');
  await pane.locator('dd', { hasText: 'gpt-4o-mini' }).waitFor({ timeout: WAIT });
  assert.match(await pane.innerText(), /read_file, write_file/);
  assert.match(await pane.innerText(), /filesystem \(connected\)/);
  assert.match(await pane.innerText(), /refactor the parser/);
  await shot('context');
  // a change arrives as a DIFF: the pane follows it
  await agent.reportContext({ ...context1, model: 'gpt-4.1', recent_messages: [...context1.recent_messages, { role: 'assistant', content: 'parser split in two' }] });
  await pane.locator('dd', { hasText: 'gpt-4.1' }).waitFor({ timeout: WAIT });
  assert.match(await pane.innerText(), /parser split in two/);
});

test('a pending approval shows in the pane, the agent list and the message list; Approve resolves the agent', async () => {
  let outcome: ApprovalOutcome | undefined;
  const asked = agent.requestApproval('write_file', { path: 'src/parser.ts', bytes: 2048 }).then((o) => (outcome = o));
  const item = page.locator('.panel-agent .approval.pending', { hasText: 'write_file' });
  await item.waitFor({ timeout: WAIT });
  assert.match(await item.innerText(), /src\/parser\.ts/);
  await waitFor(async () => (await page.locator('.agent', { hasText: 'approval-coder' }).locator('.approval-badge').innerText()) === '1', 'the pending badge');
  await page.locator('.row.approval-pending', { hasText: 'pending' }).waitFor({ timeout: WAIT });
  assert.equal((await stats()).pendingApprovals, 1);
  await item.locator('.approval-note').click();
  await page.keyboard.type('looks fine');
  await shot('pending');
  // keyboard, as a person without a mouse would: Tab from the note to Approve, then Enter
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await asked;
  assert.ok(outcome);
  assert.equal(outcome.approved, true);
  assert.equal(outcome.note, 'looks fine');
  assert.match(outcome.decidedBy, /^mon_/, `decided_by names the page's monitor connection: ${outcome.decidedBy}`);
  const decided = page.locator('.panel-agent .approval.resolved', { hasText: 'write_file' });
  await decided.waitFor({ timeout: WAIT });
  assert.match(await decided.innerText(), /approved by/);
  assert.match(await decided.innerText(), /looks fine/);
  await waitFor(async () => (await stats()).pendingApprovals === 0, 'the pending list to empty');
  assert.equal(await page.locator('.agent', { hasText: 'approval-coder' }).locator('.approval-badge').isHidden(), true);
  await page.locator('.row .cell.delivery.approval-approved').first().waitFor({ timeout: WAIT });
  await shot('decided');
  assert.deepEqual(pageErrors, []);
  // the decision is in the hub's log, with who decided
  const logged = hub.log.recent().filter((e) => e.message_type === 'TOOL_APPROVAL_DECISION' && e.direction === 'out');
  assert.ok(logged.some((e) => e.body.decided_by === outcome!.decidedBy), 'the decision to the agent is logged with decided_by');
  assert.ok(agentId);
});
