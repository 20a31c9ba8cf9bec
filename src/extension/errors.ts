// Turns any error from a command into one notification that says what happened and what to do next.

import * as vscode from 'vscode';
import { SwitchboardError, errorMessage, type ErrorCode } from '../protocol/errors';
import { rowLostMessage } from './commandArgs';
import { Commands } from './constants';

/** A SwitchboardError that names the one command that fixes it (shown as the notification's button). */
export class ActionableError extends SwitchboardError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly action: { title: string; command: string },
  ) {
    super(code, message);
  }
}

/** The action a person can take from the notification, by error code. */
function actionFor(err: unknown): { title: string; command: string } {
  if (err instanceof ActionableError) return err.action;
  if (err instanceof SwitchboardError) {
    switch (err.code) {
      case 'shutdown':
      case 'not_connected':
        return { title: 'Start Hub', command: Commands.startHub };
      case 'unauthorized':
        return { title: 'Set Hub Token', command: Commands.setToken };
      default:
        break;
    }
  }
  return { title: 'Show Log', command: Commands.showOutput };
}

export function describeError(what: string, err: unknown): string {
  const msg = errorMessage(err).replace(/\.?\s*$/, '.');
  // SwitchboardErrors already say what to do; anything else gets a pointer to the log
  const hint = err instanceof SwitchboardError ? '' : ' See the "Agent Switchboard" output for details.';
  return `${what} failed: ${msg}${hint}`;
}

export async function showCommandError(what: string, err: unknown): Promise<void> {
  const action = actionFor(err);
  const pick = await vscode.window.showErrorMessage(describeError(what, err), action.title);
  if (pick === action.title) await vscode.commands.executeCommand(action.command);
}

let lastRowLost: string | undefined;

/** A row command got no row (commandArgs.rowLost): says so, and nothing else happens. */
export function showRowLost(title: string): void {
  lastRowLost = rowLostMessage(title);
  void vscode.window.showWarningMessage(lastRowLost);
}

/** The last such notice (the extension-host tests read it through the test API). */
export function lastRowLostNotice(): string | undefined {
  return lastRowLost;
}
