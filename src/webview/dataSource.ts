// Where the monitor's data comes from and where its commands and UI state go. Two hosts implement it: the VS Code
// webview (postMessage to the extension, vscode.setState) and the browser page (the hub's WebSocket as a monitor,
// sessionStorage). Everything above it is host-agnostic.

import type { HostToWebview, WebviewToHost } from '../protocol/webviewMessages';

export interface DataSource {
  readonly kind: 'vscode' | 'browser';
  /** Begins delivery; the listener is called for every notification, in order. */
  start(listener: (n: HostToWebview) => void): void;
  send(command: WebviewToHost): void;
  /** The stored UI state (unparsed: stored data is not trusted). */
  loadState(): unknown;
  saveState(state: unknown): void;
  dispose(): void;
}
