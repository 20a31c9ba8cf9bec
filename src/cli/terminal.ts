// Terminal output for the CLI: ANSI colours only when they will be seen (a TTY, NO_COLOR unset; FORCE_COLOR wins),
// and a logger that writes to stderr so stdout stays parseable.

import { createLogger, type Logger, type LogLevel } from '../protocol/logger';

export type Paint = (text: string) => string;

export interface Palette {
  enabled: boolean;
  dim: Paint;
  bold: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  blue: Paint;
  magenta: Paint;
  cyan: Paint;
  gray: Paint;
}

const CODES = { dim: [2, 22], bold: [1, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], blue: [34, 39], magenta: [35, 39], cyan: [36, 39], gray: [90, 39] } as const;

export function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env, flag?: boolean): boolean {
  if (flag === false) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

export function palette(enabled: boolean): Palette {
  const make = ([open, close]: readonly [number, number]): Paint => (enabled ? (t) => `\u001b[${open}m${t}\u001b[${close}m` : (t) => t);
  return {
    enabled,
    dim: make(CODES.dim),
    bold: make(CODES.bold),
    red: make(CODES.red),
    green: make(CODES.green),
    yellow: make(CODES.yellow),
    blue: make(CODES.blue),
    magenta: make(CODES.magenta),
    cyan: make(CODES.cyan),
    gray: make(CODES.gray),
  };
}

/** The CLI's logger: one line per message on stderr, level-tagged when not info. */
export function cliLogger(minLevel: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  return createLogger((level, line) => write(level === 'info' ? line : `${level}: ${line}`), minLevel);
}
