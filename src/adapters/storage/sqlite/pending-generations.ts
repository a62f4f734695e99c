import type { PendingGenerationStore } from '../../../core/ports/storage-adapter.js';
import type { SqliteContext } from './connection.js';

/** Markers of single generations in flight: the `pending_generations` table. */
export function sqlitePendingGenerations({ st, run }: SqliteContext): PendingGenerationStore {
  return {
    async putPendingGeneration(pending) {
      await run(() => st.putPending.run(pending.recordId, pending.username, pending.chargeKey, pending.startedAt));
    },
    async deletePendingGeneration(recordId) {
      await run(() => st.deletePending.run(recordId));
    },
    async listPendingGenerations(startedBefore, limit) {
      const rows = await run(
        () =>
          st.pendingPage.all(startedBefore, Math.max(0, Math.floor(limit))) as Array<{
            record_id: string;
            username: string;
            charge_key: string;
            started_at: number;
          }>,
      );
      return rows.map((r) => ({ recordId: r.record_id, username: r.username, chargeKey: r.charge_key, startedAt: r.started_at }));
    },
  };
}
