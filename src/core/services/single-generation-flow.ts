import { ConflictError } from '../errors/conflict-error.js';
import { isImageGenError } from '../errors/image-gen-error.js';
import { ProviderError } from '../errors/provider-error.js';
import type { EngineEventBus } from '../events.js';
import { chargeKeyFor, type IdClock, recordId as makeRecordId } from '../ids.js';
import type { IdempotencyPolicy, Logger } from '../options.js';
import type { ImageStore } from '../ports/image-store.js';
import type { GenerationInput } from '../ports/provider-adapter.js';
import type { StorageAdapter } from '../ports/storage-adapter.js';
import type { GenerationRecord } from '../schemas/records.js';
import { DEFAULT_IDEMPOTENCY_RETAIN_MS } from '../storage-kit/idempotency-windows.js';
import type { CreditLedger } from './credit-ledger.js';
import { fingerprintOf } from './fingerprint.js';
import { withFreshId } from './fresh-id.js';
import type { GenerationPipeline } from './generation-pipeline.js';
import { PROGRESS } from '../policy/progress.js';
import type { SingleGenerationOptions, SingleGenerationResult } from '../ports/single-generation.js';
import type { UserSlots } from '../util/user-slots.js';

export interface SingleGenerationDeps {
  storage: StorageAdapter;
  ledger: CreditLedger;
  events: EngineEventBus;
  pipeline: GenerationPipeline;
  imageStore: ImageStore;
  clock: IdClock;
  logger: Logger;
  /** How idempotency keys age. @default { staleAfterMs: 182000, retainMs: 86400000 } (the engine passes its own) */
  idempotency?: IdempotencyPolicy;
  /** @default Date.now */
  now?: () => number;
  /** Generations in flight per user (text-to-image and image-to-image together); over it, 429 before any charge. @default no ceiling */
  inFlight?: UserSlots;
}

const DEFAULT_POLICY: IdempotencyPolicy = { staleAfterMs: 182_000, retainMs: DEFAULT_IDEMPOTENCY_RETAIN_MS };

/** One validated request, ready to charge. */
export interface SingleGenerationJob {
  type: GenerationRecord['type'];
  price: number;
  username: string;
  /** The parsed request, fingerprinted for idempotency when the caller gives no fingerprint. */
  request: unknown;
  /**
   * Everything that can still refuse the request without a charge (moderation, the input image);
   * runs after a replay was ruled out, so a replay does not fetch or moderate again.
   */
  prepare: (signal: AbortSignal) => Promise<GenerationInput>;
  imagePromptStrength: number | null;
}

interface StoredResponse {
  record: GenerationRecord;
  creditsRemaining: number;
}

/**
 * The shared flow of text-to-image and image-to-image: idempotency, the checks that may refuse
 * for free, the charge, the generation, the stored image, the record; after the charge any
 * failure refunds exactly once (the refund's key derives from the charge's) and is rethrown.
 *
 * A paid generation writes a pending marker (storage `putPendingGeneration`) before its charge and
 * drops it once the record or the refund is written. If the process dies in between, the marker
 * outlives it and the engine's sweep (`Engine.recoverGenerations`, run by `start`) settles it: the
 * record exists → drop; the charge exists → refund once; neither → drop. The sweep only takes markers
 * older than the engine's `idempotency.staleAfterMs` (the generation timeout plus two minutes), longer
 * than a live generation can run, so it never refunds one that may still write its record.
 */
