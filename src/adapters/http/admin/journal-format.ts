import type { LedgerEntry } from '../../../core/schemas/records.js';

/** The CSV columns of a journal export, in order. */
export const CSV_COLUMNS = ['seq', 'created_at', 'kind', 'amount', 'balance_after', 'idempotency_key', 'reference', 'reason'] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled.
 * A text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR;
 * keys and references come from users) gets a leading `'` first; the JSON-lines export keeps every
 * value as stored.
 */
export function csvField(value: string | number | null, text = true): string {
  if (value === null) return '';
  let s = String(value);
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One journal entry as a CSV line (CRLF-terminated). */
export function csvLine(entry: LedgerEntry): string {
  return `${[
    csvField(entry.seq, false),
    csvField(new Date(entry.createdAt).toISOString(), false),
    csvField(entry.kind),
    csvField(entry.amount, false),
    csvField(entry.balanceAfter, false),
    csvField(entry.idempotencyKey),
    csvField(entry.reference),
    csvField(entry.reason),
  ].join(',')}\r\n`;
}

/** One journal entry as a JSON line. */
export const jsonLine = (entry: LedgerEntry): string => `${JSON.stringify(entry)}\n`;
