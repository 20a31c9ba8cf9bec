// The injected logger every layer takes (kafkajs style): the CLI prints it, the extension sends it to its
// LogOutputChannel, tests keep it quiet. `child()` adds a component prefix.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
  child(component: string): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function createLogger(
  sink: (level: LogLevel, line: string, args: unknown[]) => void,
  minLevel: LogLevel = 'info',
  prefix = '',
): Logger {
  const emit = (level: LogLevel) => (message: string, ...args: unknown[]) => {
    if (ORDER[level] >= ORDER[minLevel]) sink(level, prefix ? `[${prefix}] ${message}` : message, args);
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (component) => createLogger(sink, minLevel, prefix ? `${prefix}/${component}` : component),
  };
}

export const silentLogger: Logger = createLogger(() => undefined, 'error');
