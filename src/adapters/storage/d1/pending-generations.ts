import type { PendingGenerationStore } from '../../../core/ports/storage-adapter.js';
import { SQL } from '../sqlite/statements.js';
import type { D1Database } from './d1-types.js';
import { statement } from './sql.js';

/** Markers of single generations in flight on D1: the `pending_generations` table. */
export function d1PendingGenerations(db: D1Database): PendingGenerationStore {
  return {
    async putPendingGeneration(p) {
      await statement(db, SQL.putPending, [p.recordId, p.username, p.chargeKey, p.startedAt]).run();
    },
    async deletePendingGeneration(recordId) {
      await statement(db, SQL.deletePending, [recordId]).run();
    },
    async listPendingGenerations(startedBefore, limit) {
      const { results } = await statement(db, SQL.pendingPage, [startedBefore, Math.max(0, Math.floor(limit))]).all<{
        record_id: string;
        username: string;
        charge_key: string;
        started_at: number;
      }>();
      return results.map((r) => ({ recordId: r.record_id, username: r.username, chargeKey: r.charge_key, startedAt: r.started_at }));
    },
  };
}
