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

/**
 * What /monitor answers without the right token: a small page that says where the token is, instead of a bare
 * sentence. It names places only (the hub's start line, the hub file, the VS Code commands), never the token, the
 * hub's id or a path on this machine, so a wrong guess learns nothing. No script; inline style allowed by its CSP.
 */
export function renderTokenHelpPage(presented: boolean): string {
  const why = presented
    ? 'The token in this address is not this hub’s token. Unless it is given one (--token, SWITCHBOARD_TOKEN), a hub makes a new token each time it starts, so an address from an earlier run stops working.'
    : 'This address has no <code>?token=</code>. The monitor shows every message the hub carries, so it opens only with the hub’s token.';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Agent Switchboard — token needed</title>
<link rel="icon" href="data:,">
<style>
body { margin: 0; padding: 32px 24px; background: #1f1f1f; color: #cccccc; font: 14px/1.5 system-ui, -apple-system, 'Segoe UI', Ubuntu, sans-serif; }
main { max-width: 640px; margin: 0 auto; }
h1 { font-size: 18px; font-weight: 600; margin: 0 0 12px; color: #ffffff; }
code { font-family: ui-monospace, Menlo, Consolas, 'DejaVu Sans Mono', monospace; font-size: 13px; background: #2b2b2b; padding: 1px 4px; border-radius: 3px; overflow-wrap: anywhere; }
li { margin: 6px 0; }
.muted { color: #9d9d9d; }
</style>
</head>
<body>
<main>
<h1>The monitor needs this hub’s token</h1>
<p>${why}</p>
<p>Open the address with the token from one of these:</p>
<ul>
<li>The line the hub printed when it started: <code>Monitor: http://…/monitor?token=…</code> (in the terminal of <code>npm start</code>, <code>switchboard hub</code> or <code>switchboard demo --with-hub</code>).</li>
<li>The hub file, <code>hub-&lt;port&gt;.json</code> in <code>~/.agent-switchboard</code> (or in <code>$SWITCHBOARD_HUB_FILE_DIR</code>), where the port is the one the hub was asked for (8765 by default): its <code>"token"</code> field goes after <code>/monitor?token=</code>.</li>
<li>In VS Code: <b>Switchboard: Open Monitor in Browser</b> opens this page with the token, and <b>Switchboard: Copy Monitor URL</b> copies this page's URL with the token.</li>
</ul>
<p class="muted">The token may also be sent as <code>Authorization: Bearer TOKEN</code>.</p>
</main>
</body>
</html>`;
}

/** The CSP of the token help page: no script at all, its one inline style block only. */
export const TOKEN_HELP_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";
