import type { RecordStore } from '../../../core/ports/storage-adapter.js';
import type { GenerationRecord } from '../../../core/schemas/records.js';
import { assertRecordOwner, idTaken, numericCursor, pageLimit } from '../../../core/storage-kit/index.js';
import type { SqliteContext } from './connection.js';
import { MAX_CURSOR } from './ledger.js';
import { recordOf } from './rows.js';

/** Generation records: the `records` table, the record kept whole as JSON. */
export function sqliteRecords(cx: SqliteContext): RecordStore {
  const { st, run } = cx;
  const createRecord = cx.write((record: GenerationRecord) => {
    const inserted = st.insertRecord.run(record.recordId, record.username, record.createdAt, JSON.stringify(record)).changes;
    if (inserted === 0) throw idTaken(record.recordId);
  });
  return {
    async createRecord(record) {
      assertRecordOwner(record);
      return createRecord(record);
    },
    async getRecord(recordId) {
      const row = await run(() => st.record.get(recordId) as { data: string } | undefined);
      return row ? recordOf(row.data) : null;
    },
    async listRecords(username, page) {
      const limit = pageLimit(page.limit);
      const rows = await run(
        () =>
          st.recordPage.all(username, numericCursor(page.cursor) ?? MAX_CURSOR, limit + 1) as Array<{ data: string; created_at: number }>,
      );
      const items = rows.slice(0, limit);
      return { items: items.map((r) => recordOf(r.data)), nextCursor: rows.length > limit ? String(items.at(-1)!.created_at) : null };
    },
  };
}
