// End to end, issue 20's monitor part on the hub's /monitor page in Debian's Chromium: a person opens a delivered
// message's row and presses "Break on messages like this"; the hub holds the next message like it (the row is
// marked held and the agent has not got it), Continue delivers it to the agent, and the breakpoint is removed from
// the page's list. Needs `npm run build` first (npm test and npm run test:e2e do it).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { Hub } from '../../src/hub/hub';
import { AgentClient } from '../../src/sdk/agentClient';
import { launchChromium, makeRunDir, repoRoot } from '../../tools/vscode/codeServer.mjs';
import { waitForCondition } from './monitorPageKit';

const SCREENS = existsSync('/work/screens') ? '/work/screens' : join(repoRoot, 'test-results');
const WEBVIEW_DIR = join(repoRoot, 'dist', 'webview');
const WAIT = 20_000;

let hub: Hub;
let sender: AgentClient;
let receiver: AgentClient;
let receiverId = '';
const received: string[] = [];
let page: Page;
let context: BrowserContext;
let runDir = '';
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  const file = join(SCREENS, `dbgui-${name}.png`);
  await page.screenshot({ path: file });
  console.log(`screenshot: ${file}`);
}

before(async () => {
  mkdirSync(SCREENS, { recursive: true });
  assert.ok(existsSync(join(WEBVIEW_DIR, 'monitor.js')), 'dist/webview/monitor.js is missing: run `npm run build` first');
  hub = new Hub({ port: 0, host: '127.0.0.1' }, { webviewDir: WEBVIEW_DIR });
  await hub.start();
  receiver = new AgentClient({ url: hub.agentUrl, name: 'dbg-receiver' });
  receiverId = (await receiver.connect()).agent_id;
  receiver.onMessage((m) => {
    if (typeof m.text_payload === 'string') received.push(m.text_payload);
  });
  sender = new AgentClient({ url: hub.agentUrl, name: 'dbg-sender' });
  await sender.connect();

  runDir = makeRunDir('monitor-debugger-e2e');
  context = await launchChromium(join(runDir, 'chromium'), { viewport: { width: 1300, height: 800 } });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  await context?.close().catch(() => undefined);
  await sender?.close().catch(() => undefined);
  await receiver?.close().catch(() => undefined);
  await hub?.stop('e2e done');
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

test('a breakpoint set from a row holds the next such message, shown held; Continue delivers it', async () => {
  await page.goto(hub.monitorUrl);
  // the page attaches to the hub's debugger once registered (it is a debugger client: DEBUG_STATE was sent to it)
  await page.locator('.agent', { hasText: 'dbg-receiver' }).waitFor({ timeout: WAIT });

  await sender.send(receiverId, 'first refund request');
  await waitForCondition(async () => received.includes('first refund request'), 'the first message delivered', WAIT);
  const firstRow = page.locator('.rows .row', { hasText: 'first refund request' }).first();
  await firstRow.click({ timeout: WAIT });
  const breakLike = page.locator('.panel-message .break-like');
  await breakLike.waitFor({ timeout: WAIT });
  await breakLike.click();
  // the hub has the page's breakpoint, verified, and the page lists it
  await waitForCondition(async () => hub.debugger.breakpointInfos().some((b) => b.verified && b.filter.startsWith('type:TEXT')), 'the breakpoint in the hub', WAIT);
  const bp = page.locator('.panel-message .breakpoint', { hasText: 'type:TEXT' });
  await bp.waitFor({ timeout: WAIT });
  assert.match(await bp.innerText(), /to:/);

  await sender.send(receiverId, 'second refund request');
  const heldRow = page.locator('.rows .row.debug-held', { hasText: 'second refund request' });
  await heldRow.waitFor({ timeout: WAIT });
  assert.match(await heldRow.locator('.cell.delivery').innerText(), /held/);
  assert.equal(hub.debugger.heldCount(), 1);
  assert.ok(!received.includes('second refund request'), 'a held message is not delivered');
  // the status bar counts it and opens it
  const status = page.locator('.statusbar .debug-status');
  await waitForCondition(async () => /1 held · 1 breakpoint\b/.test(await status.innerText()), 'the status bar to count the held message', WAIT);
  await status.click();
  const cont = page.locator('.panel-message .held-box .held-continue');
  await cont.waitFor({ timeout: WAIT });
  await shot('held');
  // keyboard, as a person without a mouse would: focus Continue, then Enter
  await cont.focus();
  await page.keyboard.press('Enter');
  await waitForCondition(async () => received.includes('second refund request'), 'the held message delivered after Continue', WAIT);
  assert.equal(hub.debugger.heldCount(), 0);
  // rows are pooled, not removed: the mark is a class that goes
  await waitForCondition(async () => (await page.locator('.rows .row.debug-held').count()) === 0, 'the held mark to go', WAIT);
  await page.locator('.panel-message .held-box').waitFor({ state: 'detached', timeout: WAIT });

  // the breakpoint is removed from the page's list, and the hub forgets it
  await page.locator('.panel-message .breakpoint-remove').first().click();
  await waitForCondition(async () => hub.debugger.breakpointInfos().length === 0, 'the breakpoint removed in the hub', WAIT);
  await sender.send(receiverId, 'third refund request');
  await waitForCondition(async () => received.includes('third refund request'), 'the third message delivered without a hold', WAIT);
  await shot('released');
  assert.deepEqual(pageErrors, []);
});
