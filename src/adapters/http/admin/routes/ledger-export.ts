import { assertUsername } from '../../../../core/ids.js';
import { adminQuery } from '../body.js';
import type { AdminContext, AdminRoute } from '../context.js';
import { CSV_COLUMNS, csvLine, jsonLine } from '../journal-format.js';
import { journalStream } from '../journal-stream.js';
import { usernameQuerySchema } from '../schemas.js';

function exportResponse(ctx: AdminContext, format: 'csv' | 'jsonl'): Response {
  const { username } = adminQuery(ctx, usernameQuerySchema);
  assertUsername(username);
  ctx.settings.audit({ admin: ctx.admin, action: 'ledger.export', details: { username, format } });
  const { credits } = ctx.settings.engine;
  const body = journalStream((page) => credits.history(username, page), {
    pageSize: ctx.settings.exportPageSize,
    ...(format === 'csv' ? { header: `${CSV_COLUMNS.join(',')}\r\n`, line: csvLine } : { line: jsonLine }),
  });
  return new Response(body, {
    status: 200,
    headers: {
      'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/x-ndjson; charset=utf-8',
      'Content-Disposition': `attachment; filename="ledger-${encodeURIComponent(username)}.${format}"`,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    },
  });
}

export const ledgerExportRoutes: AdminRoute[] = [
  {
    method: 'GET',
    path: '/ledger.csv',
    doc: {
      summary: "A user's whole journal as CSV, newest first, streamed",
      description: `Columns: ${CSV_COLUMNS.join(', ')} (\`created_at\` in ISO 8601). Read one page of the journal at a time while the client reads, so any size streams in bounded memory. A text field starting with = + - @ gets a leading ' (spreadsheets would run it as a formula).`,
      query: usernameQuerySchema,
      responses: { 200: { description: 'CSV (RFC 4180, CRLF lines, a header row)', bytes: ['text/csv'] } },
      errors: [400],
    },
    handle: async (ctx) => exportResponse(ctx, 'csv'),
  },
  {
    method: 'GET',
    path: '/ledger.jsonl',
    doc: {
      summary: "A user's whole journal as JSON lines, newest first, streamed",
      description: 'One `LedgerEntry` object per line, as stored. Read one page of the journal at a time while the client reads.',
      query: usernameQuerySchema,
      responses: { 200: { description: 'Newline-delimited JSON', bytes: ['application/x-ndjson'] } },
      errors: [400],
    },
    handle: async (ctx) => exportResponse(ctx, 'jsonl'),
  },
];
