import type { EngineRole } from '../../src/index.js';
import { parseEngineRole } from '../../src/index.js';
import { type Env, flag, oneOf, port, required, text, url } from './env.js';

/** How a reference server process joins a deployment of several processes: the queue and the events on Redis. */
export interface ClusterConfig {
  /** `api` serves HTTP and only enqueues, `worker` runs tasks, `both` does both. */
  role: EngineRole;
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  redisUrl: string;
  /** Prefix of every Redis key (storage, BullMQ queue, event channel). @default 'imagegen:' */
  prefix: string;
  /**
   * The task lease, the queue lock and the stalled-job check, in ms: a dead worker's tasks are
   * taken over within about twice this. Unset: a 15 s lease and BullMQ's 30 s lock and check.
   */
  leaseMs?: number;
  /** Tasks one process runs at once. @default 8 */
  concurrency?: number;
  /** The queue: BullMQ's, or the engine's own Redis queue (fewer round trips; no cluster-wide limits). @default 'bullmq' */
  dispatcher?: 'bullmq' | 'redis';
}

/** Where credits, batches, records, users and tokens live: one database. */
export type StorageConfig =
  | { kind: 'sqlite' }
  | { kind: 'postgres'; databaseUrl: string; schema: string }
  | { kind: 'redis'; redisUrl: string; prefix: string };

/** Where images live: files under the data dir, or objects in an S3-compatible bucket. */
export type ImagesConfig =
  | { kind: 'fs' }
  | {
      kind: 's3';
      endpoint: string;
      region: string;
      bucket: string;
      accessKeyId: string;
      secretAccessKey: string;
      sessionToken?: string;
      keyPrefix?: string;
      forcePathStyle?: boolean;
      publicBaseUrl?: string;
    };

/** Sessions and sign-in limits of the reference server. */
export interface AuthConfig {
  /** A token unused this many days no longer signs in (sliding). */
  sessionDays: number;
  /** Proxies in front that append to `X-Forwarded-For` (0 = the socket's address is the client's). */
  trustedProxyHops: number;
  limits: {
    /** Accounts one client address may create per hour. */
    signupsPerHour: number;
  };
}

export interface ServerConfig {
  /** SQLite storage and filesystem images (when chosen), and the image URL secret when not set. */
  dataDir: string;
  /** HTTP port of `api` and `both` (0 = any free port). */
  port: number;
  /** Port of the `worker` health endpoint; null = a worker listens on no port. */
  healthPort: number | null;
  /** How long running tasks get to finish on SIGTERM. */
  graceMs: number;
  storage: StorageConfig;
  images: ImagesConfig;
  /** null = one process with the in-process dispatcher (`IMAGEGEN_ROLE` unset). */
  cluster: ClusterConfig | null;
  auth: AuthConfig;
}

function whole(env: Env, name: string, min: number): number | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`${name} must be a whole number of at least ${min} (got "${value}")`);
  return n;
}

function readAuth(env: Env): AuthConfig {
  const sessionText = text(env, 'IMAGEGEN_SESSION_DAYS');
  const sessionDays = sessionText === undefined ? 30 : Number(sessionText);
  if (!Number.isFinite(sessionDays) || sessionDays <= 0)
    throw new RangeError(`IMAGEGEN_SESSION_DAYS must be a number of days above 0 (got "${sessionText}")`);
  // true/yes = one proxy; a number = that many proxies in a row.
  const trustText = text(env, 'IMAGEGEN_TRUST_PROXY');
  const trusted = trustText !== undefined && /^\d+$/.test(trustText) ? Number(trustText) : flag(env, 'IMAGEGEN_TRUST_PROXY') ? 1 : 0;
  return { sessionDays, trustedProxyHops: trusted, limits: { signupsPerHour: whole(env, 'IMAGEGEN_SIGNUPS_PER_HOUR', 0) ?? 10 } };
}

