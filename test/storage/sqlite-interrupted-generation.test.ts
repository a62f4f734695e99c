import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStorage } from '../../src/adapters/storage/sqlite/index.js';
import { startChild } from './children.js';

const dir = mkdtempSync(join(tmpdir(), 'igk-interrupted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an engine on SQLite killed in the middle of an image-to-image', () => {
  it('gives the 2 credits back on the first start past the staleness window, and only then, exactly once', async () => {
    const file = join(dir, 'engine.db');
    const user = 'killed';
    const first = startChild('./processes/single-generation-worker.ts', [file, 'run', user]);
    await first.waitFor((l) => l === 'charged', 30_000);
    first.process.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    const storage = createSqliteStorage({ path: file });
    const kinds = async () => (await storage.listLedger(user, { limit: 100 })).items.reverse().map((e) => `${e.kind} ${e.amount}`);
    expect(await kinds()).toEqual(['grant 10', 'charge -2']);
    expect(await storage.listPendingGenerations(Number.MAX_SAFE_INTEGER, 10)).toHaveLength(1);

    // A start right away could be racing a live generation in another process: it leaves it be.
    const soon = startChild('./processes/single-generation-worker.ts', [file, 'restart', '0']);
    await soon.waitFor((l) => l.startsWith('started '), 30_000);
    expect(await soon.exited).toBe(0);
    expect(await kinds()).toEqual(['grant 10', 'charge -2']);

    // A day later the generation is certainly dead: refunded once, and a second sweep finds nothing.
    const later = startChild('./processes/single-generation-worker.ts', [file, 'restart', String(86_400_000)]);
    const line = await later.waitFor((l) => l.startsWith('started '), 30_000);
    expect(await later.exited).toBe(0);
    expect(JSON.parse(line.slice('started '.length))).toMatchObject({ sweptAgain: { refunded: 0, completed: 0, uncharged: 0 } });
    expect(await kinds()).toEqual(['grant 10', 'charge -2', 'refund 2']);
    expect(await storage.getBalance(user)).toBe(10);
    expect(await storage.listPendingGenerations(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    await storage.close();
  }, 120_000);
});
