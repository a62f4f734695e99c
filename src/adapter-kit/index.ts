/**
 * imagegen-kit/adapter-kit: what people who write adapters reuse.
 *
 * - Storage: the conformance suite every storage adapter must pass, as a function that takes the
 *   test functions of the host's runner, and the pure rules the bundled adapters share.
 * - Providers: the HTTP helpers the bundled provider adapters are built from.
 */

// ---- storage ----

export {
  runStorageConformance,
  type AdapterFactory,
  type ConformanceAssertion,
  type ConformanceContext,
  type ConformanceExpect,
  type ConformanceTestApi,
  type StorageConformanceOptions,
} from './conformance/index.js';
export { charge, claimPending, grant, journalSum, makeBatch, seededBatch, tick } from './conformance/fixtures.js';
export {
  assertSameEntry,
  copyBatch,
  copyTask,
  DEFAULT_IDEMPOTENCY_RETAIN_MS,
  idTaken,
  numericCursor,
  pageLimit,
  retainOf,
  staleAfterOf,
  summaryOf,
  taskNotFailed,
} from '../core/storage-kit/index.js';

// ---- providers ----
