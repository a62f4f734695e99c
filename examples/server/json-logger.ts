import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '../../src/index.js';
import { PROVIDER_ENV_VARS } from '../../src/adapters/providers/from-env/index.js';

/** What a log line knows about the HTTP request it was written under. */
export interface RequestLogContext {
  requestId: string;
  /** Set once the request's bearer token has been checked. */
  user?: string;
  /**
   * Set once the request is answered. Work it started that goes on (a task the in-process queue
   * started while it was being handled) inherits the context; its later lines must not carry this
   * request's id and user, which may be another user's.
   */
  answered?: boolean;
}

/** The request a line is written under, set by the request-log middleware (`requestLog`). */
export const requestContext = new AsyncLocalStorage<RequestLogContext>();

export type JsonLogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<JsonLogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Variables whose values are secrets: provider keys, storage and bucket passwords, webhook secrets. */
export const SECRET_ENV_VARS: readonly string[] = [
  ...PROVIDER_ENV_VARS,
  'S3_SECRET_ACCESS_KEY',
  'S3_SESSION_TOKEN',
  'STRIPE_WEBHOOK_SECRET',
  'IMAGEGEN_IMAGE_URL_SECRET',
  'BFL_WEBHOOK_SECRET',
];

export interface JsonLoggerOptions {
  /** Lowest level written. @default `IMAGEGEN_LOG_LEVEL`, else 'info' */
  level?: JsonLogLevel;
  /** Where lines go. @default process.stdout */
  write?: (line: string) => void;
  /** Fields of every line (e.g. `role`, `pid`). */
  base?: Record<string, unknown>;
  /** Values never written: each is replaced by `[redacted]` wherever it appears. @default the values of {@link SECRET_ENV_VARS} */
  secrets?: readonly string[];
  env?: Record<string, string | undefined>;
}

/** Field names whose values are dropped whatever they hold. */
const SECRET_FIELD = /^(authorization|cookie|set-cookie|password|new_password|current_password|token|api_?keys?|x-key|secret)$/i;
/** Credentials in free text: `Bearer …`, `Basic …`, fal's `Key …`, `x-key: …`, a URL's `user:password@`. */
const SECRET_TEXT: ReadonlyArray<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=:-]{8,}/gi, '$1 [redacted]'],
  [/\bKey\s+[A-Za-z0-9._:-]{16,}/g, 'Key [redacted]'],
  [/(x-key\\?["']?\s*[:=]\s*\\?["']?)[^\s"'\\,}]+/gi, '$1[redacted]'],
  [/\/\/[^/\s:@"]+:[^/\s@"]+@/g, '//[redacted]@'],
];

/**
 * The reference server's logger: one JSON object per line (`time`, `level`, `msg`, the request's
 * `requestId` and `user` when written under one, then the fields). Its own few lines rather than
 * pino: the server then needs no logging dependency, and redaction is ours to test. Every secret
 * value of the environment, any bearer/basic credential and any field named like a secret is
 * replaced by `[redacted]` before a line is written.
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const level = options.level ?? ((env.IMAGEGEN_LOG_LEVEL?.trim().toLowerCase() || 'info') as JsonLogLevel);
  if (!Object.hasOwn(RANK, level)) throw new RangeError(`IMAGEGEN_LOG_LEVEL must be one of debug, info, warn, error (got "${level}")`);
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const secrets = (options.secrets ?? secretValues(env)).filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  const redactText = (text: string): string => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    for (const [pattern, replacement] of SECRET_TEXT) out = out.replace(pattern, replacement);
    return out;
  };
  const base = options.base ?? {};
  const line = (at: JsonLogLevel) => (message: string, fields?: Record<string, unknown>) => {
    const store = requestContext.getStore();
    const request = store?.answered ? undefined : store;
    const record = {
      time: new Date().toISOString(),
      level: at,
      msg: message,
      ...base,
      ...(request ? { requestId: request.requestId, ...(request.user ? { user: request.user } : {}) } : {}),
      ...fields,
    };
    write(`${redactText(JSON.stringify(record, replacer))}\n`);
  };
  const min = RANK[level];
  const logger: Logger = { warn: line('warn'), error: line('error') };
  if (min <= RANK.info) logger.info = line('info');
  if (min <= RANK.debug) logger.debug = line('debug');
  return logger;
}

/** Errors as their name and message (a stack may quote a request), secret-named fields dropped. */
function replacer(key: string, value: unknown): unknown {
  if (key !== '' && SECRET_FIELD.test(key)) return '[redacted]';
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

function secretValues(env: Record<string, string | undefined>): string[] {
  return SECRET_ENV_VARS.flatMap((name) => (env[name] ?? '').split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}
