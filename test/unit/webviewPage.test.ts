// The monitor document served by the hub and rendered by the panel: strict CSP with the nonce, no inline script
// that executes, and values that cannot break out of their attribute or script block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorWebviewCsp, renderMonitorDocument, renderMonitorPage } from '../../src/hub/monitorPage';

test('the /monitor page loads the bundle by nonce under a strict CSP and carries its config as inert JSON', () => {
  const html = renderMonitorPage({ token: 'tok123', hubId: 'hub_1', assetBase: '/monitor/assets/', nonce: 'N0nce' });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!.replace(/&#39;/g, "'");
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-N0nce'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(html, /<script nonce="N0nce" src="\/monitor\/assets\/monitor\.js"><\/script>/);
  assert.match(html, /id="vscode-codicon-stylesheet" href="\/monitor\/assets\/codicon\.css"/);
  const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
  assert.ok(scripts.every((attrs) => /nonce="N0nce"/.test(attrs) || /type="application\/json"/.test(attrs)), 'every script is nonce-bound or inert data');
  const config = JSON.parse(/<script id="monitor-config" type="application\/json">([^<]*)<\/script>/.exec(html)![1]!);
  assert.deepEqual(config, { token: 'tok123', hubId: 'hub_1' });
});

test('hostile values cannot end the script block or the attribute they sit in', () => {
  const html = renderMonitorPage({ token: '</script><script>alert(1)</script>', hubId: '"><img src=x onerror=alert(1)>', assetBase: '/a', nonce: 'n' });
  assert.doesNotMatch(html, /<script>alert/);
  assert.doesNotMatch(html, /<img/);
  const config = JSON.parse(/<script id="monitor-config" type="application\/json">([^<]*)<\/script>/.exec(html)![1]!);
  assert.equal(config.token, '</script><script>alert(1)</script>');
});

test('the VS Code webview document allows only its nonce for scripts and the webview source for styles and fonts', () => {
  const src = 'https://file+.vscode-resource.vscode-cdn.net';
  const csp = monitorWebviewCsp(src, 'abc');
  assert.match(csp, /^default-src 'none'; /);
  assert.match(csp, /script-src 'nonce-abc';/);
  assert.match(csp, new RegExp(`style-src ${src.replace(/[.+]/g, '\\$&')};`));
  assert.doesNotMatch(csp, /unsafe|\*/);
  const html = renderMonitorDocument({ title: 't', nonce: 'abc', csp, scriptSrc: `${src}/monitor.js`, styleHrefs: { codicons: 'c.css', monitor: 'm.css' } });
  assert.doesNotMatch(html, /monitor-config/, 'no token or config in the webview: data comes by postMessage');
  assert.match(html, /<script nonce="abc" src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/monitor\.js">/);
});
