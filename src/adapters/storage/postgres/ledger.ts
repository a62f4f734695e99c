import type { PoolClient, QueryResultRow } from 'pg';
import { InsufficientCreditsError } from '../../../core/errors/insufficient-credits-error.js';
import type { LedgerEntryInput, LedgerWriteResult, Page, PageRequest } from '../../../core/ports/storage-adapter.js';
import type { LedgerEntry } from '../../../core/schemas/records.js';
import { isDefaultTerms } from '../../../core/policy/grants.js';
import type { CreditGrant } from '../../../core/schemas/grants.js';
import {
  assertSameEntry,
  drawsKeyOf,
  fingerprintOf,
  isPlainEntry,
  listedGrants,
  liveBalance,
  nextExpiry,
  numericCursor,
  pageLimit,
  planEntry,
  planExpiry,
  trackedRemaining,
} from '../../../core/storage-kit/index.js';
import { sqlState, type Database, type Params } from './database.js';
import { createGrantRows } from './grants.js';
import { entryOf, num, type LedgerRow } from './rows.js';

/** A user's account row, locked by the transaction that read it. */
export interface LockedAccount {
  username: string;
  balance: number;
  lastSeq: number;
  /** Σ remaining of the tracked grants, and their soonest expiry. */
  tracked: number;
  nextExpiry: number | null;
}

/**
 * The credit journal. A write locks the user's account row first (`SELECT ... FOR UPDATE`), then
 * looks up the idempotency key: a second writer of the same user waits for the first to commit
 * and then sees its entry, so a key is applied once and replayed after. The balance moves in the
 * same statement that appends the entry, guarded by `balance + amount >= 0`.
 */
