import type { EngineRole } from '../../src/index.js';
import { parseEngineRole } from '../../src/index.js';

/** How a reference server process joins a deployment of several processes on one Redis. */
export interface ClusterConfig {
  /** `api` serves HTTP and only enqueues, `worker` runs tasks, `both` does both. */
  role: EngineRole;
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  redisUrl: string;
  /** Prefix of every Redis key (storage, BullMQ queue, event channel). @default 'imagegen:' */
  prefix: string;
}

export interface ServerConfig {
  /** Users, images (and, in one process, the SQLite storage). Shared by every process of a deployment. */
  dataDir: string;
  /** HTTP port of `api` and `both` (0 = any free port). */
  port: number;
  /** Port of the `worker` health endpoint; null = a worker listens on no port. */
  healthPort: number | null;
  /** How long running tasks get to finish on SIGTERM. */
  graceMs: number;
  /** null = one process on SQLite with the in-process dispatcher (`IMAGEGEN_ROLE` unset). */
  cluster: ClusterConfig | null;
}

const text = (env: Record<string, string | undefined>, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value ? value : undefined;
};

function port(env: Record<string, string | undefined>, name: string): number | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new RangeError(`${name} must be a port number from 0 to 65535 (got "${value}")`);
  return n;
}

/**
 * Reads the reference server's configuration from the environment:
 *
 * - `IMAGEGEN_ROLE`: unset = one process on SQLite (no servers needed); `api`, `worker` or `both`
 *   = one process of a deployment on Redis (storage), BullMQ (dispatch) and Redis pub/sub (events).
 * - `REDIS_URL`: required when `IMAGEGEN_ROLE` is set.
 * - `IMAGEGEN_REDIS_PREFIX` (default `imagegen:`), `IMAGEGEN_DATA_DIR` (or `DATA_DIR`; default
 *   `./data`), `PORT` (default 3000), `IMAGEGEN_HEALTH_PORT` (workers; default none),
 *   `IMAGEGEN_SHUTDOWN_GRACE_MS` (default 20000 with a role, 2000 without).
 *
 * Throws a `RangeError` naming the variable when one is wrong.
 */
export function readServerConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const roleText = text(env, 'IMAGEGEN_ROLE');
  let cluster: ClusterConfig | null = null;
  if (roleText !== undefined) {
    const role = parseEngineRole(roleText);
    const redisUrl = text(env, 'REDIS_URL');
    if (redisUrl === undefined) {
      throw new RangeError(
        `IMAGEGEN_ROLE=${role} needs REDIS_URL (e.g. redis://127.0.0.1:6379): the processes of a deployment share storage, queue and events through Redis. Unset IMAGEGEN_ROLE to run one process on SQLite.`,
      );
    }
    const prefix = text(env, 'IMAGEGEN_REDIS_PREFIX') ?? 'imagegen:';
    if (/[{}\s]/.test(prefix)) throw new RangeError('IMAGEGEN_REDIS_PREFIX must not contain {, } or spaces');
    cluster = { role, redisUrl, prefix };
  }
  const graceText = text(env, 'IMAGEGEN_SHUTDOWN_GRACE_MS');
  const graceMs = graceText === undefined ? (cluster ? 20_000 : 2_000) : Number(graceText);
  if (!Number.isSafeInteger(graceMs) || graceMs < 0)
    throw new RangeError(`IMAGEGEN_SHUTDOWN_GRACE_MS must be a whole number of milliseconds (got "${graceText}")`);
  return {
    dataDir: text(env, 'IMAGEGEN_DATA_DIR') ?? text(env, 'DATA_DIR') ?? './data',
    port: port(env, 'PORT') ?? 3000,
    healthPort: port(env, 'IMAGEGEN_HEALTH_PORT') ?? null,
    graceMs,
    cluster,
  };
}
