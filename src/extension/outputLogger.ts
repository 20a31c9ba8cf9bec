// Bridges the product's Logger (component prefixes via child()) to the one LogOutputChannel "Agent Switchboard".
// The channel's own level (chosen by the person in the Output view) decides what shows; lines below it are dropped
// before any formatting, so debug logging on hot paths costs nothing while the level is Info.

import * as vscode from 'vscode';
import { createLogger, type Logger, type LogLevel } from '../protocol/logger';

const CHANNEL_LEVEL: Record<LogLevel, vscode.LogLevel> = {
  debug: vscode.LogLevel.Debug,
  info: vscode.LogLevel.Info,
  warn: vscode.LogLevel.Warning,
  error: vscode.LogLevel.Error,
};

function formatArgs(args: unknown[]): string {
  if (args.length === 0) return '';
  return (
    ' ' +
    args
      .map((a) => {
        if (a instanceof Error) return a.stack ?? a.message;
        if (typeof a === 'string') return a;
        try {
          return JSON.stringify(a);
        } catch {
          return String(a);
        }
      })
      .join(' ')
  );
}

export function outputChannelLogger(channel: vscode.LogOutputChannel, component = ''): Logger {
  return createLogger(
    (level, line, args) => {
      const current = channel.logLevel;
      if (current === vscode.LogLevel.Off || CHANNEL_LEVEL[level] < current) return;
      const text = line + formatArgs(args);
      switch (level) {
        case 'debug':
          channel.debug(text);
          break;
        case 'info':
          channel.info(text);
          break;
        case 'warn':
          channel.warn(text);
          break;
        case 'error':
          channel.error(text);
          break;
      }
    },
    'debug',
    component,
  );
}
