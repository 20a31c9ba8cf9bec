// "Replay Recorded Session…" (issue 20): the VS Code face of `switchboard replay` (src/cli/replay.ts). It asks for a
// recording (an exported or the hub's own NDJSON log), shows how many messages would go to which hub and sends only
// when the person confirms, then opens the replay report (same / different with a diff / missing) beside the editor.

import * as vscode from 'vscode';

export interface ReplaySessionDeps {
  /** The agent URL of the hub this window uses, if it has one. */
  agentUrl(): string | undefined;
}

export async function replayRecordedSession(deps: ReplaySessionDeps, file?: vscode.Uri): Promise<string | undefined> {
  const url = deps.agentUrl();
  if (!url) throw new Error('Start or attach to a hub first: a replay sends into the hub this window uses.');
  const uri =
    file ??
    (await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Replay', filters: { 'Event log (NDJSON)': ['ndjson', 'jsonl', 'log'] } }))?.[0];
  if (!uri) return undefined;
  const { formatReplayReport, planReplay, parseRecording, runReplay } = await import('../../cli/replay');
  const rec = parseRecording(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8'));
  const steps = planReplay(rec);
  const where = url.replace(/token=[^&]*/, 'token=…');
  const pick = await vscode.window.showWarningMessage(
    `Replay ${steps.length} message(s) from ${uri.path.split('/').pop()} into the hub at ${where}? The agents there will receive them.`,
    { modal: true },
    'Replay',
  );
  if (pick !== 'Replay') return undefined;
  const rows = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Replaying the recorded session…' }, () =>
    runReplay(steps, { url, speed: 0, replyTimeoutMs: 30_000 }),
  );
  const report = formatReplayReport(rows);
  const doc = await vscode.workspace.openTextDocument({ content: report, language: 'diff' });
  await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  return report;
}
