import type { Logger } from '../options.js';

/** The lowest level a {@link consoleLogger} writes. */
export type ConsoleLogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<ConsoleLogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * The default logger: lines on the console, each tagged `[{tag}]`. Warnings and errors only by
 * default (`level: 'warn'`), as before `info` and `debug` existed: a library stays quiet unless asked.
 */
export function consoleLogger(tag = 'imagegen-kit', options: { level?: ConsoleLogLevel } = {}): Logger {
  const min = RANK[options.level ?? 'warn'];
  const logger: Logger = {
    warn: (message, fields) => console.warn(`[${tag}] ${message}`, fields ?? ''),
    error: (message, fields) => console.error(`[${tag}] ${message}`, fields ?? ''),
  };
  if (min <= RANK.info) logger.info = (message, fields) => console.info(`[${tag}] ${message}`, fields ?? '');
  if (min <= RANK.debug) logger.debug = (message, fields) => console.debug(`[${tag}] ${message}`, fields ?? '');
  return logger;
}
