import type { StorageAdapter } from '../../core/ports/storage-adapter.js';
import type { AdapterFactory, ConformanceContext } from './fixtures.js';
import { adminQueriesSuite } from './suites/admin-queries.js';
import { batchesSuite } from './suites/batches.js';
import { grantsSuite } from './suites/grants.js';
import { cancelSuite } from './suites/cancel.js';
import { idempotentRequestsSuite } from './suites/idempotent-requests.js';
import { ledgerSuite } from './suites/ledger.js';
import { ownershipSuite } from './suites/ownership.js';
import { pendingGenerationsSuite } from './suites/pending-generations.js';
import { progressSuite } from './suites/progress.js';
import { racesSuite } from './suites/races.js';
import { recordsSuite } from './suites/records.js';
import { taskRefundsSuite } from './suites/task-refunds.js';
import { tasksSuite } from './suites/tasks.js';
import { tasksWaitingSuite } from './suites/tasks-waiting.js';
import type { ConformanceTestApi } from './test-api.js';

export type { AdapterFactory, ConformanceContext } from './fixtures.js';
export type { ConformanceAssertion, ConformanceExpect, ConformanceTestApi } from './test-api.js';

/** What {@link runStorageConformance} needs: a name, a factory and the test runner's functions. */
export interface StorageConformanceOptions extends ConformanceTestApi {
  /** Shown in the suite's title: `StorageAdapter conformance: {name}`. */
  name: string;
  /** Opens the adapter once for the whole suite; `cleanup` runs after the last test. */
  create: AdapterFactory;
}

/**
 * Registers the storage conformance suite, every rule a `StorageAdapter` must keep, with the test
 * runner whose functions it is given (it imports none). Topics are separate `describe` blocks so
 * an adapter-only test file can sit beside it. Tests share one adapter and tell themselves apart by
 * user name, so the adapter may hold other data (lists filter by user where it matters).
 *
 * @example
 * import { afterAll, beforeAll, describe, expect, it } from 'vitest';
 * import { runStorageConformance } from 'imagegen-kit/adapter-kit';
 *
 * runStorageConformance({
 *   name: 'postgres',
 *   create: async () => ({ storage: createPostgresStorage(pool), cleanup: () => pool.end() }),
 *   describe, it, expect, beforeAll, afterAll,
 * });
 */
export function runStorageConformance(options: StorageConformanceOptions): void {
  const { name, create, describe, beforeAll, afterAll } = options;
  const t: ConformanceTestApi = options;
  describe(`StorageAdapter conformance: ${name}`, () => {
    let storage: StorageAdapter;
    let cleanup: (() => Promise<void>) | undefined;
    let n = 0;
    // Unique per run, so suites of several processes may share one database.
    const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    beforeAll(async () => {
      ({ storage, cleanup } = await create());
    });
    afterAll(async () => {
      await cleanup?.();
    });
    const ctx = (): ConformanceContext => ({ storage, user: (label = 'u') => `${label}${run}x${++n}` });
    ledgerSuite(t, ctx);
    grantsSuite(t, ctx);
    batchesSuite(t, ctx);
    tasksSuite(t, ctx);
    progressSuite(t, ctx);
    ownershipSuite(t, ctx);
    recordsSuite(t, ctx);
    idempotentRequestsSuite(t, ctx);
    pendingGenerationsSuite(t, ctx);
    racesSuite(t, ctx);
    adminQueriesSuite(t, ctx);
    cancelSuite(t, ctx);
    taskRefundsSuite(t, ctx);
    tasksWaitingSuite(t, ctx);
  });
}
