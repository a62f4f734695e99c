import type { BatchStore, OpenTaskRef, Page } from '../../../core/ports/storage-adapter.js';
import type { BatchRecord, BatchSummary } from '../../../core/schemas/records.js';
import {
  assertBatchOwner,
  assertRetryOwner,
  copyBatch,
  idTaken,
  taskNotFailed,
  tooManyTasksWaiting,
} from '../../../core/storage-kit/index.js';
import { decodeBatch, decodeSummary, decodeTask, encodeBatch, encodeEntryRequest } from './codec.js';
import { fail, ledgerKeys, newestFirstPage, type RedisContext, type Reply, requireBatch, written } from './context.js';
import { Code, SCRIPTS } from './scripts/index.js';

/** The batch half of the batch store: creation, reads, lists, retry and recovery. Task transitions are in `tasks.ts`. */
export type RedisBatchRole = Pick<BatchStore, 'createBatch' | 'getBatch' | 'getTask' | 'listBatches' | 'retryTask' | 'listOpenTasks'>;

/** Batches: one hash each (counters and every task), a per-user zset by creation time and one of open batches. */
export function redisBatches({ client, keys, single, call }: RedisContext): RedisBatchRole {
  async function getBatch(batchId: string): Promise<BatchRecord | null> {
    const k = keys.batch(batchId);
    if (!k) return null;
    const hash = await client.hgetall(k.key);
    return hash.n === undefined ? null : decodeBatch(batchId, k.username, hash);
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
    async createBatch(batch, charge, now, limits) {
      const k = requireBatch(keys, batch.batchId);
      assertBatchOwner(batch, charge);
      const u = keys.user(batch.username);
      const open = batch.status !== 'completed';
      // On Cluster the recovery index (another slot) is written first, by its own call: a crash
      // after it leaves a harmless extra entry, never a gap. A single Redis writes it in the batch's script.
      if (open && !single) await call(SCRIPTS.touchOpenUser, [keys.openUsers, keys.openToken], [batch.username]);
      const args: Array<string | number> = [
        encodeEntryRequest({ ...charge, reference: batch.batchId }, now),
        batch.batchId,
        k.member,
        batch.createdAt,
        open ? 1 : 0,
        limits?.maxTasksWaiting ?? '',
        u.batch(''),
        batch.totalTasks,
      ];
      const batchKeys = [...ledgerKeys(keys, batch.username), k.key, u.batches, u.openBatches];
      const reply = single
        ? await call(
            SCRIPTS.createBatchIndexed,
            [...batchKeys, keys.openUsers, keys.openToken, u.grants, u.grantDraws],
            [...args, batch.username, ...encodeBatch(batch), 'ck', charge.idempotencyKey],
          )
        : await call(
            SCRIPTS.createBatch,
            [...batchKeys, u.grants, u.grantDraws],
            [...args, ...encodeBatch(batch), 'ck', charge.idempotencyKey],
          );
      if (reply[0] === Code.written) return { ...written(batch.username, reply), batch: copyBatch(batch) };
      if (reply[0] === Code.tooManyWaiting) throw tooManyTasksWaiting(Number(reply[1]), batch.totalTasks, limits?.maxTasksWaiting)!;
      if (reply[0] !== Code.replayed) fail(reply, charge, batch.batchId);
      const replay = written(batch.username, reply);
      const paidFor = replay.entry.reference ? await getBatch(replay.entry.reference) : null;
      if (!paidFor) throw idTaken(replay.entry.reference ?? charge.idempotencyKey);
      return { ...replay, batch: paidFor };
    },
    getBatch,
    async getTask(batchId, index) {
      const k = keys.batch(batchId);
      if (!k || !Number.isInteger(index) || index < 0) return null;
      const [fixed, state] = await client.hmget(k.key, `p${index}`, `t${index}`);
      return fixed && state ? decodeTask(batchId, index, fixed, state) : null;
    },
    async listBatches(username, page): Promise<Page<BatchSummary>> {
      const u = keys.user(username);
      const { members: pageMembers, more } = await newestFirstPage(client, u.batches, page);
      const pipe = client.pipeline();
      for (const m of pageMembers) pipe.hmget(u.batch(m), 'n', 'c', 'f', 's', 'ca', 'ua', 'x');
      const replies = pageMembers.length ? ((await pipe.exec()) ?? []) : [];
      const items = replies.map(([error, fields], i) => {
        if (error) throw error;
        return decodeSummary(`batch:${username}:${pageMembers[i]}`, fields as string[]);
      });
      return { items, nextCursor: more ? String(items.at(-1)!.createdAt) : null };
    },
    async retryTask(batchId, index, { charge, progress }, now) {
      const k = requireBatch(keys, batchId);
      assertRetryOwner(batchId, charge);
      const u = keys.user(k.username);
      const taskId = `${batchId}:${index}`;
      const args = [encodeEntryRequest({ ...charge, reference: taskId }, now), index, taskId, now, k.member, progress];
      const taskKeys = [...ledgerKeys(keys, k.username), k.key, u.openBatches];
      let reply: Reply;
      if (single) {
        reply = await call(
          SCRIPTS.retryTaskIndexed,
          [...taskKeys, keys.openUsers, keys.openToken, u.grants, u.grantDraws],
          [...args, k.username],
        );
      } else {
        await call(SCRIPTS.touchOpenUser, [keys.openUsers, keys.openToken], [k.username]);
        reply = await call(SCRIPTS.retryTask, [...taskKeys, u.grants, u.grantDraws], args);
      }
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
  };
}
