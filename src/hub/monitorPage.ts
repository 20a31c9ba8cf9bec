// The HTML document of the Monitor, written once for both hosts: the hub serves it at /monitor?token=… (browser
// mode) and the VS Code panel renders it with webview URIs. Strict CSP: scripts only by nonce, no inline styles.

export interface MonitorPageOptions {
  token: string;
  hubId: string;
  /** Where monitor.js, monitor.css and codicon.css are served from, e.g. '/monitor/assets'. */
  assetBase: string;
  nonce: string;
}

export interface MonitorDocumentOptions {
  title: string;
  nonce: string;
  /** Content-Security-Policy for the <meta> tag. */
  csp: string;
  scriptSrc: string;
  styleHrefs: { codicons: string; monitor: string };
  /** Non-executable JSON the script reads (browser mode: token and hub id). */
  config?: Record<string, string>;
  bodyClass?: string;
}

/** Escapes text and attribute values; JSON in a script block also escapes '<' so '</script>' cannot end it. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function jsonForScript(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

export function renderMonitorDocument(o: MonitorDocumentOptions): string {
  const config = o.config
    ? `\n<script id="monitor-config" type="application/json">${jsonForScript(o.config)}</script>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(o.csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(o.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${escapeHtml(o.styleHrefs.codicons)}">
<link rel="stylesheet" href="${escapeHtml(o.styleHrefs.monitor)}">
</head>
<body${o.bodyClass ? ` class="${escapeHtml(o.bodyClass)}"` : ''}>
<div id="app" class="app"><p class="loading">Loading the Agent Switchboard monitor…</p></div>
<noscript>The monitor needs JavaScript.</noscript>${config}
<script nonce="${escapeHtml(o.nonce)}" src="${escapeHtml(o.scriptSrc)}"></script>
</body>
</html>`;
}

/** The CSP of the VS Code webview: only our nonce'd script, styles and fonts from the extension's own files. */
export function monitorWebviewCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The browser page served by the hub at /monitor?token=…: same-origin assets, WebSocket back to the same host. */
export function renderMonitorPage(opts: MonitorPageOptions): string {
  const base = opts.assetBase.replace(/\/+$/, '');
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${opts.nonce}'`,
    "style-src 'self'",
    "font-src 'self'",
    "img-src 'self' data:",
    // 'self' covers ws:// to the same host and port in CSP Level 3 browsers
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return renderMonitorDocument({
    title: `Agent Switchboard — ${opts.hubId}`,
    nonce: opts.nonce,
    csp,
    scriptSrc: `${base}/monitor.js`,
    styleHrefs: { codicons: `${base}/codicon.css`, monitor: `${base}/monitor.css` },
    config: { token: opts.token, hubId: opts.hubId },
    bodyClass: 'host-browser',
  });
}
