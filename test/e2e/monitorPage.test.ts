// End to end on the hub's own /monitor page in Debian's Chromium: a Hub in-process, a raw `ws` agent and a raw
// front-end talk; the page shows their rows, filters them, draws their thread, pauses, sends a message to the
// agent as a monitor, and keeps its filter across a reload — all under the strict CSP (no violations).
// Screenshots go to test-results/monitor-*.png. Needs `npm run build` first (npm test and npm run test:e2e do it).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { BrowserContext, Page } from 'playwright-core';
import { Hub } from '../../src/hub/hub';
import { launchChromium, makeRunDir, repoRoot } from '../../tools/vscode/codeServer.mjs';
import { drawnRowTexts, monitorStats, waitForCondition, type MonitorStats } from './monitorPageKit';

const RESULTS = join(repoRoot, 'test-results');
const WEBVIEW_DIR = join(repoRoot, 'dist', 'webview');
const WAIT = 20_000;

let hub: Hub;
let runDir = '';
let context: BrowserContext;
let page: Page;
let agent: RawClient;
let frontend: RawClient;
const cspViolations: string[] = [];
const pageErrors: string[] = [];

/** A raw seed-style client: JSON frames over `ws`, every frame kept for assertions. */
class RawClient {
  readonly frames: Record<string, unknown>[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(JSON.parse(String(data)) as Record<string, unknown>));
  }
  static async open(url: string): Promise<RawClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RawClient(ws);
  }
  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }
  async next(pred: (f: Record<string, unknown>) => boolean, ms = WAIT): Promise<Record<string, unknown>> {
    const end = Date.now() + ms;
    for (;;) {
      const f = this.frames.find(pred);
      if (f) return f;
      if (Date.now() > end) throw new Error(`no matching frame within ${ms} ms; got ${this.frames.map((x) => x.message_type).join(',')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

async function shot(name: string): Promise<void> {
  const file = join(RESULTS, `monitor-${name}.png`);
  await page.screenshot({ path: file });
  console.log(`screenshot: ${file}`);
}

const stats = (): Promise<MonitorStats> => monitorStats(page);

const rowTexts = (): Promise<string[]> => drawnRowTexts(page);

const waitFor = (cond: () => Promise<boolean>, what: string, ms = WAIT): Promise<void> => waitForCondition(cond, what, ms);

let agentId = '';
let frontendId = '';

/** The front-end asks, the agent answers in the same thread, as seed 001 clients do. */
async function converse(question: string, thread: string): Promise<void> {
  const id = `msg_${thread}_${Math.random().toString(16).slice(2, 8)}`;
  frontend.send({ message_type: 'TEXT', message_id: id, sender_id: frontendId, receiver_id: agentId, text_payload: question, thread });
  const got = await agent.next((f) => f.message_type === 'TEXT' && f.message_id === id);
  agent.send({
    message_type: 'REPLY',
    message_id: `${id}_r`,
    sender_id: agentId,
    receiver_id: frontendId,
    text_payload: `answer to ${String(got.text_payload)}`,
    in_reply_to_message_id: id,
    thread,
  });
  await frontend.next((f) => f.message_type === 'REPLY' && f.in_reply_to_message_id === id);
}

before(async () => {
  mkdirSync(RESULTS, { recursive: true });
  assert.ok(existsSync(join(WEBVIEW_DIR, 'monitor.js')), 'dist/webview/monitor.js is missing: run `npm run build` first');
  hub = new Hub({ port: 0, host: '127.0.0.1' }, { webviewDir: WEBVIEW_DIR });
  await hub.start();

  agent = await RawClient.open(hub.agentUrl);
  agent.send({ message_type: 'REGISTER_AGENT', agent_name: 'echo-agent' });
  agentId = String((await agent.next((f) => f.message_type === 'REGISTER_AGENT_RESPONSE')).agent_id);
  agent.ws.on('message', (data) => {
    const f = JSON.parse(String(data)) as Record<string, unknown>;
    if (f.message_type === 'PING') agent.send({ message_type: 'PONG', agent_id: agentId });
  });
  frontend = await RawClient.open(hub.agentUrl);
  frontend.send({ message_type: 'REGISTER_FRONTEND', frontend_name: 'e2e person' });
  frontendId = String((await frontend.next((f) => f.message_type === 'REGISTER_FRONTEND_RESPONSE')).frontend_id);

  runDir = makeRunDir('monitor-e2e');
  context = await launchChromium(join(runDir, 'chromium'), { viewport: { width: 1400, height: 820 } });
  // page code as a string: this file is type-checked without the DOM library
  await context.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
    (globalThis.__csp ??= []).push(e.violatedDirective + ' ' + e.blockedURI);
  });`);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
});

