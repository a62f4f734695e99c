import type { PoolClient } from 'pg';
import type { Draw, LiveGrant } from '../../../core/policy/grants.js';
import type { GrantKind } from '../../../core/schemas/grants.js';
import { type GrantBook, type GrantPlan, nextExpiry, trackedRemaining } from '../../../core/storage-kit/index.js';
import type { Database } from './database.js';
import { num, type LedgerRow } from './rows.js';

interface GrantRow {
  grant_key: string;
  kind: string;
  priority: number;
  expires_at: string | null;
  seq: string;
  remaining: string;
}

/**
 * Grants and draws in PostgreSQL: reading a user's book and writing a plan in one statement, on a
 * transaction that holds the user's account row lock (so plans of one user never interleave).
 */
export function createGrantRows(db: Database) {
  const [accounts, ledger, grants, draws] = ['accounts', 'ledger', 'grants', 'grant_draws'].map((n) => db.table(n)) as [
    string,
    string,
    string,
    string,
  ];
  const SQL = {
    grants: `SELECT grant_key, kind, priority, expires_at, seq, remaining FROM ${grants} WHERE username = $1`,
    draws: `SELECT draws FROM ${draws} WHERE username = $1 AND charge_key = $2`,
    /** Every write of a plan in one statement; the CTEs touch different rows, so one snapshot is enough. */
    persist: `WITH e AS (
        INSERT INTO ${ledger} (username, seq, kind, amount, balance_after, idempotency_key, reference, reason, fingerprint, created_at)
        SELECT $1, x.seq, x.kind, x.amount, x.balance_after, x.idempotency_key, x.reference, x.reason, x.fingerprint, $2::bigint
        FROM jsonb_to_recordset($3::jsonb) AS x(seq BIGINT, kind TEXT, amount BIGINT, balance_after BIGINT, idempotency_key TEXT,
          reference TEXT, reason TEXT, fingerprint TEXT)
        RETURNING *
      ), d AS (
        DELETE FROM ${grants} WHERE username = $1 AND grant_key = ANY($4::text[])
      ), g AS (
        INSERT INTO ${grants} (username, grant_key, kind, priority, expires_at, seq, remaining)
        SELECT $1, x.key, x.kind, x.priority, x."expiresAt", x.seq, x.remaining
        FROM jsonb_to_recordset($5::jsonb) AS x(key TEXT, kind TEXT, priority INTEGER, "expiresAt" BIGINT, seq BIGINT, remaining BIGINT)
        ON CONFLICT (username, grant_key) DO UPDATE SET remaining = excluded.remaining
      ), dr AS (
        INSERT INTO ${draws} (username, charge_key, draws) SELECT $1, $6::text, $7::jsonb WHERE $6::text IS NOT NULL
        ON CONFLICT (username, charge_key) DO UPDATE SET draws = excluded.draws
      ), a AS (
        UPDATE ${accounts} SET balance = $8, last_seq = $9, grant_remaining = $10, next_expiry = $11 WHERE username = $1
      )
      SELECT * FROM e ORDER BY seq`,
  };

  return {
    async book(client: PoolClient, username: string, balance: number, lastSeq: number): Promise<GrantBook> {
      const rows = await db.query<GrantRow>(SQL.grants, [username], client);
      const list = rows.map(
        (r): LiveGrant => ({
          key: r.grant_key,
          kind: r.kind as GrantKind,
          priority: r.priority,
          expiresAt: r.expires_at === null ? null : num(r.expires_at),
          seq: num(r.seq),
          remaining: num(r.remaining),
        }),
      );
      return { balance, lastSeq, grants: list };
    },
    async draws(client: PoolClient | undefined, username: string, chargeKey: string): Promise<Draw[] | null> {
      const rows = await db.query<{ draws: Draw[] }>(SQL.draws, [username, chargeKey], client);
      return rows[0]?.draws ?? null;
    },
    /** Writes the plan; `drawsKey` is where its draws go. Returns the entry rows in journal order. */
    async persist(client: PoolClient, username: string, plan: GrantPlan, now: number, drawsKey: string | null, lastSeq: number) {
      const entries = plan.entries.map((p) => ({
        seq: p.seq,
        kind: p.kind,
        amount: p.amount,
        balance_after: p.balanceAfter,
        idempotency_key: p.idempotencyKey,
        reference: p.reference,
        reason: p.reason,
        fingerprint: p.fingerprint,
      }));
      const storeDraws = plan.draws && drawsKey ? drawsKey : null;
      return db.query<LedgerRow>(
        SQL.persist,
        [
          username,
          now,
          JSON.stringify(entries),
          plan.removed,
          JSON.stringify(plan.touched),
          storeDraws,
          storeDraws ? JSON.stringify(plan.draws) : null,
          plan.balance,
          plan.entries.at(-1)?.seq ?? lastSeq,
          trackedRemaining(plan.grants),
          nextExpiry(plan.grants),
        ],
        client,
      );
    },
  };
}