export async function runSingleGeneration(
  deps: SingleGenerationDeps,
  job: SingleGenerationJob,
  options: SingleGenerationOptions,
): Promise<SingleGenerationResult> {
  const signal = options.signal ?? new AbortController().signal;
  const idempotency = options.idempotencyKey ? `${job.type}:${job.username}:${options.idempotencyKey}` : null;
  const policy = deps.idempotency ?? DEFAULT_POLICY;
  const now = deps.now ?? Date.now;
  if (idempotency) {
    const fingerprint = options.fingerprint ?? (await fingerprintOf(job.request));
    // A key left pending by a process that crashed goes stale and is taken over here.
    const state = await deps.storage.beginIdempotent(idempotency, fingerprint, now(), { staleAfterMs: policy.staleAfterMs });
    if (state.state !== 'new') {
      if (state.fingerprint !== fingerprint) {
        throw new ConflictError('idempotency_mismatch', 'This Idempotency-Key was already used with another request body');
      }
      if (state.state === 'pending') {
        throw new ConflictError('idempotency_in_progress', 'A request with this Idempotency-Key is still running: wait for it, then retry');
      }
      const response = state.response as StoredResponse;
      return { record: response.record, creditsRemaining: response.creditsRemaining, replayed: true };
    }
  }
  let result: StoredResponse;
  let release = () => {};
  try {
    // After the replay check (a replay costs nothing), before preparing and charging.
    if (deps.inFlight) release = deps.inFlight.take(job.username);
    result = await generate(deps, job, signal, await job.prepare(signal));
  } catch (error) {
    // Refused before the charge, or refunded after it: the key may be used again.
    if (idempotency && !(error instanceof Error && RECORD_MAY_EXIST.has(error))) {
      await deps.storage.abandonIdempotent(idempotency).catch(() => {});
    }
    throw error;
  } finally {
    release();
  }
  if (idempotency) {
    // The generation is paid and recorded; failing to remember the key must not lose the result.
    // Tried three times: a key left pending goes stale, and the same request would run (and be
    // charged) again.
    for (let attempt = 1; ; attempt++) {
      try {
        await deps.storage.completeIdempotent(idempotency, result satisfies StoredResponse, now(), { retainMs: policy.retainMs });
        break;
      } catch (error) {
        if (attempt < 3) continue;
        deps.logger.error('could not store an idempotent response', {
          key: idempotency,
          error: error instanceof Error ? error.message : String(error),
        });
        break;
      }
    }
  }
  return { ...result, replayed: false };
}

async function generate(
  deps: SingleGenerationDeps,
  job: SingleGenerationJob,
  signal: AbortSignal,
  input: GenerationInput,
): Promise<StoredResponse> {
  const { username } = job;
  const timestamp = deps.clock.next();
  const id = makeRecordId(username, timestamp);
  const chargeKey = chargeKeyFor(id);
  const now = deps.now ?? Date.now;
  const startedAt = now();
  /** Record ids of the markers this generation wrote (a second one if the record id was taken). */
  const markers: string[] = [];
  let balance: number;
  if (job.price > 0) {
    // The marker comes first: if this process dies after the charge, the engine's sweep finds it
    // and refunds (or, when the record made it, just drops the marker).
    await deps.storage.putPendingGeneration({ recordId: id, username, chargeKey, startedAt });
    markers.push(id);
    try {
      balance = (await deps.ledger.charge(username, job.price, { idempotencyKey: chargeKey, reference: id, reason: job.type })).balance;
    } catch (error) {
      // Refused (e.g. too few credits): nothing was charged, nothing to settle. Any other failure
      // may have come after the charge committed: the marker stays for the sweep to settle.
      if (isImageGenError(error)) await clearMarkers(deps, markers);
      throw error;
    }
  } else {
    balance = await deps.ledger.balance(username);
  }

  const progress = (value: number) => deps.events.emit('generation:progress', { username, operationId: chargeKey, progress: value });
  let storedKey: string | null = null;
  /** Set when the record may have been written: then nothing is undone here. */
  let unsettled = false;
  try {
    progress(PROGRESS.received);
    const generated = await deps.pipeline.generate({
      input,
      owner: username,
      imageKey: id.replaceAll(':', '_'),
      onProgress: progress,
      signal,
    });
    storedKey = generated.image.key;
    // The first try takes the id the charge and the marker were named after.
    return await withFreshId(
      deps.clock,
      async (at) => {
        const recordId = makeRecordId(username, at);
        if (recordId !== id && markers.length > 0) {
          // The sweep looks the record up by the marker's id: name the id the record will now have.
          await deps.storage.putPendingGeneration({ recordId, username, chargeKey, startedAt });
          markers.push(recordId);
        }
        const record: GenerationRecord = {
          recordId,
          username,
          type: job.type,
          prompt: input.prompt,
          imageUrl: generated.url,
          requestId: generated.requestId,
          createdAt: at,
          aspectRatio: input.aspectRatio,
          seed: input.seed,
          imagePromptStrength: job.imagePromptStrength,
          outputFormat: input.outputFormat,
        };
        try {
          await deps.storage.createRecord(record).catch(async (error: unknown) => {
            // The write may have committed before the failure: then the generation is done, and
            // refunding it (and deleting its image) would leave a record with no image, paid by no one.
            if (isImageGenError(error)) throw error;
            const stored = await readRecord(deps, recordId);
            // Whether it is there cannot be told now: the marker stays, and the sweep keeps the
            // record (and the charge) if it is, or refunds the charge if it is not.
            if (stored === undefined) unsettled = true;
            if (stored?.imageUrl !== record.imageUrl) throw error;
          });
          await clearMarkers(deps, markers);
          progress(PROGRESS.done);
          return { record, creditsRemaining: balance };
        } catch (error) {
          if (isImageGenError(error)) throw error;
          throw new ProviderError(
            'store_failed',
            'The image was generated but its record could not be saved',
            { request_id: generated.requestId },
            { cause: error },
          );
        }
      },
      timestamp,
    );
  } catch (error) {
    if (unsettled) {
      // Nor is the idempotency key given up: a repeat must not make (and charge) a second record.
      if (error instanceof Error) RECORD_MAY_EXIST.add(error);
      throw error;
    }
    if (storedKey) await deps.imageStore.delete(storedKey).catch(() => {});
    // A refund that could not be written keeps the markers, so the sweep gives it back later.
    if (job.price > 0 && (await refundOnce(deps, job, chargeKey, error))) await clearMarkers(deps, markers);
    throw error;
  }
}