after(async () => {
  await context?.close().catch(() => undefined);
  await agent?.close();
  await frontend?.close();
  await hub?.stop('e2e done');
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

test('the /monitor page connects as a monitor and lists the agent', async () => {
  await page.goto(hub.monitorUrl);
  await page.locator('.agent', { hasText: 'echo-agent' }).waitFor({ timeout: WAIT });
  await waitFor(async () => /running/.test(await page.locator('.hub-badge').innerText()), 'the hub badge to say running');
  assert.match(await page.locator('.hub-badge').innerText(), new RegExp(hub.id));
});

test('messages between a front-end and an agent appear as rows with type, from, to and preview', async () => {
  await converse('plan the offsite', 'th-offsite');
  await converse('compare kafka and rabbitmq', 'th-brokers');
  await waitFor(async () => (await rowTexts()).some((t) => t.includes('answer to compare kafka and rabbitmq')), 'the second reply row');
  const rows = await rowTexts();
  const text = rows.find((t) => t.includes('plan the offsite') && t.includes('TEXT'));
  assert.ok(text, `a TEXT row with the question; rows: ${rows.join(' | ')}`);
  // agents by their names, the front-end by the name it registered with (the id stays in the tooltip)
  assert.ok(text.includes('e2e person') && text.includes('echo-agent'), `from and to are shown by name: ${text}`);
  assert.match(String(await page.locator('.row .cell.from', { hasText: 'e2e person' }).first().getAttribute('title')), new RegExp(frontendId));
  assert.ok(rows.some((t) => t.includes('REPLY') && t.includes('answer to plan the offsite')));
  await shot('01-live');
});

test('the free-text filter narrows the rows to the matching messages', async () => {
  const before = (await stats()).visible;
  await page.keyboard.press('/');
  await page.keyboard.type('kafka');
  await waitFor(async () => (await stats()).visible < before, 'the filter to apply');
  // the model filters at once but the rows are redrawn on a later animation frame (at most one redraw per 33 ms):
  // reading them right after the count changed could still find the unfiltered rows on a busy machine
  let rows: string[] = [];
  await waitFor(async () => {
    rows = await rowTexts();
    return rows.length > 0 && rows.every((t) => /kafka/i.test(t));
  }, 'only rows that mention kafka to be drawn').catch((err: unknown) => {
    throw new Error(`${String(err)}; rows: ${rows.join(' | ')}`);
  });
  await shot('02-filtered');
});

test('the type filter (a vscode-single-select) shows only that message type', async () => {
  const select = page.locator('vscode-single-select.type-filter');
  await select.click();
  await select.getByRole('option', { name: 'REPLY', exact: true }).click();
  await waitFor(async () => (await page.locator('.rows .row:not([hidden]) .type').allInnerTexts()).every((t) => t === 'REPLY'), 'only REPLY rows');
  const rows = await rowTexts();
  assert.ok(rows.length > 0 && rows.every((t) => /kafka/i.test(t)), 'combined with the text filter');
  await select.click();
  await select.getByRole('option', { name: 'All types', exact: true }).click();
  await waitFor(async () => (await page.locator('.rows .row:not([hidden]) .type').allInnerTexts()).includes('TEXT'), 'all types again');
});

test('a reply opens its thread as a sequence diagram with a lane per participant', async () => {
  await page.locator('.rows .row', { hasText: 'answer to compare kafka' }).first().click();
  await page.locator('vscode-button', { hasText: 'Show thread' }).click();
  const diagram = page.locator('svg.sequence');
  await diagram.waitFor({ timeout: WAIT });
  assert.equal(await diagram.locator('g.lane').count(), 2, 'two participants');
  assert.equal(await diagram.locator('g.msg').count(), 2, 'question and answer, one arrow each');
  const labels = await diagram.locator('.lane-label').allTextContents();
  assert.ok(labels.some((l) => l.startsWith('echo-agent')), `lanes: ${labels.join(', ')}`);
  await shot('03-thread');
});

test('the filter survives a reload (state kept in sessionStorage)', async () => {
  await page.reload();
  await page.locator('.agent', { hasText: 'echo-agent' }).waitFor({ timeout: WAIT });
  await waitFor(async () => (await stats()).visible > 0, 'rows after the reload');
  const value = await page.locator('vscode-textfield.search').evaluate((el) => (el as unknown as { value: string }).value);
  assert.equal(value, 'kafka');
  assert.ok((await rowTexts()).every((t) => /kafka/i.test(t)));
  await page.keyboard.press('Escape'); // close the restored detail pane
  // clear the filter for the next tests
  await page.locator('vscode-textfield.search').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await waitFor(async () => (await rowTexts()).some((t) => t.includes('plan the offsite')), 'unfiltered rows');
});

test('Freeze view holds new rows and Resume view shows them', async () => {
  await page.locator('vscode-button.pause').click();
  const frozen = (await stats()).visible;
  await converse('while paused', 'th-paused');
  await waitFor(async () => (await stats()).held > 0, 'entries held while paused');
  assert.equal((await stats()).visible, frozen, 'the rows do not move while paused');
  assert.match(await page.locator('.statusbar .held').innerText(), /View frozen · \d+ new waiting/);
  await shot('04-paused');
  await page.locator('vscode-button.pause').click();
  await waitFor(async () => (await rowTexts()).some((t) => t.includes('answer to while paused')), 'held rows after resume');
});

test('the agent pane sends a message to the agent as the monitor', async () => {
  await page.locator('.agent', { hasText: 'echo-agent' }).click();
  const field = page.locator('.panel-agent .composer vscode-textfield');
  await field.waitFor({ timeout: WAIT });
  await field.click();
  await page.keyboard.type('hello from the monitor');
  await page.locator('.panel-agent .composer vscode-button', { hasText: 'Send' }).click();
  const got = await agent.next((f) => f.message_type === 'TEXT' && f.text_payload === 'hello from the monitor');
  assert.match(String(got.sender_id), /^mon_/);
  await page.locator('.toast', { hasText: 'done' }).waitFor({ timeout: WAIT });
  await shot('05-agent');
});

test('keyboard: the grid moves with j/k, opens with Enter and closes with Escape', async () => {
  await page.keyboard.press('Escape');
  await page.locator('.table[role=grid]').focus();
  await page.keyboard.press('End');
  await page.keyboard.press('k');
  await page.keyboard.press('j');
  await page.keyboard.press('Enter');
  const detail = page.locator('aside.detail');
  await detail.waitFor({ state: 'visible', timeout: WAIT });
  const selected = await page.locator('.rows .row.selected').innerText();
  const last = (await rowTexts()).at(-1)!;
  assert.equal(selected, last, 'End then k then j lands on the newest row');
  assert.match(await page.locator('.panel-message .meta').innerText(), /Seq/);
  assert.equal(await page.locator('.table[role=grid]').getAttribute('aria-activedescendant'), await page.locator('.rows .row.selected').getAttribute('id'));
  await page.keyboard.press('Escape');
  await detail.waitFor({ state: 'hidden', timeout: WAIT });
});

test('at 600–800 px the toolbar is one line with its filter placeholder whole and, from 700 px, type, from and to are whole; "Jump to latest" covers no row', async () => {
  await page.keyboard.press('Escape');
  for (const width of [600, 700, 800]) {
    await page.setViewportSize({ width, height: 600 });
    await waitFor(async () => (await rowTexts()).length > 0, 'rows at the new width');
    // measured twice: as it starts, and with the Reconstruction button that appears once there is a report
    const fit = await page.evaluate(`(async () => {
      const bar = document.querySelector('.toolbar');
      const rc = document.querySelector('.rc-open');
      const measure = () => {
        const items = [...bar.children].filter((c) => c.getBoundingClientRect().width > 0);
        const firstBottom = Math.min(...items.map((c) => c.getBoundingClientRect().bottom));
        const input = document.querySelector('vscode-textfield.search').shadowRoot.querySelector('input');
        const st = getComputedStyle(input);
        const ctx = document.createElement('canvas').getContext('2d');
        ctx.font = st.fontSize + ' ' + st.fontFamily;
        const room = input.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
        return {
          wrapped: items.filter((c) => c.getBoundingClientRect().top >= firstBottom).map((c) => c.className || c.tagName),
          outside: items.filter((c) => c.getBoundingClientRect().right > innerWidth + 0.5).map((c) => c.className || c.tagName),
          placeholderCut: ctx.measureText(input.placeholder).width > room,
        };
      };
      const plain = measure();
      const wasHidden = rc.hidden;
      rc.hidden = false;
      await new Promise((r) => requestAnimationFrame(() => r()));
      const withReport = measure();
      rc.hidden = wasHidden;
      const cut = [...document.querySelectorAll('.rows .row:not([hidden]) .cell.type, .rows .row:not([hidden]) .cell.from, .rows .row:not([hidden]) .cell.to, .row.header .cell:not(.preview)')]
        .filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent);
      return { plain, withReport, cut };
    })()`);
    const ok = { wrapped: [], outside: [], placeholderCut: false };
    assert.deepEqual(width < 700 ? { ...(fit as object), cut: [] } : fit, { plain: ok, withReport: ok, cut: [] }, `at ${width} px`);
  }
  // scrolled up, the jump strip sits under the rows instead of over them (a short window so that rows overflow)
  await page.setViewportSize({ width: 800, height: 260 });
  await converse('one more for scrolling', 'th-scroll');
  await waitFor(async () => page.locator('.scroller').evaluate((s) => s.scrollHeight > s.clientHeight + 44), 'rows that overflow the table');
  await page.locator('.scroller').evaluate((s) => {
    s.scrollTop = 0;
    s.dispatchEvent(new Event('scroll'));
  });
  const jump = page.locator('.jump');
  await jump.waitFor({ state: 'visible', timeout: WAIT });
  const [scroller, strip] = await Promise.all([page.locator('.scroller').boundingBox(), jump.boundingBox()]);
  assert.ok(scroller && strip && strip.y >= scroller.y + scroller.height - 0.5, `jump strip ${JSON.stringify(strip)} below the rows ${JSON.stringify(scroller)}`);
  await shot('06-narrow');
  await jump.locator('vscode-button').click();
  await jump.waitFor({ state: 'hidden', timeout: WAIT });
  await page.setViewportSize({ width: 1400, height: 820 });
});

test('a wrong or missing token gets a page that says where the token is, and nothing of the hub', async () => {
  const other = await context.newPage();
  try {
    const base = hub.monitorUrl.slice(0, hub.monitorUrl.indexOf('?'));
    for (const [url, status, why] of [
      [`${base}?token=not-the-token`, 403, /not this hub’s token/],
      [base, 401, /has no \?token=/],
    ] as const) {
      const res = await other.goto(url);
      assert.equal(res?.status(), status, url);
      const text = await other.locator('body').innerText();
      assert.match(text, why);
      assert.match(text, /The line the hub printed when it started/);
      assert.match(text, /hub-<port>\.json/);
      assert.match(text, /Switchboard: Open Monitor in Browser/);
      assert.ok(!text.includes(hub.token) && !text.includes(hub.id), 'the page leaks neither the token nor the hub id');
    }
  } finally {
    await other.close();
  }
});

test('the page ran under its strict CSP without violations or script errors', async () => {
  const fromPage = await page.evaluate(() => (globalThis as unknown as { __csp?: string[] }).__csp ?? []);
  assert.deepEqual([...cspViolations, ...fromPage], []);
  assert.deepEqual(pageErrors, []);
});
