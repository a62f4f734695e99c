import type { BatchStore, TaskEndResult } from '../../../core/ports/storage-adapter.js';
import type { BatchSummary } from '../../../core/schemas/records.js';
import { taskRefundEntry } from '../../../core/storage-kit/index.js';
import { decodeEntry, decodeSummary, decodeTask, encodeEntryRequest } from './codec.js';
import { ledgerKeys, type RedisContext, type Reply } from './context.js';
import { noteFailure } from './admin-queries.js';
import { SCRIPTS } from './scripts/index.js';

/** The task half of the batch store: the compare-and-set transitions, one script each. */
export type RedisTaskRole = Pick<BatchStore, 'claimTask' | 'updateTaskProgress' | 'completeTask' | 'failTask'>;

function endResult(batchId: string, username: string, index: number, reply: Reply | null): TaskEndResult | null {
  if (!reply) return null;
  const [fixed, state, n, c, f, s, ca, ua, x, refundSeq, refundEntry, balance] = reply.map((v) => (v === null ? '' : String(v)));
  const batch: BatchSummary = decodeSummary(batchId, [n!, c!, f!, s!, ca!, ua!, x!]);
  return {
    task: decodeTask(batchId, index, fixed!, state!),
    batch,
    batchCompleted: batch.completedTasks + batch.failedTasks + batch.cancelledTasks === batch.totalTasks,
    refund: refundEntry
      ? { entry: decodeEntry(username, Number(refundSeq), refundEntry), balance: Number(balance), replayed: false }
      : null,
  };
}

/** Task transitions on the batch hash (`t{index}` holds a task's changing state). */
export function redisTasks({ client, keys, call }: RedisContext): RedisTaskRole {
  return {
    async claimTask(batchId, index, claim) {
      const k = keys.batch(batchId);
      if (!k) return null;
      const expected = claim.expect.status === 'processing' ? claim.expect.attempts : '';
      const reply = await call<[string, string] | null>(
        SCRIPTS.claimTask,
        [k.key],
        [index, claim.expect.status, expected, claim.now, claim.leaseExpiresAt, claim.progress],
      );
      return reply ? decodeTask(batchId, index, reply[0], reply[1]) : null;
    },
    async updateTaskProgress(batchId, index, attempts, update) {
      const k = keys.batch(batchId);
      if (!k) return false;
      const setRequest = update.providerRequestId !== undefined;
      const reply = await call<number>(
        SCRIPTS.updateTaskProgress,
        [k.key],
        [index, attempts, update.progress, setRequest ? 1 : 0, update.providerRequestId ?? '', update.leaseExpiresAt ?? '', update.now],
      );
      return reply === 1;
    },
    async completeTask(batchId, index, attempts, { result, progress }, now) {
      const k = keys.batch(batchId);
      if (!k) return null;
      const reply = await call<Reply | null>(
        SCRIPTS.completeTask,
        [k.key, keys.user(k.username).openBatches],
        [index, attempts, 'c', JSON.stringify(result), now, k.member, progress],
      );
      return endResult(batchId, k.username, index, reply);
    },
    async failTask(batchId, index, attempts, error, now, refund) {
      const k = keys.batch(batchId);
      if (!k) return null;
      const taskId = `${batchId}:${index}`;
      await noteFailure(client, keys, batchId, index, attempts, now);
      // The script names the charge key (the batch hash keeps it).
      const entry = refund && refund.amount > 0 ? encodeEntryRequest(taskRefundEntry(refund, k.username, taskId, attempts, null), now) : '';
      const reply = await call<Reply | null>(
        SCRIPTS.endTask,
        [
          ...ledgerKeys(keys, k.username),
          k.key,
          keys.user(k.username).openBatches,
          keys.user(k.username).grants,
          keys.user(k.username).grantDraws,
        ],
        [index, attempts, 'f', error, now, k.member, '', entry, taskId],
      );
      return endResult(batchId, k.username, index, reply);
    },
  };
}
