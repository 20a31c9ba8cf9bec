// End to end, issue 20's "done when" in a real workbench: code-server with this repo as a development extension, driven
// by Playwright in Debian's Chromium the way a developer would. Open Run and Debug, start the "Debug Agents"
// configuration, add a function breakpoint in the Breakpoints view, send the coder a message: the coder's thread stops
// in the Call Stack ("Paused on breakpoint"), the Variables view edits the message's text (Set Value), the monitor
// shows the message held by Debug Agents' breakpoint (another owner's, read-only there), F5 continues, and the coder
// answers the edited text (read in the monitor panel). Two windows run it: one that runs the hub in process (the
// configuration starts the demo fleet), and one attached to `switchboard demo --with-hub` in another process (as in a
// terminal), which debugs that hub over the wire. Screenshots go to test-results/<prefix>-*.png. Needs `npm run build`.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { freePort, makeRunDir, pruneOldRunDirs, repoRoot } from '../../tools/vscode/codeServer.mjs';
import { closeWorkbench, monitorFrame, openWorkbench, runCommand, stepper, type Workbench } from './workbenchKit';

export interface DebuggerScenarioOptions {
  /** Screenshot prefix (test-results/<prefix>-NN-….png). */
  prefix: string;
  /** The window attaches to a hub in another process instead of running its own. */
  attached: boolean;
}

/** `switchboard demo --with-hub` on this port, as a developer runs it in a terminal; resolves when its fleet is online. */
async function terminalHub(port: number, hubFileDir: string): Promise<{ child: ChildProcess; hubId: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'dist/cli.js'), 'demo', '--with-hub', '--port', String(port), '--count', '3', '--chaos', 'off', '--no-user', '--quiet'], {
    env: { ...process.env, SWITCHBOARD_HUB_FILE_DIR: hubFileDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (/demo agents? online/.test(out)) resolve();
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', (code) => reject(new Error(`switchboard demo --with-hub exited with ${String(code)}: ${out}`)));
  });
  const hubId = /hub (hub_[0-9a-f]+) ready/.exec(out)?.[1];
  assert.ok(hubId, `no hub id in: ${out}`);
  return { child, hubId };
}

