import type { Page, PageRequest } from '../../../core/ports/storage-adapter.js';
import type { GenerationRecord } from '../../../core/schemas/records.js';
import { assertRecordOwner, idTaken, numericCursor, pageLimit } from '../../../core/storage-kit/index.js';
import type { Database } from './database.js';
import { num } from './rows.js';

/** Records of single generations: one JSONB row each, listed per user newest first. */
export function createRecords(db: Database) {
  const records = db.table('records');
  const SQL = {
    insert: `INSERT INTO ${records} (record_id, username, created_at, data) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (record_id) DO NOTHING`,
    record: `SELECT data FROM ${records} WHERE record_id = $1`,
    page: `SELECT data, created_at FROM ${records} WHERE username = $1 AND created_at < $2 ORDER BY created_at DESC LIMIT $3`,
  };

  return {
    /** One statement: the insert does nothing when the id exists, which is then `id_taken`. */
    async createRecord(record: GenerationRecord): Promise<void> {
      assertRecordOwner(record);
      const inserted = await db.execute(SQL.insert, [record.recordId, record.username, record.createdAt, JSON.stringify(record)]);
      if (inserted === 0) throw idTaken(record.recordId);
    },
    async getRecord(recordId: string): Promise<GenerationRecord | null> {
      const row = (await db.query<{ data: GenerationRecord }>(SQL.record, [recordId]))[0];
      return row ? row.data : null;
    },
    async listRecords(username: string, page: PageRequest): Promise<Page<GenerationRecord>> {
      const limit = pageLimit(page.limit);
      const rows = await db.query<{ data: GenerationRecord; created_at: string }>(SQL.page, [
        username,
        numericCursor(page.cursor) ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      ]);
      const items = rows.slice(0, limit);
      return { items: items.map((r) => r.data), nextCursor: rows.length > limit ? String(num(items.at(-1)!.created_at)) : null };
    },
  };
}
