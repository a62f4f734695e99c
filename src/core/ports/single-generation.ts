import type { ImageBytes } from './provider-adapter.js';
import type { Page, PageRequest } from './storage-adapter.js';
import type { GenerationRecord } from '../schemas/records.js';

/**
 * Contract of the single-generation services (text-to-image and image-to-image), shared by the
 * engine, the HTTP handler and the client. Implemented by `TextToImage` and `ImageToImage`.
 */
export interface SingleGenerationOptions {
  /** Same key + same body replays the first result without charging again. */
  idempotencyKey?: string;
  /** Text that must match on replay (the HTTP layer passes a hash of the body). */
  fingerprint?: string;
  signal?: AbortSignal;
}

export interface SingleGenerationResult {
  record: GenerationRecord;
  creditsRemaining: number;
  replayed: boolean;
}

export interface SingleGenerationService {
  /** Validates `body` (a documented request body), charges, generates, stores; refunds exactly once on failure. */
  run(username: string, body: unknown, options?: SingleGenerationOptions): Promise<SingleGenerationResult>;
}

/** Reads a user's generation records. */
export interface RecordReader {
  list(username: string, page?: PageRequest): Promise<Page<GenerationRecord>>;
  /** The record when it exists and belongs to `username`, else `NotFoundError`. */
  get(username: string, recordId: string): Promise<GenerationRecord>;
}

/** Fetches an `input_image` given as a URL (a guarded fetcher on Node); core itself does no I/O. */
export type InputImageFetcher = (url: string, options: { signal: AbortSignal }) => Promise<ImageBytes>;