function redisPrefix(env: Env): string {
  const prefix = text(env, 'IMAGEGEN_REDIS_PREFIX') ?? 'imagegen:';
  if (/[{}\s]/.test(prefix)) throw new RangeError('IMAGEGEN_REDIS_PREFIX must not contain {, } or spaces');
  return prefix;
}

const redisUrlOf = (env: Env) => url(env, 'REDIS_URL', ['redis:', 'rediss:'], 'redis://host:6379');

function readStorage(env: Env, role: EngineRole | null): StorageConfig {
  // With a role and no choice, Redis, as before IMAGEGEN_STORAGE existed.
  const kind = oneOf(env, 'IMAGEGEN_STORAGE', ['sqlite', 'postgres', 'redis'] as const) ?? (role ? 'redis' : 'sqlite');
  if (kind === 'sqlite') {
    if (role)
      throw new RangeError(
        `IMAGEGEN_STORAGE=sqlite cannot be shared by the processes of a deployment (IMAGEGEN_ROLE=${role}): use IMAGEGEN_STORAGE=postgres or redis`,
      );
    return { kind };
  }
  if (kind === 'postgres') {
    const databaseUrl =
      url(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], 'postgres://user:password@host:5432/database') ??
      required(env, 'DATABASE_URL', 'with IMAGEGEN_STORAGE=postgres (e.g. postgres://user:password@host:5432/database)');
    const schema = text(env, 'IMAGEGEN_POSTGRES_SCHEMA') ?? 'imagegen';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema))
      throw new RangeError('IMAGEGEN_POSTGRES_SCHEMA must be a plain identifier: letters, digits and _');
    return { kind, databaseUrl, schema };
  }
  const redisUrl = redisUrlOf(env) ?? required(env, 'REDIS_URL', 'with IMAGEGEN_STORAGE=redis (e.g. redis://127.0.0.1:6379)');
  return { kind, redisUrl, prefix: redisPrefix(env) };
}

function readImages(env: Env): ImagesConfig {
  const kind = oneOf(env, 'IMAGEGEN_IMAGES', ['fs', 's3'] as const) ?? 'fs';
  if (kind === 'fs') return { kind };
  const why = 'with IMAGEGEN_IMAGES=s3';
  const region = required(env, 'S3_REGION', `${why} (the bucket's region; auto for Cloudflare R2, us-east-1 for most MinIO)`);
  const endpoint =
    url(env, 'S3_ENDPOINT', ['http:', 'https:'], 'https://s3.eu-west-1.amazonaws.com') ?? `https://s3.${region}.amazonaws.com`;
  const publicBaseUrl = url(env, 'S3_PUBLIC_BASE_URL', ['http:', 'https:'], 'https://images.example.com');
  const sessionToken = text(env, 'S3_SESSION_TOKEN');
  const keyPrefix = text(env, 'S3_KEY_PREFIX');
  const forcePathStyle = flag(env, 'S3_FORCE_PATH_STYLE');
  return {
    kind,
    endpoint,
    region,
    bucket: required(env, 'S3_BUCKET', why),
    accessKeyId: required(env, 'S3_ACCESS_KEY_ID', why),
    secretAccessKey: required(env, 'S3_SECRET_ACCESS_KEY', why),
    ...(sessionToken ? { sessionToken } : {}),
    ...(keyPrefix ? { keyPrefix } : {}),
    ...(forcePathStyle !== undefined ? { forcePathStyle } : {}),
    ...(publicBaseUrl ? { publicBaseUrl } : {}),
  };
}

