// End to end on the hub's /monitor page in Debian's Chromium, seed 004 topics: an SDK agent publishes on a topic
// (a front-end of its namespace subscribes), the page's topic picker narrows the table to that topic, "Load older"
// pages the topic's history backwards from the hub (HISTORY before_id over the page's own socket) in order, and a
// reply opens its topic thread in the sequence diagram. The toolbar stays one line at 600–800 px with the picker
// and the button shown. Screenshot: /work/screens/topicsui-after.png (and test-results/monitor-topics-*.png).
// Needs `npm run build` first (npm test and npm run test:e2e do it).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { Hub } from '../../src/hub/hub';
import { AgentClient } from '../../src/sdk/agentClient';
import { TopicClient, TopicFrontendClient } from '../../src/sdk/topicsClient';
import type { StoredTopicMessageT } from '../../src/protocol/topics';
import { launchChromium, makeRunDir, repoRoot } from '../../tools/vscode/codeServer.mjs';
import { drawnRowTexts, monitorStats, waitForCondition, type MonitorStats } from './monitorPageKit';

const RESULTS = join(repoRoot, 'test-results');
const SCREENS = '/work/screens';
const WEBVIEW_DIR = join(repoRoot, 'dist', 'webview');
const WAIT = 20_000;
/** Published before the page looks: more than one "Load older" page (100) so the button is pressed twice. */
const OLD = 130;

let hub: Hub;
let runDir = '';
let context: BrowserContext;
let page: Page;
let agent: AgentClient;
let topics: TopicClient;
let ui: TopicFrontendClient;
const pageErrors: string[] = [];

const stats = (): Promise<MonitorStats> => monitorStats(page);
const rowTexts = (): Promise<string[]> => drawnRowTexts(page);

const waitFor = (cond: () => Promise<boolean>, what: string, ms = WAIT): Promise<void> => waitForCondition(cond, what, ms);

async function shot(name: string, also?: string): Promise<void> {
  const file = join(RESULTS, `monitor-topics-${name}.png`);
  await page.screenshot({ path: file });
  if (also) await page.screenshot({ path: also });
  console.log(`screenshot: ${file}${also ? ` and ${also}` : ''}`);
}

/** The first rows drawn once the table is scrolled to its top (the table is virtualised). */
async function topRows(): Promise<string[]> {
  await page.locator('.scroller').evaluate((s) => {
    s.scrollTop = 0;
    s.dispatchEvent(new Event('scroll'));
  });
  let rows: string[] = [];
  await waitFor(async () => (rows = await rowTexts()).length > 0, 'rows at the top');
  return rows;
}

