import type { PendingGeneration } from '../../../core/ports/storage-adapter.js';
import type { Database } from './database.js';
import { num } from './rows.js';

/** Markers of single generations between their charge and their record or refund; each method is one statement. */
export function createPendingGenerations(db: Database) {
  const pending = db.table('pending_generations');
  const SQL = {
    put: `INSERT INTO ${pending} (record_id, username, charge_key, started_at) VALUES ($1, $2, $3, $4)
      ON CONFLICT (record_id) DO UPDATE SET username = EXCLUDED.username, charge_key = EXCLUDED.charge_key, started_at = EXCLUDED.started_at`,
    delete: `DELETE FROM ${pending} WHERE record_id = $1`,
    page: `SELECT record_id, username, charge_key, started_at FROM ${pending}
      WHERE started_at < $1 ORDER BY started_at, record_id LIMIT $2`,
  };

  return {
    async putPendingGeneration(marker: PendingGeneration): Promise<void> {
      await db.query(SQL.put, [marker.recordId, marker.username, marker.chargeKey, marker.startedAt]);
    },
    async deletePendingGeneration(recordId: string): Promise<void> {
      await db.query(SQL.delete, [recordId]);
    },
    async listPendingGenerations(startedBefore: number, limit: number): Promise<PendingGeneration[]> {
      const rows = await db.query<{ record_id: string; username: string; charge_key: string; started_at: string }>(SQL.page, [
        startedBefore,
        Math.max(0, Math.floor(limit)),
      ]);
      return rows.map((r) => ({ recordId: r.record_id, username: r.username, chargeKey: r.charge_key, startedAt: num(r.started_at) }));
    },
  };
}
