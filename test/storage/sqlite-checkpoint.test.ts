import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKSTOP_PAGES } from '../../src/adapters/storage/sqlite/background-checkpoint.js';
import { createSqliteStorage } from '../../src/adapters/storage/sqlite/index.js';
import { charge, grant, makeBatch, tick } from '../../src/adapter-kit/index.js';
import type { StorageAdapter } from '../../src/core/ports/storage-adapter.js';

const dir = mkdtempSync(join(tmpdir(), 'igk-sqlite-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => join(dir, `c${++n}.db`);

/** A few dozen committed transactions: far fewer WAL pages than SQLite's own checkpoint waits for. */
async function writeSome(storage: StorageAdapter): Promise<void> {
  await storage.applyLedgerEntry(grant('alice', 1000, 'g'), tick());
  for (let i = 0; i < 20; i++) {
    const ts = tick();
    await storage.createBatch(makeBatch('alice', ts, ['a', 'b', 'c']), charge('alice', 3, `buy-${i}`), ts);
  }
}

const databaseBytes = (path: string) => statSync(path).size;

describe('SQLite checkpoints', () => {
  it('runs them on a thread of its own: the database file takes the WAL pages without waiting for 1,000 of them', async () => {
    const path = file();
    const storage = createSqliteStorage({ path });
    const before = databaseBytes(path);
    await writeSome(storage);
    await expect.poll(() => databaseBytes(path), { timeout: 5000 }).toBeGreaterThan(before);
    await storage.close();
  });

  it('hears commits of single statements too, not only of grouped writes', async () => {
    const path = file();
    const storage = createSqliteStorage({ path });
    const before = databaseBytes(path);
    for (let i = 0; i < 20; i++) {
      await storage.putPendingGeneration({ recordId: `record:alice:${i}`, username: 'alice', chargeKey: `k-${i}`, startedAt: tick() });
    }
    await expect.poll(() => databaseBytes(path), { timeout: 5000 }).toBeGreaterThan(before);
    await storage.close();
  });

  it('leaves them to the COMMIT past 1,000 pages with checkpoint: inline', async () => {
    const path = file();
    const storage = createSqliteStorage({ path, checkpoint: 'inline' });
    const before = databaseBytes(path);
    await writeSome(storage);
    // The same wait the background case needs at most, then no page may have moved.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(databaseBytes(path)).toBe(before);
    await storage.close();
  });

  it("raises the writing connection's own threshold to the backstop only when it runs the thread", async () => {
    const mine = new BetterSqlite3(file());
    const onHandle = createSqliteStorage({ database: mine });
    expect(mine.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await onHandle.close();
    const opted = createSqliteStorage({ database: mine, checkpoint: 'background' });
    expect(mine.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
    await opted.close();
    expect(mine.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    mine.pragma('wal_autocheckpoint = 500');
    const tuned = createSqliteStorage({ database: mine, checkpoint: 'background' });
    await tuned.close();
    expect(mine.pragma('wal_autocheckpoint', { simple: true })).toBe(500);
    mine.close();
  });

  it('stops the thread on close (twice is fine), giving a handle back its own threshold; the data reopens whole', async () => {
    const path = file();
    const storage = createSqliteStorage({ path });
    await writeSome(storage);
    await storage.close();
    await storage.close();
    const again = createSqliteStorage({ path });
    expect(await again.getBalance('alice')).toBe(1000 - 60);
    await again.close();
  });
});
