import type { Page, PageRequest } from '../../../core/ports/storage-adapter.js';
import type { LedgerEntry } from '../../../core/schemas/records.js';

/**
 * A user's whole journal as a byte stream, newest entry first, read one page of `read` per pull:
 * nothing is read before the consumer asks (`highWaterMark: 0`), so a journal of a million entries
 * is never in memory at once, and a client that goes away stops the reading.
 */
export function journalStream(
  read: (page: PageRequest) => Promise<Page<LedgerEntry>>,
  options: { pageSize: number; header?: string; line: (entry: LedgerEntry) => string },
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor: string | null = null;
  let header = options.header;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const page = await read({ limit: options.pageSize, cursor });
        const text = (header ?? '') + page.items.map(options.line).join('');
        header = undefined;
        if (text) controller.enqueue(encoder.encode(text));
        cursor = page.nextCursor;
        if (!cursor) controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}
