// End to end in a real workbench: code-server with this repo as a development extension, driven by Playwright in
// Debian's Chromium the way a newcomer would — open the Switchboard container, start the demo agents from the welcome
// view, send one a message from the command palette, read its reply and status lines in the monitor panel, stop the
// agents and watch them go offline. Screenshots go to test-results/workbench-*.png. Needs `npm run build` first (npm test and npm run test:e2e do it).

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { freePort, makeRunDir, pruneOldRunDirs, repoRoot, sampleMemory } from '../../tools/vscode/codeServer.mjs';
import { closeWorkbench, monitorFrame as monitorFrameOf, openWorkbench, runCommand as runCommandOn, stepper, type Workbench } from './workbenchKit';
import { agentUrlFromHubFile } from '../../src/hub/hubFile';
import { AgentClient } from '../../src/sdk/agentClient';

const RESULTS = join(repoRoot, 'test-results');
const STEP_TIMEOUT = 90_000;

const wb: Workbench = {};
let page: Page;
let runDir = '';
let hubPort = 0;
/** Steps that stop at the first failure (which leaves a screenshot); later steps say they were not reached. */
const { step, failed } = stepper(STEP_TIMEOUT);
let memory: { stop(): number } | undefined;
const started = Date.now();

async function shot(name: string): Promise<void> {
  const file = join(RESULTS, `workbench-${name}.png`);
  await page.screenshot({ path: file });
  console.log(`screenshot: ${file}`);
}

/** Runs a command from the palette (the shared kit, on this file's page). */
const runCommand = (title: string): Promise<void> => runCommandOn(page, title);
/** The monitor panel's document. */
const monitorFrame = (): FrameLocator => monitorFrameOf(page);

before(async () => {
  pruneOldRunDirs();
  mkdirSync(RESULTS, { recursive: true });
  for (const old of ['01-welcome', '02-agents', '03-quick-pick', '04-input', '05-monitor-reply', '06-offline', '07-running-extensions', 'failure']) {
    rmSync(join(RESULTS, `workbench-${old}.png`), { force: true });
  }
  assert.ok(existsSync(join(repoRoot, 'dist/extension.js')), 'dist/extension.js is missing: run `npm run build` first');
  runDir = makeRunDir('e2e');
  memory = sampleMemory();
  hubPort = await freePort();
  page = await openWorkbench(wb, runDir, hubPort);
});

after(async () => {
  if (failed() && wb.page) {
    page = wb.page;
    await shot('failure').catch(() => {});
  }
  await closeWorkbench(wb);
  const peak = memory?.stop();
  console.log(`workbench e2e: ${((Date.now() - started) / 1000).toFixed(1)} s; peak memory of code-server + Chromium ${peak} MiB (sum of PSS)`);
  if (runDir && !failed()) rmSync(runDir, { recursive: true, force: true });
});

step('the Switchboard container opens from the activity bar and its welcome view offers demo agents', async () => {
  const container = page.locator('.activitybar .action-item a[aria-label^="Switchboard"]');
  await container.waitFor({ state: 'visible', timeout: 60_000 });
  await container.click();
  // the welcome for a running hub with no agents yet (the hub started in-process on activation)
  const start = page.locator('.welcome-view-content a.monaco-button', { hasText: 'Start Demo Agents' }).first();
  await start.waitFor({ state: 'visible', timeout: 30_000 });
  await shot('01-welcome');
});

step('the welcome button starts the demo agents and they appear online in the Agents tree', async () => {
  await page.locator('.welcome-view-content a.monaco-button', { hasText: 'Start Demo Agents' }).first().click();
  const agentsView = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Agents' }) });
  for (const name of ['planner', 'researcher', 'coder']) {
    await agentsView.locator('.monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible', timeout: 30_000 });
  }
  await page.locator('.statusbar-item', { hasText: /3 agents/ }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await shot('02-agents');
});

const task = `e2e ${Date.now().toString(36)}`;

/** "Send Message to Agent" from the palette: pick the coder, type the text; `shots` names the two screenshots. */
async function sendToCoder(text: string, shots?: [string, string]): Promise<void> {
  await runCommand('Switchboard: Send Message to Agent');
  const input = page.locator('.quick-input-widget input');
  const coder = page.locator('.quick-input-list .monaco-list-row', { hasText: 'coder' }).first();
  await coder.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill('coder');
  if (shots) await shot(shots[0]);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget', { hasText: 'Message to coder' }).waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(text);
  if (shots) await shot(shots[1]);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
}

step('"Send Message to Agent" from the palette picks the agent and takes the text from an input box', async () => {
  await sendToCoder(task, ['03-quick-pick', '04-input']);
});