before(async () => {
  mkdirSync(RESULTS, { recursive: true });
  mkdirSync(SCREENS, { recursive: true });
  assert.ok(existsSync(join(WEBVIEW_DIR, 'monitor.js')), 'dist/webview/monitor.js is missing: run `npm run build` first');
  hub = new Hub({ port: 0, host: '127.0.0.1' }, { webviewDir: WEBVIEW_DIR });
  await hub.start();
  agent = new AgentClient({ url: hub.agentUrl, name: 'newsroom', namespace: 'crew', reconnect: false });
  await agent.connect();
  topics = new TopicClient(agent);
  ui = new TopicFrontendClient({ url: hub.agentUrl, name: 'crew-desk', namespace: 'crew', reconnect: false });
  await ui.connect();
  for (let n = 1; n <= OLD; n++) await topics.publish('news', { text: `old ${String(n).padStart(3, '0')}` });

  runDir = makeRunDir('monitor-topics-e2e');
  context = await launchChromium(join(runDir, 'chromium'), { viewport: { width: 1400, height: 820 } });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  await context?.close().catch(() => undefined);
  await ui?.close();
  await agent?.close();
  await hub?.stop('e2e done');
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

let question: StoredTopicMessageT;

test('topic messages show their topic, and the topic picker narrows the table to it', async () => {
  await page.goto(hub.monitorUrl);
  await waitFor(async () => /running/.test(await page.locator('.hub-badge').innerText()), 'the hub badge to say running');
  await waitFor(async () => (await stats()).buffered > 0, 'the backlog');
  // the old messages leave the screen (the hub keeps them): only Load older brings them back
  await page.locator('vscode-button[aria-label="Clear"]').click();
  await waitFor(async () => (await stats()).visible === 0, 'a cleared table');

  const got: StoredTopicMessageT[] = [];
  await ui.topics.subscribe('news', (m) => void got.push(m));
  [question] = await topics.publish('news', { text: 'who covers the launch?' });
  await topics.publish('weather', { text: 'rain at noon' });
  await ui.topics.publish('news', { text: 'the desk covers it' }, { thread: [question!.id], in_response_to: question!.id });
  await waitFor(async () => got.length === 2, 'the subscriber to get both news messages');
  await waitFor(async () => (await rowTexts()).some((t) => t.includes('on crew:news (reply to')), 'the reply row');
  const rows = await rowTexts();
  assert.ok(rows.some((t) => t.includes('on crew:news: who covers the launch?')), `a TOPIC_MESSAGE row names its topic: ${rows.join(' | ')}`);
  assert.ok(rows.some((t) => t.includes('publish on weather: rain at noon')), 'the PUBLISH row names its topic');

  const picker = page.locator('vscode-single-select.topic-filter');
  await picker.waitFor({ state: 'visible', timeout: WAIT });
  await picker.click();
  await picker.getByRole('option', { name: 'crew:news', exact: true }).click();
  await waitFor(async () => {
    const shown = await rowTexts();
    return shown.length > 0 && shown.every((t) => t.includes('news')) && !shown.some((t) => t.includes('weather'));
  }, 'only news rows');
  await page.locator('.older').waitFor({ state: 'visible', timeout: WAIT });
  await shot('01-filtered');
});

test('Load older pages the topic backwards from the hub, in order, until its beginning', async () => {
  const before = (await stats()).visible;
  await page.locator('.older').click();
  // + 2: the page's own HISTORY and the hub's HISTORY_RESPONSE are rows of that topic too
  await waitFor(async () => (await stats()).visible === before + 100 + 2, 'a page of 100 older messages').catch(async (err: unknown) => {
    throw new Error(`${String(err)}: ${before} → ${(await stats()).visible} rows`);
  });
  let top = await topRows();
  assert.match(top[0]!, new RegExp(`old ${String(OLD - 99).padStart(3, '0')}`), `the page's oldest first: ${top.slice(0, 3).join(' | ')}`);
  assert.match(top[1]!, new RegExp(`old ${String(OLD - 98).padStart(3, '0')}`));
  await page.locator('.older').click();
  await waitFor(async () => (await stats()).visible === before + OLD + 4, 'the rest of the topic');
  top = await topRows();
  assert.match(top[0]!, /old 001/);
  assert.match(top[1]!, /old 002/);
  await waitFor(async () => (await page.locator('.older').getAttribute('disabled')) !== null, 'Load older to give up at the beginning');
  await shot('02-older');
});

test('a topic reply opens its thread in the sequence diagram', async () => {
  await page.locator('.rows .row', { hasText: 'on crew:news (reply to' }).first().click().catch(async () => {
    // the reply is the newest row: scroll there if the older pages pushed it out of view
    await page.locator('.scroller').evaluate((s) => (s.scrollTop = s.scrollHeight));
    await page.locator('.rows .row', { hasText: 'on crew:news (reply to' }).first().click();
  });
  await page.locator('vscode-button', { hasText: 'Show thread' }).click();
  const diagram = page.locator('svg.sequence');
  await diagram.waitFor({ timeout: WAIT });
  assert.equal(await diagram.locator('g.msg').count(), 2, 'question and reply, one arrow each (PUBLISH and TOPIC_MESSAGE folded)');
  const labels = await diagram.locator('.lane-label').allTextContents();
  assert.ok(labels.some((l) => l.includes('crew:news')), `the topic is a lane: ${labels.join(', ')}`);
  await shot('03-thread', join(SCREENS, 'topicsui-after.png'));
});

test('at 600–800 px the toolbar with the topic picker and Load older is one line', async () => {
  await page.keyboard.press('Escape');
  for (const width of [600, 700, 800]) {
    await page.setViewportSize({ width, height: 600 });
    await waitFor(async () => (await rowTexts()).length > 0, 'rows at the new width');
    const fit = (await page.evaluate(`(() => {
      const bar = document.querySelector('.toolbar');
      const items = [...bar.children].filter((c) => c.getBoundingClientRect().width > 0);
      const firstBottom = Math.min(...items.map((c) => c.getBoundingClientRect().bottom));
      return {
        shown: items.map((c) => c.className || c.tagName).filter((n) => /topic-filter|older/.test(n)),
        wrapped: items.filter((c) => c.getBoundingClientRect().top >= firstBottom).map((c) => c.className || c.tagName),
        outside: items.filter((c) => c.getBoundingClientRect().right > innerWidth + 0.5).map((c) => (c.className || c.tagName) + ' ends at ' + Math.round(c.getBoundingClientRect().right)),
      };
    })()`)) as { shown: string[]; wrapped: string[]; outside: string[] };
    assert.deepEqual(fit, { shown: ['topic-filter', 'older'], wrapped: [], outside: [] }, `at ${width} px`);
  }
  await shot('04-narrow');
  await page.setViewportSize({ width: 1400, height: 820 });
  assert.deepEqual(pageErrors, []);
});
