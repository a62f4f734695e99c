import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { ConflictError } from '../../../core/errors/conflict-error.js';
import { InsufficientCreditsError } from '../../../core/errors/insufficient-credits-error.js';
import { ValidationError } from '../../../core/errors/validation-error.js';
import type {
  IdempotencyState,
  LedgerEntryInput,
  LedgerWriteResult,
  OpenTaskRef,
  Page,
  PendingGeneration,
  StorageAdapter,
  TaskEndResult,
} from '../../../core/ports/storage-adapter.js';
import type { BatchRecord, BatchSummary, GenerationRecord, LedgerEntry } from '../../../core/schemas/records.js';
import { copyBatch, idTaken, numericCursor, pageLimit, retainOf, staleAfterOf, taskNotFailed } from '../../../core/storage-kit/index.js';
import { decodeBatch, decodeEntry, decodeSummary, decodeTask, encodeBatch, encodeEntryRequest } from './codec.js';
import { Keys } from './keys.js';
import { Code, SCRIPTS, type RedisScript } from './scripts/index.js';

/** A pending idempotency key lives in Redis at least this long (twice its staleness when longer). */
const MIN_PENDING_TTL_MS = 60 * 60 * 1000;

export { SCRIPT_VERSION } from './scripts/index.js';

/**
 * A client you own (closed by you), or options for one the adapter creates (and closes). A client
 * it creates has `enableAutoPipelining` on unless the options say otherwise: the writes of many
 * tasks running at once then go out in one socket write per turn of the event loop.
 */
export type RedisConnection = { client: Redis | Cluster; options?: never } | { options: RedisOptions; client?: never };

export interface RedisStorageOptions {
  /** Prepended to every key; must not contain `{` or `}`. @default 'igk:' */
  prefix?: string;
}

type Reply = Array<string | number | null>;

/**
 * Storage in Redis (ioredis). Every step that reads and writes, or writes more than one key, is
 * one Lua script that checks before it writes (see `scripts/`), so several processes may share
 * one Redis. A user's keys share the hash tag `{username}`, so the scripts also run on Redis
 * Cluster. Scripts are registered with `defineCommand` under versioned names; ioredis reloads them
 * by itself after `SCRIPT FLUSH` or a restart (NOSCRIPT falls back to EVAL).
 *
 * @example
 * const storage = createRedisStorage({ options: { host: '127.0.0.1', port: 6379 } }, { prefix: 'myapp:' });
 */
