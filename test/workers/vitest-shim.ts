// Stands in for `vitest` when a suite written for vitest (test/image-stores/image-store-suite.ts)
// is bundled into a Worker: esbuild aliases `vitest` to this module.
import { createTestApi } from './test-shim.js';

const api = createTestApi();
export const { describe, it, expect, beforeAll, afterAll } = api;
/** Runs what the imported suites registered. */
export const runRegistered = api.runRegistered;
