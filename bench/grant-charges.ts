/**
 * What grants cost per charge: charge throughput on SQLite and PostgreSQL for a user whose credits
 * are all in the default pool (0 live grants) and for users with 1 and 20 live expiring grants.
 * Run: `npx tsup --silent && npx tsx bench/grant-charges.ts` (PostgreSQL at DATABASE_URL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresStorage } from 'imagegen-kit/adapters/storage/postgres';
import { createSqliteStorage } from 'imagegen-kit/adapters/storage/sqlite';
import pg from 'pg';

type Storage = ReturnType<typeof createSqliteStorage>;
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CHARGES = Number(process.env.CHARGES ?? 2000);
const CONCURRENCY = 8;
const FAR = Date.now() + 365 * 86_400_000;

async function seed(storage: Storage, user: string, grants: number): Promise<void> {
  const now = Date.now();
  await storage.applyLedgerEntry({ username: user, kind: 'grant', amount: 1_000_000, idempotencyKey: 'pool' }, now);
  for (let i = 0; i < grants; i++) {
    await storage.applyLedgerEntry(
      { username: user, kind: 'grant', amount: 1_000_000, idempotencyKey: `g${i}`, grant: { kind: 'promo', expiresAt: FAR + i } },
      now,
    );
  }
}

/** Charges of 1 credit, CONCURRENCY in flight; returns charges per second. */
async function charges(storage: Storage, user: string): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CHARGES) {
        const i = next++;
        await storage.applyLedgerEntry({ username: user, kind: 'charge', amount: -1, idempotencyKey: `c${i}` }, Date.now());
      }
    }),
  );
  return CHARGES / ((performance.now() - started) / 1000);
}

async function measure(name: string, storage: Storage): Promise<void> {
  const row: string[] = [];
  for (const grants of [0, 1, 20]) {
    const warm = `warm${grants}`;
    await seed(storage, warm, grants);
    await charges(storage, warm);
    const user = `bench${grants}`;
    await seed(storage, user, grants);
    const rate = await charges(storage, user);
    const live = (await storage.listGrants(user)).length;
    row.push(`${grants} grants: ${Math.round(rate)} charges/s (${(1e6 / rate).toFixed(0)} µs each, ${live} listed)`);
  }
  console.log(`${name.padEnd(10)} ${row.join(' | ')}`);
}

const dir = mkdtempSync(join(tmpdir(), 'igk-grants-'));
try {
  const sqlite = createSqliteStorage({ path: join(dir, 'bench.db') });
  await measure('sqlite', sqlite);
  await sqlite.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const schema = `igk_grants_bench_${process.pid}`;
const postgres = await createPostgresStorage({ connectionString: DATABASE_URL, schema });
try {
  await measure('postgres', postgres as unknown as Storage);
} finally {
  await postgres.close();
  const pool = new pg.Pool({ connectionString: DATABASE_URL });
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
}