export function createRedisStorage(connection: RedisConnection, options: RedisStorageOptions = {}): StorageAdapter {
  const owned = !connection.client;
  const client: Redis | Cluster = connection.client ?? new Redis({ enableAutoPipelining: true, ...connection.options });
  const keys = new Keys(options.prefix ?? 'igk:');
  for (const s of Object.values(SCRIPTS)) client.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });

  const call = <T = Reply>(s: RedisScript, keyList: string[], args: Array<string | number>): Promise<T> =>
    (client as unknown as Record<string, (...a: Array<string | number>) => Promise<T>>)[s.name]!(...keyList, ...args);

  const batchKeys = (batchId: string) => keys.batch(batchId);
  const ledgerKeys = (username: string) => {
    const u = keys.user(username);
    return [u.balance, u.journal, u.journalKeys];
  };

  /** Maps a script's negative code to the shared error classes. */
  function fail(reply: Reply, input: LedgerEntryInput, id: string): never {
    switch (reply[0]) {
      case Code.insufficient:
        throw new InsufficientCreditsError(-input.amount, Number(reply[1]));
      case Code.mismatch:
        throw new ConflictError(
          'idempotency_mismatch',
          `Idempotency key "${input.idempotencyKey}" was already used for a different request`,
        );
      case Code.idTaken:
        throw idTaken(id);
      case Code.notFailed:
        throw taskNotFailed(id, String(reply[1]));
      default:
        throw new Error(`imagegen-kit: unexpected reply from Redis script: ${JSON.stringify(reply)}`);
    }
  }

  const written = (username: string, reply: Reply): LedgerWriteResult => ({
    entry: decodeEntry(username, Number(reply[1]), String(reply[2])),
    balance: Number(reply[3]),
    replayed: reply[0] === Code.replayed,
  });

  async function getBatch(batchId: string): Promise<BatchRecord | null> {
    const k = batchKeys(batchId);
    if (!k) return null;
    const hash = await client.hgetall(k.key);
    return hash.n === undefined ? null : decodeBatch(batchId, k.username, hash);
  }

  function endResult(batchId: string, index: number, reply: Reply | null): TaskEndResult | null {
    if (!reply) return null;
    const [fixed, state, n, c, f, s, ca, ua] = reply.map((v) => (v === null ? '' : String(v)));
    const batch: BatchSummary = decodeSummary(batchId, [n!, c!, f!, s!, ca!, ua!]);
    return {
      task: decodeTask(batchId, index, fixed!, state!),
      batch,
      batchCompleted: batch.completedTasks + batch.failedTasks === batch.totalTasks,
    };
  }

  function requireBatch(batchId: string) {
    const k = batchKeys(batchId);
    if (!k) throw new ValidationError('batchId', 'must be batch:{username}:{timestamp}');
    return k;
  }

  async function readOpenBatches(): Promise<Array<{ username: string; member: string; createdAt: number }>> {
    const users = await client.zrange(keys.openUsers, 0, -1, 'WITHSCORES');
    if (users.length === 0) return [];
    const pipe = client.pipeline();
    for (let i = 0; i < users.length; i += 2) pipe.zrange(keys.user(users[i]!).openBatches, 0, -1, 'WITHSCORES');
    const replies = (await pipe.exec()) ?? [];
    const open: Array<{ username: string; member: string; createdAt: number }> = [];
    const prunes: Array<Promise<unknown>> = [];
    replies.forEach(([error, members], j) => {
      if (error) throw error;
      const username = users[j * 2]!;
      const list = members as string[];
      if (list.length === 0) prunes.push(call(SCRIPTS.pruneOpenUser, [keys.openUsers], [username, users[j * 2 + 1]!]));
      for (let i = 0; i < list.length; i += 2) open.push({ username, member: list[i]!, createdAt: Number(list[i + 1]) });
    });
    await Promise.all(prunes);
    return open.sort((a, b) => a.createdAt - b.createdAt || a.username.localeCompare(b.username));
  }

  return {
    name: 'redis',

    async applyLedgerEntry(input, now) {
      const reply = await call(SCRIPTS.applyLedgerEntry, ledgerKeys(input.username), [encodeEntryRequest(input, now)]);
      if (reply[0] !== Code.written && reply[0] !== Code.replayed) fail(reply, input, input.idempotencyKey);
      return written(input.username, reply);
    },
    async getBalance(username) {
      return Number((await client.get(keys.user(username).balance)) ?? 0);
    },
    async getLedgerEntry(username, idempotencyKey) {
      const u = keys.user(username);
      const seq = await client.hget(u.journalKeys, idempotencyKey);
      if (seq === null) return null;
      const raw = await client.lindex(u.journal, Number(seq) - 1);
      return raw === null ? null : decodeEntry(username, Number(seq), raw);
    },
    async listLedger(username, page) {
      const u = keys.user(username);
      const limit = pageLimit(page.limit);
      const before = numericCursor(page.cursor) ?? (await client.llen(u.journal)) + 1;
      const end = Math.max(0, before - 1);
      const start = Math.max(0, end - limit);
      if (end === 0) return { items: [], nextCursor: null };
      const raws = await client.lrange(u.journal, start, end - 1);
      const items: LedgerEntry[] = raws.map((raw, i) => decodeEntry(username, start + i + 1, raw)).reverse();
      const last = items.at(-1);
      return { items, nextCursor: last && last.seq > 1 ? String(last.seq) : null };
    },

    async createBatch(batch, charge, now) {
      const k = requireBatch(batch.batchId);
      if (k.username !== batch.username || charge.username !== batch.username) {
        throw new ValidationError('username', 'the batch id, the batch and the charge must name the same user');
      }
      const u = keys.user(batch.username);
      const open = batch.status !== 'completed';
      // The recovery index first: a crash after this leaves a harmless extra entry, never a gap.
      if (open) await call(SCRIPTS.touchOpenUser, [keys.openUsers, keys.openToken], [batch.username]);
      const reply = await call(
        SCRIPTS.createBatch,
        [...ledgerKeys(batch.username), k.key, u.batches, u.openBatches],
        [
          encodeEntryRequest({ ...charge, reference: batch.batchId }, now),
          batch.batchId,
          k.member,
          batch.createdAt,
          open ? 1 : 0,
          ...encodeBatch(batch),
        ],
      );
      if (reply[0] === Code.written) return { ...written(batch.username, reply), batch: copyBatch(batch) };
      if (reply[0] !== Code.replayed) fail(reply, charge, batch.batchId);
      const replay = written(batch.username, reply);
      const paidFor = replay.entry.reference ? await getBatch(replay.entry.reference) : null;
      if (!paidFor) throw idTaken(replay.entry.reference ?? charge.idempotencyKey);
      return { ...replay, batch: paidFor };
    },
    getBatch,
    async getTask(batchId, index) {
      const k = batchKeys(batchId);
      if (!k || !Number.isInteger(index) || index < 0) return null;
      const [fixed, state] = await client.hmget(k.key, `p${index}`, `t${index}`);
      return fixed && state ? decodeTask(batchId, index, fixed, state) : null;
    },
    async listBatches(username, page): Promise<Page<BatchSummary>> {
      const u = keys.user(username);
      const limit = pageLimit(page.limit);
      const before = numericCursor(page.cursor);
      const members = await client.zrange(
        u.batches,
        before === null ? '+inf' : `(${before}`,
        '-inf',
        'BYSCORE',
        'REV',
        'LIMIT',
        0,
        limit + 1,
      );
      const pageMembers = members.slice(0, limit);
      const pipe = client.pipeline();
      for (const m of pageMembers) pipe.hmget(u.batch(m), 'n', 'c', 'f', 's', 'ca', 'ua');
      const replies = pageMembers.length ? ((await pipe.exec()) ?? []) : [];
      const items = replies.map(([error, fields], i) => {
        if (error) throw error;
        return decodeSummary(`batch:${username}:${pageMembers[i]}`, fields as string[]);
      });
      return { items, nextCursor: members.length > limit ? String(items.at(-1)!.createdAt) : null };
    },
    async claimTask(batchId, index, claim) {
      const k = batchKeys(batchId);
      if (!k) return null;
      const expected = claim.expect.status === 'processing' ? claim.expect.attempts : '';
      const reply = await call<[string, string] | null>(
        SCRIPTS.claimTask,
        [k.key],
        [index, claim.expect.status, expected, claim.now, claim.leaseExpiresAt],
      );
      return reply ? decodeTask(batchId, index, reply[0], reply[1]) : null;
    },
    async updateTaskProgress(batchId, index, attempts, update) {
      const k = batchKeys(batchId);
      if (!k) return false;
      const setRequest = update.providerRequestId !== undefined;
      const reply = await call<number>(
        SCRIPTS.updateTaskProgress,
        [k.key],
        [index, attempts, update.progress, setRequest ? 1 : 0, update.providerRequestId ?? '', update.leaseExpiresAt ?? '', update.now],
      );
      return reply === 1;
    },
    async completeTask(batchId, index, attempts, result, now) {
      const k = batchKeys(batchId);
      if (!k) return null;
      const u = keys.user(k.username);
      const reply = await call<Reply | null>(
        SCRIPTS.endTask,
        [k.key, u.openBatches],
        [index, attempts, 'c', JSON.stringify(result), now, k.member],
      );
      return endResult(batchId, index, reply);
    },
    async failTask(batchId, index, attempts, error, now) {
      const k = batchKeys(batchId);
      if (!k) return null;
      const u = keys.user(k.username);
      const reply = await call<Reply | null>(SCRIPTS.endTask, [k.key, u.openBatches], [index, attempts, 'f', error, now, k.member]);
      return endResult(batchId, index, reply);
    },
    async retryTask(batchId, index, charge, now) {
      const k = requireBatch(batchId);
      if (k.username !== charge.username) throw new ValidationError('username', 'the batch id and the charge must name the same user');
      const u = keys.user(k.username);
      const taskId = `${batchId}:${index}`;
      await call(SCRIPTS.touchOpenUser, [keys.openUsers, keys.openToken], [k.username]);
      const reply = await call(
        SCRIPTS.retryTask,
        [...ledgerKeys(k.username), k.key, u.openBatches],
        [encodeEntryRequest({ ...charge, reference: taskId }, now), index, taskId, now, k.member],
      );
      if (reply[0] !== Code.written && reply[0] !== Code.replayed) fail(reply, charge, taskId);
      const [fixed, state] = [reply[4], reply[5]];
      if (fixed === null || state === null) throw taskNotFailed(taskId, 'missing');
      return { ...written(k.username, reply), task: decodeTask(batchId, index, String(fixed), String(state)) };
    },
    async listOpenTasks(limit) {
      const max = Math.max(0, Math.floor(limit));
      const out: OpenTaskRef[] = [];
      if (max === 0) return out;
      const open = await readOpenBatches();
      // Read the open batches a few at a time, pipelined, until `limit` tasks are found.
      for (let i = 0; i < open.length && out.length < max; i += 50) {
        const chunk = open.slice(i, i + 50);
        const pipe = client.pipeline();
        for (const b of chunk) pipe.hgetall(keys.user(b.username).batch(b.member));
        const replies = (await pipe.exec()) ?? [];
        replies.forEach(([error, hash], j) => {
          if (error) throw error;
          const b = chunk[j]!;
          const h = hash as Record<string, string>;
          if (h.n === undefined) return;
          const batch = decodeBatch(`batch:${b.username}:${b.member}`, b.username, h);
          for (const [index, task] of batch.tasks.entries()) {
            if (out.length >= max) return;
            if (task.status !== 'pending' && task.status !== 'processing') continue;
            out.push({
              batchId: batch.batchId,
              username: b.username,
              index,
              status: task.status,
              attempts: task.attempts,
              leaseExpiresAt: task.leaseExpiresAt,
            });
          }
        });
      }
      return out;
    },

    async createRecord(record: GenerationRecord) {
      const k = keys.record(record.recordId);
      if (!k) throw new ValidationError('recordId', 'must be record:{username}:{timestamp}');
      if (k.username !== record.username) throw new ValidationError('username', 'the record id and the record must name the same user');
      const reply = await call(
        SCRIPTS.createRecord,
        [k.key, keys.user(k.username).records],
        [JSON.stringify(record), record.createdAt, k.member],
      );
      if (reply[0] === Code.idTaken) throw idTaken(record.recordId);
    },
    async getRecord(recordId) {
      const k = keys.record(recordId);
      if (!k) return null;
      const raw = await client.get(k.key);
      return raw === null ? null : (JSON.parse(raw) as GenerationRecord);
    },
    async listRecords(username, page) {
      const u = keys.user(username);
      const limit = pageLimit(page.limit);
      const before = numericCursor(page.cursor);
      const members = await client.zrange(
        u.records,
        before === null ? '+inf' : `(${before}`,
        '-inf',
        'BYSCORE',
        'REV',
        'LIMIT',
        0,
        limit + 1,
      );
      const pageMembers = members.slice(0, limit);
      const raws = pageMembers.length ? await client.mget(...pageMembers.map((m) => u.record(m))) : [];
      const items = raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as GenerationRecord);
      return { items, nextCursor: members.length > limit && items.length ? String(items.at(-1)!.createdAt) : null };
    },

    async beginIdempotent(key, fingerprint, now, options): Promise<IdempotencyState> {
      const staleAfterMs = staleAfterOf(options);
      // Redis drops an abandoned pending key well after any caller would have taken it over.
      const pendingTtl = staleAfterMs === null ? '' : Math.max(2 * staleAfterMs, MIN_PENDING_TTL_MS);
      const reply = await call<Array<string | null>>(
        SCRIPTS.beginIdempotent,
        [keys.idempotency(key)],
        [fingerprint, now, staleAfterMs ?? '', pendingTtl],
      );
      if (reply[0] === 'new') return { state: 'new' };
      if (reply[0] === 'done') return { state: 'done', fingerprint: reply[1]!, response: JSON.parse(reply[2] ?? 'null') as unknown };
      return { state: 'pending', fingerprint: reply[1]! };
    },
    async completeIdempotent(key, response, now, options) {
      const retainMs = retainOf(options);
      await call(SCRIPTS.completeIdempotent, [keys.idempotency(key)], [JSON.stringify(response ?? null), now + retainMs, retainMs]);
    },
    async abandonIdempotent(key) {
      await call(SCRIPTS.abandonIdempotent, [keys.idempotency(key)], []);
    },

    // Pending generations: two keys of the `{pending}` slot, always changed together in one MULTI.
    async putPendingGeneration(pending) {
      const marker = { username: pending.username, chargeKey: pending.chargeKey, startedAt: pending.startedAt };
      await client
        .multi()
        .hset(keys.pendingMarkers, pending.recordId, JSON.stringify(marker))
        .zadd(keys.pendingByStart, pending.startedAt, pending.recordId)
        .exec();
    },
    async deletePendingGeneration(recordId) {
      await client.multi().zrem(keys.pendingByStart, recordId).hdel(keys.pendingMarkers, recordId).exec();
    },
    async listPendingGenerations(startedBefore, limit) {
      const count = Math.max(0, Math.floor(limit));
      if (count === 0) return [];
      // Members with equal scores come back in lexical order: oldest first, ties by record id.
      const ids = await client.zrange(keys.pendingByStart, '-inf', `(${startedBefore}`, 'BYSCORE', 'LIMIT', 0, count);
      if (ids.length === 0) return [];
      const raws = await client.hmget(keys.pendingMarkers, ...ids);
      const out: PendingGeneration[] = [];
      ids.forEach((recordId, i) => {
        const raw = raws[i];
        // Deleted between the two reads: skip it.
        if (raw == null) return;
        const marker = JSON.parse(raw) as Omit<PendingGeneration, 'recordId'>;
        out.push({ recordId, username: marker.username, chargeKey: marker.chargeKey, startedAt: marker.startedAt });
      });
      return out;
    },

    async close() {
      if (owned) await client.quit();
    },
  };
}
