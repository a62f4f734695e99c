import { InsufficientCreditsError } from '../../../core/errors/insufficient-credits-error.js';
import type { LedgerEntryInput, LedgerStore, LedgerWriteResult } from '../../../core/ports/storage-adapter.js';
import {
  assertSameEntry,
  drawsKeyOf,
  fingerprintOf,
  isPlainEntry,
  listedGrants,
  liveBalance,
  numericCursor,
  pageLimit,
} from '../../../core/storage-kit/index.js';
import type { SqliteContext } from './connection.js';
import { bookOf, drawsOf, grantStateOf, settleExpiries, writeWithGrants } from './grants.js';
import { entryOf, type LedgerRow } from './rows.js';
import type { Statements } from './statements.js';

/** The largest cursor: the first page starts below it. */
export const MAX_CURSOR = Number.MAX_SAFE_INTEGER;

/** Applies an entry or replays the one with its key; call inside a write transaction. */
export function applyEntry(st: Statements, input: LedgerEntryInput, now: number): LedgerWriteResult {
  const existing = st.entryByKey.get(input.username, input.idempotencyKey) as LedgerRow | undefined;
  const account = st.account.get(input.username) as { balance: number; last_seq: number } | undefined;
  const balance = account?.balance ?? 0;
  const grants = grantStateOf(st, input.username);
  if (existing) {
    const entry = entryOf(existing);
    assertSameEntry(entry, existing.fingerprint, input);
    const live = grants.tracked === 0 ? balance : liveBalance(bookOf(st, input.username, balance, 0), now);
    return { entry, balance: live, replayed: true };
  }
  const drawsKey = input.kind === 'refund' ? drawsKeyOf(input) : null;
  const draws = drawsKey ? drawsOf(st, input.username, drawsKey) : null;
  if (!isPlainEntry(grants, input, draws !== null, now)) {
    const { row, balance: after } = writeWithGrants(st, input, { balance, lastSeq: account?.last_seq ?? 0 }, draws, now);
    return { entry: entryOf(row), balance: after, replayed: false };
  }
  if (input.amount < 0 && balance + input.amount < 0) throw new InsufficientCreditsError(-input.amount, balance);
  const row: LedgerRow = {
    username: input.username,
    seq: (account?.last_seq ?? 0) + 1,
    kind: input.kind,
    amount: input.amount,
    balance_after: balance + input.amount,
    idempotency_key: input.idempotencyKey,
    reference: input.reference ?? null,
    reason: input.reason ?? null,
    fingerprint: fingerprintOf(input),
    created_at: now,
  };
  st.upsertAccount.run({ username: input.username, balance: row.balance_after, seq: row.seq });
  st.insertEntry.run(row);
  return { entry: entryOf(row), balance: row.balance_after, replayed: false };
}

/** The credit journal: the `accounts` and `ledger` tables. */
export function sqliteLedger(cx: SqliteContext): LedgerStore {
  const { st, run } = cx;
  const applyLedgerEntry = cx.write((input: LedgerEntryInput, now: number) => applyEntry(st, input, now));
  const settle = cx.write((username: string, now: number) => settleExpiries(st, username, now));
  /** Settles first (a write) only when the account row says an expiry is due. */
  const settled = async (username: string, now: number) => {
    const { tracked, nextExpiry } = await run(() => grantStateOf(st, username));
    if (tracked > 0 && nextExpiry !== null && nextExpiry <= now) await settle(username, now);
  };
  const ledgerPage = cx.read((username: string, before: number, limit: number) => ({
    rows: st.ledgerPage.all(username, before, limit) as LedgerRow[],
  }));
  return {
    applyLedgerEntry: (input, now) => applyLedgerEntry(input, now),
    async getBalance(username, now = Date.now()) {
      await settled(username, now);
      return run(() => (st.account.get(username) as { balance: number } | undefined)?.balance ?? 0);
    },
    async getLedgerEntry(username, idempotencyKey) {
      const row = await run(() => st.entryByKey.get(username, idempotencyKey) as LedgerRow | undefined);
      return row ? entryOf(row) : null;
    },
    async listLedger(username, page, now = Date.now()) {
      await settled(username, now);
      const limit = pageLimit(page.limit);
      const { rows } = await ledgerPage(username, numericCursor(page.cursor) ?? MAX_CURSOR, limit);
      const last = rows.at(-1);
      return { items: rows.map(entryOf), nextCursor: last && last.seq > 1 ? String(last.seq) : null };
    },
    listGrants: (username, now = Date.now()) =>
      run(() => {
        const account = st.account.get(username) as { balance: number } | undefined;
        return account ? listedGrants(bookOf(st, username, account.balance, 0), now) : [];
      }),
  };
}