/** Errors of generations whose record may have been written (it could not be read back). */
const RECORD_MAY_EXIST = new WeakSet<Error>();

/** The record, null when it is not there, undefined when three reads failed. */
async function readRecord(deps: SingleGenerationDeps, recordId: string): Promise<GenerationRecord | null | undefined> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await deps.storage.getRecord(recordId);
    } catch {
      // tried again below
    }
  }
  return undefined;
}

/**
 * Drops the pending markers of a settled generation. Failing here costs nothing but a later sweep
 * (which finds the record or the refund and only drops the marker), so it is logged, not thrown.
 */
async function clearMarkers(deps: SingleGenerationDeps, markers: string[]): Promise<void> {
  for (const recordId of markers) {
    await deps.storage.deletePendingGeneration(recordId).catch((error: unknown) => {
      deps.logger.warn('could not drop a pending-generation marker', {
        recordId,
        error: error instanceof Error ? error.message : String(error),
      });
    });
  }
}

/**
 * Gives the charge back (at most once, whatever happens) and notes it on the error for the caller.
 * False when the refund could not be written (the pending marker then stays for the sweep).
 */
async function refundOnce(deps: SingleGenerationDeps, job: SingleGenerationJob, chargeKey: string, cause: unknown): Promise<boolean> {
  const reason = isImageGenError(cause) ? `${job.type} failed: ${cause.message}` : `${job.type} failed`;
  for (let attempt = 1; ; attempt++) {
    try {
      const refund = await deps.ledger.refund(job.username, chargeKey, reason.slice(0, 500));
      if (isImageGenError(cause)) {
        Object.assign(cause.details, { credits_refunded: refund.entry.amount, credits_remaining: refund.balance });
      }
      return true;
    } catch (error) {
      if (attempt >= 3) {
        // The charge stays for now; its marker lets the engine's sweep give it back exactly once.
        deps.logger.error('refund failed', {
          username: job.username,
          chargeKey,
          error: error instanceof Error ? error.message : String(error),
        });
        return false;
      }
    }
  }
}
