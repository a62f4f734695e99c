import { afterAll, beforeAll, describe } from 'vitest';
import type { StorageAdapter } from '../../core/ports/storage-adapter.js';
import type { AdapterFactory, ConformanceContext } from './fixtures.js';
import { batchesSuite } from './suites/batches.js';
import { idempotentRequestsSuite } from './suites/idempotent-requests.js';
import { ledgerSuite } from './suites/ledger.js';
import { pendingGenerationsSuite } from './suites/pending-generations.js';
import { racesSuite } from './suites/races.js';
import { recordsSuite } from './suites/records.js';
import { tasksSuite } from './suites/tasks.js';

export type { AdapterFactory, ConformanceContext } from './fixtures.js';

/**
 * The storage conformance suite: every StorageAdapter runs it with a factory. Topics are separate
 * so an adapter-only test file can sit beside it.
 *
 * @example
 * runStorageConformance('memory', async () => ({ storage: createMemoryStorage() }));
 */
export function runStorageConformance(name: string, factory: AdapterFactory): void {
  describe(`StorageAdapter conformance: ${name}`, () => {
    let storage: StorageAdapter;
    let cleanup: (() => Promise<void>) | undefined;
    let n = 0;
    const run = `${process.pid}${Date.now().toString(36)}`;
    beforeAll(async () => {
      ({ storage, cleanup } = await factory());
    });
    afterAll(async () => {
      await cleanup?.();
    });
    const ctx = (): ConformanceContext => ({ storage, user: (label = 'u') => `${label}${run}x${++n}` });
    ledgerSuite(ctx);
    batchesSuite(ctx);
    tasksSuite(ctx);
    recordsSuite(ctx);
    idempotentRequestsSuite(ctx);
    pendingGenerationsSuite(ctx);
    racesSuite(ctx);
  });
}
