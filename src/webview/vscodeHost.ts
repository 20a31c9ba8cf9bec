// The VS Code webview side of the host link: notifications arrive by window 'message' events from the extension,
// commands go back with postMessage, and the UI state lives in the webview's own state store (kept across
// hide/show and restored by the panel serializer after a reload).

import { parseHostNotification, WebviewCommand, type HostToWebview, type WebviewToHost } from '../protocol/webviewMessages';
import type { DataSource } from './dataSource';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

type AcquireFn = () => VsCodeApi;

/** acquireVsCodeApi exists only inside a VS Code webview, and may be called once. */
export function findVsCodeApi(): AcquireFn | undefined {
  const fn = (globalThis as { acquireVsCodeApi?: unknown }).acquireVsCodeApi;
  return typeof fn === 'function' ? (fn as AcquireFn) : undefined;
}

export class VsCodeDataSource implements DataSource {
  readonly kind = 'vscode' as const;
  private readonly api: VsCodeApi;
  private onMessage?: (e: MessageEvent) => void;

  constructor(acquire: AcquireFn) {
    this.api = acquire();
  }

  start(listener: (n: HostToWebview) => void): void {
    this.onMessage = (e: MessageEvent): void => {
      const n = parseHostNotification(e.data);
      if (n) listener(n);
    };
    window.addEventListener('message', this.onMessage);
    // The host posts nothing until it hears this, so no notification is lost while the page loads.
    this.send({ type: WebviewCommand.Ready });
  }

  send(command: WebviewToHost): void {
    this.api.postMessage(command);
  }

  loadState(): unknown {
    return this.api.getState();
  }

  saveState(state: unknown): void {
    this.api.setState(state);
  }

  dispose(): void {
    if (this.onMessage) window.removeEventListener('message', this.onMessage);
  }
}