export function createLedger(db: Database) {
  const accounts = db.table('accounts');
  const ledger = db.table('ledger');
  const grantRows = createGrantRows(db);
  /**
   * `moved` and `entry`: the guarded balance move and the appended entry, parameters `$1`–`$8`
   * (username, amount, kind, key, reference, reason, fingerprint, now). With `newKeyOnly` it also
   * moves nothing when the key is in the journal — as of the statement's snapshot: a concurrent
   * writer of the same key makes the entry's insert fail on `ledger_by_key` instead. It also
   * leaves to the locking path whatever grants decide: a debit while tracked grants hold credits,
   * an expiry due, a refund of a charge with draws.
   */
  const entryCte = (newKeyOnly: boolean, guard = '') => `moved AS (
      UPDATE ${accounts} SET balance = balance + $2, last_seq = last_seq + 1
      WHERE username = $1 AND balance + $2 >= 0
        ${newKeyOnly ? `AND NOT EXISTS (SELECT 1 FROM ${ledger} WHERE username = $1 AND idempotency_key = $4::text)` : ''}
        ${newKeyOnly ? FAST_GRANT_GUARD(db.table('grant_draws')) : ''}
        ${guard}
      RETURNING balance, last_seq
    ), entry AS (
      INSERT INTO ${ledger} (username, seq, kind, amount, balance_after, idempotency_key, reference, reason, fingerprint, created_at)
      SELECT $1, moved.last_seq, $3::text, $2, moved.balance, $4::text, $5::text, $6::text, $7::text, $8::bigint FROM moved
      RETURNING *
    )`;
  const SQL = {
    lock: `SELECT balance, last_seq, grant_remaining, next_expiry FROM ${accounts} WHERE username = $1 FOR UPDATE`,
    open: `INSERT INTO ${accounts} (username, balance, last_seq) VALUES ($1, 0, 0) ON CONFLICT (username) DO NOTHING`,
    entryByKey: `SELECT * FROM ${ledger} WHERE username = $1 AND idempotency_key = $2`,
    /** Moves the balance and appends the entry with the next sequence number, or does nothing when it would go below 0. */
    write: `WITH ${entryCte(false)} SELECT * FROM entry`,
    balance: `SELECT balance, grant_remaining, next_expiry FROM ${accounts} WHERE username = $1`,
    page: `SELECT * FROM ${ledger} WHERE username = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
  };

  /** Locks the user's account row (creating it at 0 first for a new user) for the rest of the transaction. */
  async function lockAccount(client: PoolClient, username: string): Promise<LockedAccount> {
    let rows = await db.query<AccountRow>(SQL.lock, [username], client);
    if (rows.length === 0) {
      await db.query(SQL.open, [username], client);
      rows = await db.query<AccountRow>(SQL.lock, [username], client);
    }
    const row = rows[0]!;
    return {
      username,
      balance: num(row.balance),
      lastSeq: num(row.last_seq),
      tracked: num(row.grant_remaining),
      nextExpiry: row.next_expiry === null ? null : num(row.next_expiry),
    };
  }

  /** The stored entry with that key (and its fingerprint); read after {@link lockAccount}, it is current. */
  async function findEntry(client: PoolClient, username: string, key: string): Promise<LedgerRow | null> {
    return (await db.query<LedgerRow>(SQL.entryByKey, [username, key], client))[0] ?? null;
  }

  /** The replay of a stored entry, after checking the request asks for the same one. */
  function replay(row: LedgerRow, input: LedgerEntryInput, account: LockedAccount): LedgerWriteResult {
    const entry = entryOf(row);
    assertSameEntry(entry, row.fingerprint, input);
    return { entry, balance: account.balance, replayed: true };
  }

  /** Appends a new entry on a locked account; throws `InsufficientCreditsError` (writing nothing) when it would overdraw. */
  async function writeEntry(client: PoolClient, input: LedgerEntryInput, account: LockedAccount, now: number): Promise<LedgerWriteResult> {
    const chargeKey = input.kind === 'refund' ? drawsKeyOf(input) : null;
    const draws = chargeKey ? await grantRows.draws(client, input.username, chargeKey) : null;
    if (!isPlainEntry(account, input, draws !== null, now)) {
      const plan = planEntry(await grantRows.book(client, input.username, account.balance, account.lastSeq), input, now, draws);
      const rows = await grantRows.persist(client, input.username, plan, now, drawsKeyOf(input), account.lastSeq);
      Object.assign(account, {
        balance: plan.balance,
        lastSeq: account.lastSeq + rows.length,
        tracked: trackedRemaining(plan.grants),
        nextExpiry: nextExpiry(plan.grants),
      });
      return { entry: entryOf(rows[plan.main]!), balance: plan.balance, replayed: false };
    }
    const row = (await db.query<LedgerRow>(SQL.write, entryParams(input, now), client))[0];
    if (!row) throw new InsufficientCreditsError(-input.amount, account.balance);
    const entry = entryOf(row);
    account.balance = entry.balanceAfter;
    account.lastSeq = entry.seq;
    return { entry, balance: entry.balanceAfter, replayed: false };
  }

  /** Writes the expiries due at `now` (when the account row says one is); returns the live balance. */
  async function settle(username: string, now: number): Promise<number> {
    const rows = await db.query<AccountRow>(SQL.balance, [username]);
    const row = rows[0];
    if (!row) return 0;
    if (row.next_expiry === null || num(row.next_expiry) > now) return num(row.balance);
    return db.transaction(async (client) => {
      const account = await lockAccount(client, username);
      if (account.nextExpiry === null || account.nextExpiry > now) return account.balance;
      const plan = planExpiry(await grantRows.book(client, username, account.balance, account.lastSeq), now);
      await grantRows.persist(client, username, plan, now, null, account.lastSeq);
      return plan.balance;
    });
  }

  /**
   * The common case in one statement and one round trip, no lock taken first: a new key on an
   * account that can pay, with `then` (more CTEs and a final SELECT over `entry`, parameters from
   * `$9`) in the same statement. Null when it wrote nothing — the key exists, the credits are
   * short, the account is new, or a unique constraint says another writer got there first — and
   * the caller takes the locking path, which decides which of those it was. `on.guard` adds a
   * condition to the balance move (parameters after `extra`); `on.client` runs it in a transaction.
   */
  async function tryFastEntry<R extends QueryResultRow>(
    input: LedgerEntryInput,
    now: number,
    then = 'SELECT * FROM entry',
    extra: Params = [],
    on: { client?: PoolClient; guard?: string; guardParams?: Params } = {},
  ): Promise<R | null> {
    if (input.kind === 'grant' && !isDefaultTerms(input.grant)) return null;
    // The fast path's guard looks for draws under the reference only.
    if (input.kind === 'refund' && input.chargeKey && input.chargeKey !== input.reference) return null;
    try {
      const text = `WITH ${entryCte(true, on.guard)} ${then}`;
      return (await db.query<R>(text, [...entryParams(input, now), ...extra, ...(on.guardParams ?? [])], on.client))[0] ?? null;
    } catch (error) {
      // In a transaction the error has aborted it: the caller must see it (e.g. an id taken meanwhile).
      if (sqlState(error) === '23505' && !on.client) return null;
      throw error;
    }
  }

  return {
    lockAccount,
    tryFastEntry,
    findEntry,
    replay,
    writeEntry,

    async applyLedgerEntry(input: LedgerEntryInput, now: number): Promise<LedgerWriteResult> {
      const fast = await tryFastEntry<LedgerRow>(input, now);
      if (fast) {
        const entry = entryOf(fast);
        return { entry, balance: entry.balanceAfter, replayed: false };
      }
      return db.transaction(async (client) => {
        const account = await lockAccount(client, input.username);
        const existing = await findEntry(client, input.username, input.idempotencyKey);
        if (!existing) return writeEntry(client, input, account, now);
        const replayed = replay(existing, input, account);
        if (account.tracked === 0) return replayed;
        return { ...replayed, balance: liveBalance(await grantRows.book(client, input.username, account.balance, 0), now) };
      });
    },
    getBalance: (username: string, now = Date.now()): Promise<number> => settle(username, now),
    async getLedgerEntry(username: string, idempotencyKey: string): Promise<LedgerEntry | null> {
      const row = (await db.query<LedgerRow>(SQL.entryByKey, [username, idempotencyKey]))[0];
      return row ? entryOf(row) : null;
    },
    async listLedger(username: string, page: PageRequest, now = Date.now()): Promise<Page<LedgerEntry>> {
      await settle(username, now);
      const limit = pageLimit(page.limit);
      const rows = await db.query<LedgerRow>(SQL.page, [username, numericCursor(page.cursor) ?? Number.MAX_SAFE_INTEGER, limit]);
      const items = rows.map(entryOf);
      const last = items.at(-1);
      return { items, nextCursor: last && last.seq > 1 ? String(last.seq) : null };
    },
    async listGrants(username: string, now = Date.now()): Promise<CreditGrant[]> {
      return db.transaction(async (client) => {
        const row = (await db.query<AccountRow>(SQL.balance, [username], client))[0];
        return row ? listedGrants(await grantRows.book(client, username, num(row.balance), 0), now) : [];
      });
    },
  };
}

interface AccountRow {
  balance: string;
  last_seq: string;
  grant_remaining: string;
  next_expiry: string | null;
}

/** See `entryCte`: the fast path only when grants have nothing to decide. */
const FAST_GRANT_GUARD = (draws: string) => `AND ($2 >= 0 OR grant_remaining = 0) AND (next_expiry IS NULL OR next_expiry > $8::bigint)
        AND ($3::text <> 'refund' OR NOT EXISTS (SELECT 1 FROM ${draws} WHERE username = $1 AND charge_key = $5::text))`;

/** The parameters `$1`–`$8` of an entry's statement. */
function entryParams(input: LedgerEntryInput, now: number): Params {
  return [
    input.username,
    input.amount,
    input.kind,
    input.idempotencyKey,
    input.reference ?? null,
    input.reason ?? null,
    fingerprintOf(input),
    now,
  ];
}

export type Ledger = ReturnType<typeof createLedger>;
