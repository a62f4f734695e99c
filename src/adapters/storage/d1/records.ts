import type { RecordStore } from '../../../core/ports/storage-adapter.js';
import { assertRecordOwner, idTaken, numericCursor, pageLimit } from '../../../core/storage-kit/index.js';
import { recordOf } from '../sqlite/rows.js';
import { SQL } from '../sqlite/statements.js';
import type { D1Database } from './d1-types.js';
import { MAX_CURSOR } from './ledger.js';
import { statement } from './sql.js';

/** Generation records on D1: the `records` table, the record kept whole as JSON. */
export function d1Records(db: D1Database): RecordStore {
  return {
    async createRecord(record) {
      assertRecordOwner(record);
      const { meta } = await statement(db, SQL.insertRecord, [
        record.recordId,
        record.username,
        record.createdAt,
        JSON.stringify(record),
      ]).run();
      if (meta.changes === 0) throw idTaken(record.recordId);
    },
    async getRecord(recordId) {
      const row = (await statement(db, SQL.record, [recordId]).all<{ data: string }>()).results[0];
      return row ? recordOf(row.data) : null;
    },
    async listRecords(username, page) {
      const limit = pageLimit(page.limit);
      const rows = (
        await statement(db, SQL.recordPage, [username, numericCursor(page.cursor) ?? MAX_CURSOR, limit + 1]).all<{
          data: string;
          created_at: number;
        }>()
      ).results;
      const items = rows.slice(0, limit);
      return { items: items.map((r) => recordOf(r.data)), nextCursor: rows.length > limit ? String(items.at(-1)!.created_at) : null };
    },
  };
}