step('the monitor panel shows the message and the agent’s reply', async () => {
  await runCommand('Switchboard: Open Monitor');
  const frame = monitorFrame();
  const table = frame.locator('[role="grid"][aria-label="Messages"]');
  await table.waitFor({ state: 'visible', timeout: 30_000 });
  // narrow the table to this conversation so the rows are on screen whatever the demo agents chatter about
  await frame.locator('vscode-textfield[aria-label="Filter text"] input').fill(task);
  const reply = table.locator('.row', { hasText: `Done: "${task}"` }).first();
  await reply.waitFor({ state: 'visible', timeout: 30_000 });
  await table.locator('.row', { hasText: task }).first().waitFor({ state: 'visible' });
  assert.ok((await table.locator('.row', { hasText: task }).count()) >= 2, 'the message and its reply');
  // the coder's latest status line (a step of the task, or a chore after it) shows beside it in the monitor's list
  const coderItem = frame.locator('li.agent', { has: frame.locator('.agent-name', { hasText: /^coder$/ }) });
  await coderItem.locator('.agent-status', { hasText: /^coder: \S/ }).waitFor({ state: 'visible', timeout: 15_000 });
  await shot('05-monitor-reply');
});

step('the Sessions view keeps the conversation under "You": the message and the coder’s reply', async () => {
  const sessions = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Sessions' }) });
  const header = sessions.locator('.pane-header').first();
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
  await sessions.locator('.monaco-list-row', { hasText: /^You/ }).first().waitFor({ state: 'visible', timeout: 15_000 });
  // the message row (its description: "→ coder · replied") and, under it, the reply
  await sessions.locator('.monaco-list-row', { hasText: task }).filter({ hasText: 'replied' }).first().waitFor({ state: 'visible', timeout: 30_000 });
  // the reply comes after the task's status lines (and the coder's chores may add some): in a short pane it is below
  // the fold, and the tree renders only the rows on screen — walk the focus down the tree until it is drawn
  const reply = sessions.locator('.monaco-list-row', { hasText: `Done: "${task}"` }).first();
  await sessions.locator('.monaco-list').first().focus();
  const until = Date.now() + 30_000;
  while (!(await reply.isVisible()) && Date.now() < until) {
    await page.keyboard.press('ArrowDown');
    await reply.waitFor({ state: 'visible', timeout: 200 }).catch(() => undefined);
  }
  await reply.waitFor({ state: 'visible', timeout: 5_000 });
  await shot('05b-sessions-you');
});

