import type { Logger } from '../options.js';

/** The default logger: warnings and errors on the console, each line tagged `[{tag}]`. */
export function consoleLogger(tag = 'imagegen-kit'): Logger {
  return {
    warn: (message, fields) => console.warn(`[${tag}] ${message}`, fields ?? ''),
    error: (message, fields) => console.error(`[${tag}] ${message}`, fields ?? ''),
  };
}
