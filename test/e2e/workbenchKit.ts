// Plumbing shared by the code-server e2e files that drive the VS Code workbench with playwright-core: the command
// palette, the monitor panel's frame, and steps that stop at the first failure with a screenshot.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { BrowserContext, FrameLocator, Page } from 'playwright-core';
import { launchChromium, repoRoot, startCodeServer, workbenchUrl, type CodeServer } from '../../tools/vscode/codeServer.mjs';

/** What a workbench e2e file opened, for its `after` to close — whatever got started, even when a later part failed. */
export interface Workbench {
  server?: CodeServer;
  context?: BrowserContext;
  page?: Page;
}

/**
 * code-server with this repo as a development extension, the window's hub on `hubPort` with 3 demo agents (the hub
 * file under runDir/hub-file), then Chromium on its workbench with runDir/workspace open.
 */
export async function openWorkbench(wb: Workbench, runDir: string, hubPort: number): Promise<Page> {
  wb.server = await startCodeServer({
    runDir,
    settings: { 'switchboard.hub.port': hubPort, 'switchboard.demo.count': 3 },
    env: { SWITCHBOARD_HUB_FILE_DIR: join(runDir, 'hub-file') },
  });
  wb.context = await launchChromium(join(runDir, 'chromium'));
  const page = (wb.page = wb.context.pages()[0] ?? (await wb.context.newPage()));
  page.on('pageerror', (e) => console.error(`[browser] page error: ${e.message}`));
  // generous: the workbench page's load took over the default 30 s on a loaded machine
  await page.goto(workbenchUrl(wb.server, { folder: join(runDir, 'workspace'), extensionDevelopmentPath: repoRoot }), { timeout: 120_000 });
  return page;
}

/** Closes what openWorkbench started. */
export async function closeWorkbench(wb: Workbench): Promise<void> {
  await wb.context?.close().catch(() => {});
  await wb.server?.stop().catch(() => {});
}

/** Runs a command from the palette: F1, type its title, click its row — retried, a late editor can steal focus. */
export async function runCommand(page: Page, title: string): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      // Escape only to dismiss a leftover quick input or menu: pressed while the monitor has the focus it would be the
      // monitor's own Escape (e.g. closing the Reconstruction pane)
      if (await page.locator('.quick-input-widget:visible, .monaco-menu:visible').count()) await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      await input.fill(`>${title}`);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      await row.waitFor({ state: 'visible', timeout: 5_000 });
      // a click, not Enter: Enter sometimes lands while the palette re-sorts ("similar commands") and runs nothing
      await row.click();
      // The palette took the command once it is gone: hidden, or replaced by the command's own quick input (an agent
      // picker reuses the same widget at once, so on a busy machine the widget was never seen hidden and the step
      // timed out with the picker on screen). `>` is the palette's prefix; a command's picker starts empty.
      await page.waitForFunction(
        `(() => { const w = document.querySelector('.quick-input-widget'); return !w || !w.checkVisibility() || !w.querySelector('input')?.value.startsWith('>'); })()`,
        undefined,
        { timeout: 5_000 },
      );
      return;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`could not run "${title}" from the command palette: ${String(lastError)}`);
}

/** The monitor panel's document: the webview element, then its active frame, two iframes deep. */
export function monitorFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** Steps of one scenario: the first failure is remembered (for the closing screenshot) and later steps say they were not reached. */
export function stepper(timeoutMs: number): { step(name: string, body: () => Promise<void>): void; failed(): boolean } {
  let failed = false;
  return {
    failed: () => failed,
    step(name, body) {
      test(name, { timeout: timeoutMs }, async () => {
        assert.ok(!failed, 'an earlier step failed');
        try {
          await body();
        } catch (err) {
          failed = true;
          throw err;
        }
      });
    },
  };
}
