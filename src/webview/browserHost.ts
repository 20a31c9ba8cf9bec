// The browser side of the /monitor page: connects to the hub's WebSocket as a monitor with the page's token,
// translates frames into the webview's notifications, reconnects with backoff, and keeps UI state in sessionStorage.

import { HostNotification, WebviewCommand, type HostToWebview, type WebviewToHost } from '../protocol/webviewMessages';
import type { DataSource } from './dataSource';
import { debugAttachFrame, HubFrameTranslator, isRegistered, registerMonitorFrame, subscribeStreamsFrame } from './hubFrames';

export interface BrowserConfig {
  token: string;
  hubId: string;
}

const STATE_KEY = 'switchboard.monitor.ui';
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 10_000;

/** Reads the non-executable JSON block the page carries; falls back to the URL's ?token=. */
export function readBrowserConfig(doc: Document, loc: Location): BrowserConfig {
  let token = new URLSearchParams(loc.search).get('token') ?? '';
  let hubId = '';
  const el = doc.getElementById('monitor-config');
  if (el?.textContent) {
    try {
      const parsed = JSON.parse(el.textContent) as Record<string, unknown>;
      if (typeof parsed.token === 'string' && parsed.token) token = parsed.token;
      if (typeof parsed.hubId === 'string') hubId = parsed.hubId;
    } catch {
      // a broken block leaves the URL's token in place
    }
  }
  return { token, hubId };
}

export class BrowserDataSource implements DataSource {
  readonly kind = 'browser' as const;
  private ws: WebSocket | null = null;
  private readonly translator = new HubFrameTranslator();
  private listener: (n: HostToWebview) => void = () => {};
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(private readonly config: BrowserConfig) {}

  start(listener: (n: HostToWebview) => void): void {
    this.listener = listener;
    this.connect();
  }

  private connect(): void {
    if (this.disposed) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${scheme}//${location.host}/ws?token=${encodeURIComponent(this.config.token)}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.retryMs = RECONNECT_MIN_MS;
      ws.send(JSON.stringify(registerMonitorFrame('monitor page')));
    });
    ws.addEventListener('message', (e: MessageEvent) => {
      if (typeof e.data !== 'string') return;
      let frame: unknown;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return;
      }
      for (const n of this.translator.fromHub(frame)) this.listener(n);
      if (isRegistered(frame)) {
        ws.send(JSON.stringify(subscribeStreamsFrame()));
        ws.send(JSON.stringify(debugAttachFrame()));
      }
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.listener(this.translator.disconnected());
      if (this.disposed) return;
      this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(RECONNECT_MAX_MS, this.retryMs * 2);
    });
  }

  send(command: WebviewToHost): void {
    if (command.type === WebviewCommand.ReportError) {
      console.error('[monitor]', command.message);
      return;
    }
    const { frames, reply } = this.translator.toHub(command);
    const ws = this.ws;
    if (frames.length && (!ws || ws.readyState !== WebSocket.OPEN)) {
      if ('request_id' in command) {
        this.listener({ type: HostNotification.CommandResult, request_id: command.request_id, ok: false, detail: 'Not connected to the hub; retrying.' });
      }
      return;
    }
    for (const f of frames) ws!.send(JSON.stringify(f));
    if (reply) this.listener(reply);
  }

  loadState(): unknown {
    try {
      const raw = sessionStorage.getItem(STATE_KEY);
      return raw ? (JSON.parse(raw) as unknown) : undefined;
    } catch {
      return undefined;
    }
  }

  saveState(state: unknown): void {
    try {
      sessionStorage.setItem(STATE_KEY, JSON.stringify(state));
    } catch {
      // storage full or disabled: the state simply does not survive a reload
    }
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.retryTimer);
    this.ws?.close(1000, 'page closed');
    this.ws = null;
  }
}
