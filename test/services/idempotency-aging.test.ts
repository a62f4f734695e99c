import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/core/engine.js';
import { ConflictError } from '../../src/core/errors/index.js';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { ledgerLines, testEngine } from './helpers.js';

/** An engine whose clock the test moves, with keys going stale after a minute. */
async function agingEngine(retainMs?: number) {
  let now = Date.now();
  const made = await testEngine({ now: () => now, idempotency: { staleAfterMs: 60_000, ...(retainMs ? { retainMs } : {}) } });
  return { ...made, advance: (ms: number) => void (now += ms), now: () => now };
}

/** What a process that crashed mid-request leaves: the key pending and (already) its charge. */
async function crashedRun(engine: Awaited<ReturnType<typeof testEngine>>['engine'], at: number, key: string, fingerprint: string) {
  await engine.storage.beginIdempotent(`text_to_image:alice:${key}`, fingerprint, at);
  await engine.credits.charge('alice', 1, {
    idempotencyKey: `charge:record:alice:${at}`,
    reference: `record:alice:${at}`,
    reason: 'text_to_image',
  });
}

describe('idempotency keys over time (text-to-image)', () => {
  it('a key whose request crashed is still "in progress" within staleAfterMs, and charges nothing more', async () => {
    const { engine, advance, now } = await agingEngine();
    await crashedRun(engine, now(), 'k1', 'fp');
    advance(59_999);
    const error = await engine.textToImage
      .run('alice', { prompt: 'fox' }, { idempotencyKey: 'k1', fingerprint: 'fp' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ status: 409, reason: 'idempotency_in_progress' });
    expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -1']);
  });

  it('once the key is staleAfterMs old the request runs again with it, charging once for the new run, then replays', async () => {
    const { engine, advance, now } = await agingEngine();
    await crashedRun(engine, now(), 'k2', 'fp');
    advance(60_000);
    const run = await engine.textToImage.run('alice', { prompt: 'fox' }, { idempotencyKey: 'k2', fingerprint: 'fp' });
    expect(run).toMatchObject({ replayed: false, creditsRemaining: 8, record: { prompt: 'fox' } });
    expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -1', 'charge -1']);
    const again = await engine.textToImage.run('alice', { prompt: 'fox' }, { idempotencyKey: 'k2', fingerprint: 'fp' });
    expect(again).toEqual({ ...run, replayed: true });
    expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -1', 'charge -1']);
    expect((await engine.records.list('alice')).items).toHaveLength(1);
  });

  it('of concurrent retries of a crashed request exactly one runs; the others are told it is in progress', async () => {
    const { engine, advance, now } = await agingEngine();
    await crashedRun(engine, now(), 'k3', 'fp');
    advance(61_000);
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => engine.textToImage.run('alice', { prompt: 'fox' }, { idempotencyKey: 'k3', fingerprint: 'fp' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && (r.reason as ConflictError).reason === 'idempotency_in_progress')).toHaveLength(
      4,
    );
    expect(await engine.credits.balance('alice')).toBe(8);
  });

  it('replays a finished request for retainMs; after that the key is new and a request with it runs (and is charged) again', async () => {
    const { engine, advance } = await agingEngine(3_600_000);
    const first = await engine.textToImage.run('alice', { prompt: 'fox' }, { idempotencyKey: 'k4' });
    advance(3_599_999);
    expect(await engine.textToImage.run('alice', { prompt: 'fox' }, { idempotencyKey: 'k4' })).toEqual({ ...first, replayed: true });
    advance(1);
    const later = await engine.textToImage.run('alice', { prompt: 'fox' }, { idempotencyKey: 'k4' });
    expect(later.replayed).toBe(false);
    expect(later.record.recordId).not.toBe(first.record.recordId);
    expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -1', 'charge -1']);
  });
});

describe('engine idempotency policy', () => {
  const ports = () => ({ storage: createMemoryStorage(), provider: createOfflineProvider(), imageStore: createMemoryImageStore() });

  it('defaults to stale two minutes after the task timeout (longer than any generation) and 24 h of replay', () => {
    expect(createEngine({ ...ports(), taskTimeoutMs: 90_000 }).idempotency).toEqual({ staleAfterMs: 210_000, retainMs: 86_400_000 });
    const engine = createEngine({ ...ports(), pollPolicy: { maxPolls: 10, pollIntervalMs: 1000 } });
    expect(engine.idempotency.staleAfterMs).toBe(10 * 1000 + 30_000 + 120_000);
  });

  it('refuses a window that is not a positive whole number of milliseconds', () => {
    expect(() => createEngine({ ...ports(), idempotency: { staleAfterMs: 0 } })).toThrow(/idempotency.staleAfterMs/);
    expect(() => createEngine({ ...ports(), idempotency: { retainMs: 1.5 } })).toThrow(/idempotency.retainMs/);
  });
});
