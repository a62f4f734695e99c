/**
 * imagegen-kit/adapter-kit: what people who write adapters reuse.
 *
 * - Storage: the conformance suite every storage adapter must pass, as a function that takes the
 *   test functions of the host's runner, and the pure rules the bundled adapters share.
 * - Providers: the HTTP helpers the bundled provider adapters are built from.
 */

// ---- the generation loop: drive a provider adapter exactly as the engine does ----
export { DEFAULT_POLL_POLICY, runGeneration, type GenerationRun } from '../core/services/generation-runner.js';

// ---- storage ----

// ---- providers ----
