// Where "Open Monitor" goes: the webview panel (monitorPanel.ts) in VS Code, or the hub's own /monitor page in the
// browser. Also registers the panel's serializer so it survives a window reload.

import * as vscode from 'vscode';
import type { Logger } from '../protocol/logger';
import type { MonitorSource } from '../protocol/webviewMessages';
import { SwitchboardError } from '../protocol/errors';
import { toDisposable } from './lifecycle';
import type { HubManager } from './model/hubManager';
import { MonitorPanel, registerMonitorSerializer } from './monitorPanel';
import { withOriginalPathAndQuery } from './model/externalUrl';

export function registerMonitorPanel(context: vscode.ExtensionContext, source: MonitorSource, logger: Logger): vscode.Disposable[] {
  return [
    registerMonitorSerializer(context, source, logger),
    // the panel holds subscriptions on the source: release it with the extension
    toDisposable(() => MonitorPanel.instance?.dispose()),
  ];
}

export async function openMonitorPanel(
  context: vscode.ExtensionContext,
  source: MonitorSource,
  logger: Logger,
  agentId?: string,
): Promise<void> {
  const panel = MonitorPanel.createOrShow(context, source, logger);
  if (agentId) panel.revealAgent(agentId);
}

/** The hub's /monitor?token=… URL as the person's browser reaches it (forwarded in a remote window, e.g. code-server). */
export async function externalMonitorUrl(manager: HubManager): Promise<string> {
  const url = manager.connection?.info().monitorUrl;
  if (!url) throw new SwitchboardError('shutdown', 'No hub is running, so there is nothing to monitor. Run "Switchboard: Start Hub" first.');
  // asExternalUri: in a remote window (code-server, SSH) localhost must be forwarded to reach the browser
  const external = await vscode.env.asExternalUri(vscode.Uri.parse(url));
  return withOriginalPathAndQuery(url, external.toString(true));
}

/** The same monitor served by the hub at /monitor?token=…, opened in the person's browser. */
export async function openMonitorInBrowser(manager: HubManager): Promise<string> {
  const url = await externalMonitorUrl(manager);
  await vscode.env.openExternal(vscode.Uri.parse(url, true));
  return url;
}