step('the monitor panel’s Agent pane shows the coder’s live context and approves its tool call', async () => {
  rmSync(join(RESULTS, 'workbench-05c-monitor-approval.png'), { force: true });
  // a task that changes code: the demo coder asks before it "writes files" (unless its own chore asks already)
  await sendToCoder(`fix ${task}`);
  await runCommand('Switchboard: Open Monitor');
  const frame = monitorFrame();
  await frame.locator('li.agent', { has: frame.locator('.agent-name', { hasText: /^coder$/ }) }).click();
  const pane = frame.locator('.panel-agent');
  await pane.locator('.agent-context .json-tree').waitFor({ state: 'visible', timeout: 15_000 });
  const pending = pane.locator('.approval.pending', { hasText: 'write_file' }).first();
  await pending.waitFor({ state: 'visible', timeout: 30_000 });
  await frame.locator('li.agent .approval-badge', { hasText: /^[1-9]/ }).first().waitFor({ state: 'visible', timeout: 5_000 });
  await shot('05c-monitor-approval');
  await pending.locator('vscode-button.approve').click();
  // decided in this window: the person at VS Code ("You")
  await pane.locator('.approval.resolved.approved', { hasText: 'approved by You' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await shot('05d-monitor-approved');
});

step('stopping the demo agents turns them offline in the tree and in the monitor', async () => {
  await runCommand('Switchboard: Stop Demo Agents');
  const agentsView = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Agents' }) });
  for (const name of ['planner', 'researcher', 'coder']) {
    await agentsView
      .locator('.monaco-list-row', { hasText: name })
      .filter({ has: page.locator('.codicon-circle-outline') })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
  }
  await monitorFrame().getByText('Agents · 0/3 online').waitFor({ state: 'visible', timeout: 15_000 });
  await page.locator('.statusbar-item', { hasText: /0 agents/ }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await shot('06-offline');
});

step('VS Code’s Running Extensions view reports the extension’s activation time', async () => {
  await runCommand('Developer: Show Running Extensions');
  const row = page.locator('.runtime-extensions-editor .monaco-list-row', { hasText: /switchboard/i }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  const text = await row.innerText();
  const ms = /Activation: (\d+)\s*ms/.exec(text)?.[1];
  assert.ok(ms, `no activation time in the row: ${JSON.stringify(text)}`);
  // a figure to read in the output, not a timed assertion (the .vsix budget is 250 ms; see the issue)
  console.log(`activation time reported by VS Code (code loading + activate()): ${ms} ms`);
  await shot('07-running-extensions');
});

step('"Reconstruct Agent Context" from the palette (offline agents first) shows the report in the monitor', async () => {
  for (const old of ['08-reconstruct-pick', '09-reconstruction', '10-reconstruction-summarise', '11-reconstruct-context-menu', '12-first-approval-row']) rmSync(join(RESULTS, `workbench-${old}.png`), { force: true });
  // a fresh demo fleet: its agents are the peers asked about the stopped coder (they answer REQUEST_CONTEXT)
  await runCommand('Switchboard: Start Demo Agents');
  await page.locator('.statusbar-item', { hasText: /3 agents/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
  await runCommand('Switchboard: Reconstruct Agent Context');
  const input = page.locator('.quick-input-widget input');
  await page.locator('.quick-input-widget input[placeholder*="offline agents first"]').waitFor({ state: 'visible', timeout: 10_000 });
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'coder' }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill('coder');
  await shot('08-reconstruct-pick');
  await page.keyboard.press('Enter');
  const frame = monitorFrame();
  const pane = frame.locator('section.reconstruction');
  await pane.locator('.rc-title', { hasText: 'Reconstruction of' }).waitFor({ state: 'visible', timeout: 30_000 });
  // the person's task to the coder and its reply come from the hub's own log, whoever else answered
  await pane.locator('.rc-timeline .rc-row', { hasText: task }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await pane.locator('.rc-peers-figures', { hasText: /[1-9]\d* queried · [1-9]\d* answered · \d+ silent/ }).waitFor({ state: 'visible' });
  await shot('09-reconstruction');
  // code-server has no language model: the Summarise button says so instead of sending anything
  await pane.locator('vscode-button[data-action="summarise"]').click();
  await frame.locator('.toast', { hasText: 'No language model is available' }).waitFor({ state: 'visible', timeout: 15_000 });
  await shot('10-reconstruction-summarise');

  // the webview is torn down while its tab is hidden; shown again, it comes back to the report it was showing
  await runCommand('Developer: Show Running Extensions');
  await page.locator('.runtime-extensions-editor').first().waitFor({ state: 'visible', timeout: 15_000 });
  await runCommand('Switchboard: Open Monitor');
  await pane.locator('.rc-title', { hasText: 'Reconstruction of' }).waitFor({ state: 'visible', timeout: 30_000 });

  // the offline coder's context menu in the Agents view does the same
  await frame.locator('vscode-button.rc-open').click();
  await pane.waitFor({ state: 'hidden', timeout: 5_000 });
  const agentsView = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Agents' }) });
  // an agent of the test's own, with no activity yet: its row has nothing to expand
  const agentUrl = agentUrlFromHubFile(hubPort, join(runDir, 'hub-file'));
  assert.ok(agentUrl, 'no hub file for the window\'s hub');
  const asker = new AgentClient({ url: agentUrl, name: 'e2e-asker', reconnect: false });
  try {
    await asker.connect();
    const askerRow = agentsView.locator('.monaco-list-row', { hasText: 'e2e-asker' }).first();
    await askerRow.waitFor({ state: 'visible', timeout: 15_000 });
    const expandable = askerRow.locator('.monaco-tl-twistie.collapsible');
    assert.equal(await expandable.count(), 0, 'the new agent\'s row has nothing to expand yet');
    const offlineCoder = agentsView
      .locator('.monaco-list-row', { hasText: 'coder' })
      .filter({ has: page.locator('.codicon-circle-outline') })
      .first();
    await offlineCoder.click({ button: 'right' });
    const item = page.locator('.monaco-menu .action-item', { hasText: 'Reconstruct Agent Context' }).first();
    await item.waitFor({ state: 'visible', timeout: 10_000 });
    // With the menu open, another agent's row gains its first child (an approval): what happened to the online coder in
    // the run where this step failed. That used to refresh the whole tree, and VS Code forgets every row handle until it
    // has fetched the rows again, so the menu's command could get no row. Now that row alone is redrawn — and VS Code
    // gives it its twistie — while the coder's row keeps its handle.
    void asker.requestApproval('write_file', { path: 'e2e.txt' }).catch(() => {});
    await expandable.waitFor({ state: 'visible', timeout: 15_000 });
    await shot('11-reconstruct-context-menu');
  // Chosen with the keyboard, not a click: VS Code's menu items listen for mouseup only from 100 ms after they render
  // (so the right-click's own mouseup cannot pick one), and on a busy machine the click landed inside that window — the
  // menu stayed open, the command never ran, and the step found the earlier report still hidden. Enter on the focused
  // item has no such window; the pointer only moves the focus onto the item, which we wait to see.
    await item.hover();
    await page.locator('.monaco-menu .action-item.focused', { hasText: 'Reconstruct Agent Context' }).waitFor({ state: 'visible', timeout: 5_000 });
    await page.keyboard.press('Enter');
    await pane.locator('.rc-title', { hasText: 'Reconstruction of coder' }).waitFor({ state: 'visible', timeout: 30_000 });
    // the redrawn row expands to its approval
    await askerRow.locator('.monaco-tl-twistie').click();
    await agentsView.locator('.monaco-list-row', { hasText: 'Pending approvals' }).first().waitFor({ state: 'visible', timeout: 10_000 });
    await shot('12-first-approval-row');
  } finally {
    await asker.close();
  }
});