/**
 * Reads the reference server's configuration from the environment (the README's table lists every
 * variable):
 *
 * - `IMAGEGEN_ROLE`: unset = one process; `api`, `worker` or `both` = one process of a deployment,
 *   with the BullMQ dispatcher and the Redis event relay on `REDIS_URL` (then required).
 * - `IMAGEGEN_STORAGE`: `sqlite` (default without a role; not with one), `postgres`
 *   (`DATABASE_URL`, `IMAGEGEN_POSTGRES_SCHEMA`) or `redis` (`REDIS_URL`; default with a role).
 *   Users and tokens live in the same database.
 * - `IMAGEGEN_IMAGES`: `fs` (default: files under the data dir) or `s3` (`S3_*`).
 * - `IMAGEGEN_LEASE_MS`, `IMAGEGEN_CONCURRENCY` (with a role): how soon a dead worker's tasks
 *   are taken over, and how many tasks one process runs at once (8).
 * - `IMAGEGEN_DISPATCHER` (with a role): `bullmq` (default) or `redis` (the Redis queue); every
 *   process of a deployment must name the same one.
 * - `IMAGEGEN_REDIS_PREFIX` (default `imagegen:`), `IMAGEGEN_DATA_DIR` (or `DATA_DIR`; default
 *   `./data`), `PORT` (default 3000), `IMAGEGEN_HEALTH_PORT` (a worker's `/health`, `/ready`
 *   and `/metrics`; default none), `IMAGEGEN_SHUTDOWN_GRACE_MS` (default 20000 with a role, 2000 without).
 * - Read elsewhere: `IMAGEGEN_METRICS` (`0` turns `/metrics` off; telemetry.ts) and
 *   `IMAGEGEN_LOG_LEVEL` (`debug`, `info`, `warn`, `error`; json-logger.ts).
 * - `IMAGEGEN_SESSION_DAYS` (30: sliding), `IMAGEGEN_TRUST_PROXY` (unset: the socket's address;
 *   `1`/`true` or a number of proxies: from `X-Forwarded-For`), `IMAGEGEN_SIGNUPS_PER_HOUR` (10
 *   accounts per address per hour).
 *
 * Throws a `RangeError` naming the variable when one is wrong or missing.
 */
export function readServerConfig(env: Env = process.env): ServerConfig {
  const roleText = text(env, 'IMAGEGEN_ROLE');
  let cluster: ClusterConfig | null = null;
  if (roleText !== undefined) {
    const role = parseEngineRole(roleText);
    const redisUrl = redisUrlOf(env);
    if (redisUrl === undefined) {
      throw new RangeError(
        `IMAGEGEN_ROLE=${role} needs REDIS_URL (e.g. redis://127.0.0.1:6379): the processes of a deployment share the queue and the events through Redis. Unset IMAGEGEN_ROLE to run one process.`,
      );
    }
    const leaseMs = whole(env, 'IMAGEGEN_LEASE_MS', 500);
    const concurrency = whole(env, 'IMAGEGEN_CONCURRENCY', 1);
    const dispatcher = oneOf(env, 'IMAGEGEN_DISPATCHER', ['bullmq', 'redis'] as const);
    cluster = {
      role,
      redisUrl,
      prefix: redisPrefix(env),
      ...(leaseMs !== undefined ? { leaseMs } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(dispatcher !== undefined ? { dispatcher } : {}),
    };
  }
  const storage = readStorage(env, cluster?.role ?? null);
  const images = readImages(env);
  const graceText = text(env, 'IMAGEGEN_SHUTDOWN_GRACE_MS');
  const graceMs = graceText === undefined ? (cluster ? 20_000 : 2_000) : Number(graceText);
  if (!Number.isSafeInteger(graceMs) || graceMs < 0)
    throw new RangeError(`IMAGEGEN_SHUTDOWN_GRACE_MS must be a whole number of milliseconds (got "${graceText}")`);
  return {
    dataDir: text(env, 'IMAGEGEN_DATA_DIR') ?? text(env, 'DATA_DIR') ?? './data',
    port: port(env, 'PORT') ?? 3000,
    healthPort: port(env, 'IMAGEGEN_HEALTH_PORT') ?? null,
    graceMs,
    storage,
    images,
    cluster,
    auth: readAuth(env),
  };
}
