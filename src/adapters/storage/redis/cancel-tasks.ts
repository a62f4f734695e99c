import type { BatchStore, CancelledTask, TaskRefund } from '../../../core/ports/storage-adapter.js';
import type { LedgerEntry } from '../../../core/schemas/records.js';
import { decodeBatch, decodeEntry } from './codec.js';
import { ledgerKeys, type RedisContext } from './context.js';
import { SCRIPTS } from './scripts/index.js';

/** `[amount, keyPrefix, reason]` as the cancel script reads a refund, '' for none. */
const encodeRefund = (refund: TaskRefund | null): string =>
  refund && refund.amount > 0 ? JSON.stringify([refund.amount, refund.keyPrefix, refund.reason]) : '';

/** Cancel as one script on the batch hash and the owner's journal (one hash tag: one Cluster slot). */
export function redisCancelTasks({ keys, call }: RedisContext): Pick<BatchStore, 'cancelTasks'> {
  return {
    async cancelTasks(batchId, { taskIndex, refundPending, refundProcessing, now }) {
      const k = keys.batch(batchId);
      if (!k) return null;
      const reply = await call<[number, number?, number?, Array<string | number>?, string[]?]>(
        SCRIPTS.cancelTasks,
        [
          ...ledgerKeys(keys, k.username),
          k.key,
          keys.user(k.username).openBatches,
          keys.user(k.username).grants,
          keys.user(k.username).grantDraws,
        ],
        [taskIndex ?? '', encodeRefund(refundPending), encodeRefund(refundProcessing), now, k.member, batchId],
      );
      if (reply[0] !== 1) return null;
      const [, balance, closed, flat, pairs] = reply;
      const hash: Record<string, string> = {};
      for (let i = 0; i < pairs!.length; i += 2) hash[pairs![i]!] = pairs![i + 1]!;
      const batch = decodeBatch(batchId, k.username, hash);
      const cancelled: CancelledTask[] = [];
      for (let i = 0; i < flat!.length; i += 4) {
        const index = Number(flat![i]);
        const entry: LedgerEntry | null = flat![i + 3] ? decodeEntry(k.username, Number(flat![i + 2]), String(flat![i + 3])) : null;
        cancelled.push({ index, was: flat![i + 1] as CancelledTask['was'], task: batch.tasks[index]!, refund: entry });
      }
      return { batch, cancelled, balance: Number(balance), batchCompleted: closed === 1 };
    },
  };
}
