import type { Cluster, Redis } from 'ioredis';
import { ConflictError } from '../../../core/errors/conflict-error.js';
import { InsufficientCreditsError } from '../../../core/errors/insufficient-credits-error.js';
import { ValidationError } from '../../../core/errors/validation-error.js';
import type { LedgerEntryInput, LedgerWriteResult, PageRequest } from '../../../core/ports/storage-adapter.js';
import { idTaken, numericCursor, pageLimit, taskNotFailed } from '../../../core/storage-kit/index.js';
import { decodeEntry } from './codec.js';
import type { Keys } from './keys.js';
import { Code, type RedisScript } from './scripts/index.js';

export type Reply = Array<string | number | null>;

/** What every role of the Redis adapter works with: the client, the key layout and the scripts. */
export interface RedisContext {
  client: Redis | Cluster;
  keys: Keys;
  /**
   * True on a single Redis (not Cluster): a script may then also write the `{open}` index keys,
   * which Cluster keeps in another slot.
   */
  single: boolean;
  /** Runs a script registered with `defineCommand`. */
  call<T = Reply>(s: RedisScript, keyList: string[], args: Array<string | number>): Promise<T>;
}

/** `beforeCall` runs before every script is sent (see `writeCoalescer`). */
export function createContext(client: Redis | Cluster, keys: Keys, beforeCall?: () => void): RedisContext {
  const commands = client as unknown as Record<string, (...a: Array<string | number>) => Promise<unknown>>;
  return {
    client,
    keys,
    single: (client as { isCluster?: boolean }).isCluster !== true,
    call: <T = Reply>(s: RedisScript, keyList: string[], args: Array<string | number>): Promise<T> => {
      beforeCall?.();
      return commands[s.name]!(...keyList, ...args) as Promise<T>;
    },
  };
}

/** The three keys of a user's journal, in the order the ledger scripts take them. */
export function ledgerKeys(keys: Keys, username: string): string[] {
  const u = keys.user(username);
  return [u.balance, u.journal, u.journalKeys];
}

/** The batch's key and owner, parsed from `batch:{username}:{timestamp}`; throws for another shape. */
export function requireBatch(keys: Keys, batchId: string) {
  const k = keys.batch(batchId);
  if (!k) throw new ValidationError('batchId', 'must be batch:{username}:{timestamp}');
  return k;
}

/** Maps a script's negative code to the shared error classes. */
export function fail(reply: Reply, input: LedgerEntryInput, id: string): never {
  switch (reply[0]) {
    case Code.insufficient:
      throw new InsufficientCreditsError(-input.amount, Number(reply[1]));
    case Code.mismatch:
      throw new ConflictError('idempotency_mismatch', `Idempotency key "${input.idempotencyKey}" was already used for a different request`);
    case Code.idTaken:
      throw idTaken(id);
    case Code.notFailed:
      throw taskNotFailed(id, String(reply[1]));
    default:
      throw new Error(`imagegen-kit: unexpected reply from Redis script: ${JSON.stringify(reply)}`);
  }
}

/** The ledger part of a script's reply: {code, seq, entry, balance, ...}. */
export const written = (username: string, reply: Reply): LedgerWriteResult => ({
  entry: decodeEntry(username, Number(reply[1]), String(reply[2])),
  balance: Number(reply[3]),
  replayed: reply[0] === Code.replayed,
});

/**
 * One page of a user's zset scored by `createdAt`, newest first, before the cursor: the page's
 * members, and whether more follow (one member past the page is read to tell).
 */
export async function newestFirstPage(
  client: Redis | Cluster,
  zset: string,
  page: PageRequest,
): Promise<{ members: string[]; more: boolean }> {
  const limit = pageLimit(page.limit);
  const before = numericCursor(page.cursor);
  const found = await client.zrange(zset, before === null ? '+inf' : `(${before}`, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, limit + 1);
  return { members: found.slice(0, limit), more: found.length > limit };
}
