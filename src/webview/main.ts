// Entry of the Monitor bundle (dist/webview/monitor.js), the same in both hosts: picks the data source (VS Code
// postMessage, or the hub's WebSocket for the /monitor page), builds the UI and redraws at most once per frame.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import './monitor.css';

import { WebviewCommand, type HostToWebview } from '../protocol/webviewMessages';
import type { DataSource } from './dataSource';
import { BrowserDataSource, readBrowserConfig } from './browserHost';
import { findVsCodeApi, VsCodeDataSource } from './vscodeHost';
import { MonitorApp } from './view/monitorApp';

function boot(): void {
  const acquire = findVsCodeApi();
  const source: DataSource = acquire
    ? new VsCodeDataSource(acquire)
    : new BrowserDataSource(readBrowserConfig(document, location));
  const root = document.getElementById('app');
  if (!root) throw new Error('monitor page has no #app element');
  const app = new MonitorApp(root, source);
  window.addEventListener('error', (e) => source.send({ type: WebviewCommand.ReportError, message: `${e.message} at ${e.filename}:${e.lineno}` }));
  window.addEventListener('unhandledrejection', (e) => source.send({ type: WebviewCommand.ReportError, message: String(e.reason) }));
  window.addEventListener('pagehide', () => {
    app.dispose();
    source.dispose();
  });
  source.start((n: HostToWebview) => app.receive(n));
  // For tests and debugging from the devtools console: read-only counts, never data.
  (globalThis as { switchboardMonitor?: unknown }).switchboardMonitor = { stats: () => app.stats() };
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot, { once: true });
else boot();