export function debuggerScenario(opts: DebuggerScenarioOptions): void {
  const RESULTS = join(repoRoot, 'test-results');
  // generous: CI's 2 cores run code-server, Chromium, the extension host and the demo fleet at once
  const { step, failed } = stepper(120_000);
  const WAIT = 60_000;

  const wb: Workbench = {};
  let page: Page;
  let runDir = '';
  let terminal: { child: ChildProcess; hubId: string } | undefined;
  let hubPort = 0;

  const token = `dbg${Date.now().toString(36)}`;
  const original = `${token} original wording`;
  const edited = `${token} edited in Variables`;
  const filter = `to:coder text:${token}`;

  async function shot(name: string): Promise<void> {
    const file = join(RESULTS, `${opts.prefix}-${name}.png`);
    await page.screenshot({ path: file });
    console.log(`screenshot: ${file}`);
  }

  /** A view pane of the side bar by its header's title. */
  function pane(title: string): Locator {
    return page.locator('.pane', { has: page.locator('.pane-header', { hasText: title }) });
  }

  before(async () => {
    pruneOldRunDirs();
    mkdirSync(RESULTS, { recursive: true });
    assert.ok(existsSync(join(repoRoot, 'dist/extension.js')), 'dist/extension.js is missing: run `npm run build` first');
    runDir = makeRunDir(opts.attached ? 'e2e-debugger-attached' : 'e2e-debugger');
    hubPort = await freePort();
    // attached: the hub and its demo fleet run in another process on the window's port, so the window attaches to it
    if (opts.attached) terminal = await terminalHub(hubPort, join(runDir, 'hub-file'));
    // the launch configuration a developer gets from the debug type's snippet; in a window that runs its hub, with the
    // demo fleet started on launch
    mkdirSync(join(runDir, 'workspace/.vscode'), { recursive: true });
    const config = { type: 'switchboard', request: 'attach', name: 'Debug Agents', ...(opts.attached ? {} : { demo: true }) };
    writeFileSync(join(runDir, 'workspace/.vscode/launch.json'), JSON.stringify({ version: '0.2.0', configurations: [config] }, null, 2));
    page = await openWorkbench(wb, runDir, hubPort);
  });

  after(async () => {
    if (failed() && wb.page) {
      page = wb.page;
      await shot('failure').catch(() => {});
    }
    await closeWorkbench(wb);
    if (terminal && terminal.child.exitCode === null) {
      const exited = new Promise((r) => terminal!.child.once('exit', r));
      terminal.child.kill('SIGTERM');
      await exited;
    }
    if (runDir && !failed()) rmSync(runDir, { recursive: true, force: true });
  });

  step('Run and Debug offers the "Debug Agents" configuration from launch.json', async () => {
    // the extension is up once its container is in the activity bar (the hub starts in process on activation)
    await page.locator('.activitybar .action-item a[aria-label^="Switchboard"]').waitFor({ state: 'visible', timeout: WAIT });
    // and its hub running (or attached) before a debug session starts: in code-server, starting one reloads the
    // configuration without the user settings (the hub port here), and an extension activated after that looks for
    // its hub on the default port. A person starts debugging once the status bar shows the hub; so does this test.
    const hubItem = page.locator('.statusbar-item', { hasText: opts.attached ? /\b3 agents \(attached\)/ : /\d+ agents?\b/ });
    await hubItem.first().waitFor({ state: 'visible', timeout: WAIT });
    await runCommand(page, 'View: Show Run and Debug');
    await page.locator('.debug-viewlet, .part.sidebar', { hasText: 'Debug Agents' }).first().waitFor({ state: 'visible', timeout: WAIT });
    await shot('01-run-and-debug');
  });

  step('starting it brings up the demo agents as threads in the Call Stack', async () => {
    await page.locator('.part.sidebar .codicon-debug-start').first().click();
    const callStack = pane('Call Stack');
    await page.locator('.debug-toolbar').first().waitFor({ state: 'visible', timeout: WAIT });
    for (const name of ['planner', 'researcher', 'coder']) {
      await callStack.locator('.monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible', timeout: WAIT });
    }
    if (terminal) {
      // the threads are the terminal's agents: the window attached to that hub (one hub on the port, not a rival)
      const health = (await (await fetch(`http://127.0.0.1:${hubPort}/healthz`)).json()) as { hub_id: string; monitors: number };
      assert.equal(health.hub_id, terminal.hubId);
      assert.ok(health.monitors >= 2, `the window's monitor and its Debug Agents connection: ${JSON.stringify(health)}`);
    }
    await shot('02-threads');
  });

  step('a function breakpoint added in the Breakpoints view is a message filter', async () => {
    // the + in the Breakpoints view's header (its actions show while the pointer is over the header)
    const breakpoints = pane('Breakpoints');
    await breakpoints.locator('.pane-header').hover();
    await breakpoints.locator('.pane-header .action-label[aria-label="Add Function Breakpoint"]').click({ timeout: WAIT });
    const input = breakpoints.locator('.monaco-list-row .monaco-inputbox input').first();
    await input.waitFor({ state: 'visible', timeout: WAIT });
    await input.fill(filter);
    await input.press('Enter');
    await breakpoints.locator('.monaco-list-row', { hasText: filter }).first().waitFor({ state: 'visible', timeout: WAIT });
    await shot('03-breakpoint');
  });

  step('a message to the coder that matches stops the coder’s thread, the message on top of its stack', async () => {
    await runCommand(page, 'Switchboard: Send Message to Agent');
    const input = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'coder' }).first().waitFor({ state: 'visible', timeout: WAIT });
    await input.fill('coder');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget', { hasText: 'Message to coder' }).waitFor({ state: 'visible', timeout: WAIT });
    await input.fill(original);
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: WAIT });

    const callStack = pane('Call Stack');
    await callStack
      .locator('.monaco-list-row', { hasText: 'coder' })
      .filter({ hasText: /paused on breakpoint/i })
      .first()
      .waitFor({ state: 'visible', timeout: WAIT });
    // the held message is the top frame of the coder's thread, opened and picked by VS Code (its source is the message
    // as JSON, shown in an editor), so the Variables view has its fields without a click
    const frame = callStack.locator('.monaco-list-row', { hasText: `held: TEXT You → coder: ${original}` }).first();
    await frame.waitFor({ state: 'visible', timeout: WAIT });
    await page.locator('.tab', { hasText: '(as held).json' }).first().waitFor({ state: 'visible', timeout: WAIT });
    await shot('04-paused');
  });

  step('the Variables view shows the held message’s fields and Set Value edits its text', async () => {
    const variables = pane('Variables');
    const textRow = variables.locator('.monaco-list-row', { hasText: 'text_payload' }).first();
    await textRow.waitFor({ state: 'visible', timeout: WAIT });
    assert.match(await textRow.innerText(), new RegExp(original));
    await textRow.click({ button: 'right' });
    const setValue = page.locator('.monaco-menu .action-item', { hasText: 'Set Value' }).first();
    await setValue.waitFor({ state: 'visible', timeout: WAIT });
    // keyboard, not a click: a menu item ignores the mouseup of the right-click that opened it for its first 100 ms
    await setValue.hover();
    await page.locator('.monaco-menu .action-item.focused', { hasText: 'Set Value' }).waitFor({ state: 'visible', timeout: WAIT });
    await page.keyboard.press('Enter');
    const editor = variables.locator('.monaco-list-row .monaco-inputbox input').first();
    await editor.waitFor({ state: 'visible', timeout: WAIT });
    await editor.fill(JSON.stringify(edited));
    await editor.press('Enter');
    await variables.locator('.monaco-list-row', { hasText: 'text_payload' }).filter({ hasText: edited }).first().waitFor({ state: 'visible', timeout: WAIT });
    await shot('05-edited');
  });

  step("the monitor shows the message held by Debug Agents' breakpoint, and that breakpoint read-only", async () => {
    // the panel keeps breakpoints of its own; Debug Agents' are another owner's, listed under their owner's name
    await runCommand(page, 'Switchboard: Open Monitor');
    const frame = monitorFrame(page);
    const table = frame.locator('[role="grid"][aria-label="Messages"]');
    await table.waitFor({ state: 'visible', timeout: WAIT });
    await frame.locator('vscode-textfield[aria-label="Filter text"] input').fill(token);
    await table.locator('.row.debug-held', { hasText: original }).first().waitFor({ state: 'visible', timeout: WAIT });
    // the status bar's "1 held" opens the first held message (a row's own click can land on the scroller above it)
    await frame.locator('.statusbar .debug-status', { hasText: '1 held' }).click({ timeout: WAIT });
    const byOther = frame.locator('.panel-message .held-box .held-by-other');
    await byOther.waitFor({ state: 'visible', timeout: WAIT });
    assert.match(await byOther.innerText(), new RegExp(`By the breakpoint of Debug Agents in VS Code.*: ${filter}`));
    const theirs = frame.locator('.panel-message .breakpoint.other', { hasText: filter });
    await theirs.waitFor({ state: 'visible', timeout: WAIT });
    assert.match(await theirs.innerText(), /Debug Agents in VS Code/);
    await shot('05b-monitor-held');
  });

  step('F5 continues: the coder’s thread runs again and the coder answers the edited text', async () => {
    // the focus on the Call Stack (not an input): F5 is the workbench's Continue while a thread is stopped
    await pane('Call Stack').locator('.monaco-list-row', { hasText: 'coder' }).first().click();
    await page.keyboard.press('F5');
    await pane('Call Stack')
      .locator('.monaco-list-row', { hasText: 'coder' })
      .filter({ hasText: /paused on breakpoint/i })
      .waitFor({ state: 'hidden', timeout: WAIT });

    await runCommand(page, 'Switchboard: Open Monitor');
    const frame = monitorFrame(page);
    const table = frame.locator('[role="grid"][aria-label="Messages"]');
    await table.waitFor({ state: 'visible', timeout: WAIT });
    await frame.locator('vscode-textfield[aria-label="Filter text"] input').fill(token);
    await table.locator('.row', { hasText: `Done: "${edited}"` }).first().waitFor({ state: 'visible', timeout: WAIT });
    assert.equal(await table.locator('.row', { hasText: `Done: "${original}"` }).count(), 0, 'the coder never saw the original text');
    // starting the configuration while the window's hub was still starting once failed "Start Demo Agents" (an error toast stays)
    assert.equal(await page.locator('.notification-toast', { hasText: 'Start Demo Agents failed' }).count(), 0, 'no failed start of the demo fleet');
    await shot('06-answer');
  });
}
