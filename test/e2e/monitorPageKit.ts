// What the monitor-page e2e files share: the page's own counters, the rows drawn, and a condition poll.
import type { Page } from 'playwright-core';

export type MonitorStats = { visible: number; buffered: number; dropped: number; held: number; agents: number };

export const monitorStats = (page: Page): Promise<MonitorStats> =>
  page.evaluate(() => (globalThis as unknown as { switchboardMonitor: { stats(): MonitorStats } }).switchboardMonitor.stats());

/** Texts of the rows currently drawn (the table is virtualised: only visible rows exist). */
export const drawnRowTexts = (page: Page): Promise<string[]> => page.locator('.rows .row:not([hidden])').allInnerTexts();

/** Polls an async condition every 50 ms until it holds, or fails naming what it waited for. */
export async function waitForCondition(cond: () => Promise<boolean>, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
