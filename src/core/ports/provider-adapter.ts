import type { AspectRatio, OutputFormat } from '../schemas/params.js';
import type { ProviderFailureReason } from '../errors/provider-error.js';
import type { TelemetryKeyState } from './telemetry.js';

/** An image as bytes with its MIME type. */
export interface ImageBytes {
  bytes: Uint8Array;
  contentType: string;
}

/** What the services ask a provider to make. */
export interface GenerationInput {
  prompt: string;
  aspectRatio: AspectRatio;
  seed: number | null;
  outputFormat: OutputFormat;
  /** Present for image-to-image. */
  inputImage?: ImageBytes;
  /** 0 ignores the input image, 1 keeps it. Present for image-to-image. */
  imagePromptStrength?: number;
}

/** A generated image: bytes, or a URL the provider serves for a while. */
export type ProviderOutput = ImageBytes | { url: string; contentType?: string };

/** A request's state as every adapter reports it, whatever the provider's own words. */
export type ProviderStatus =
  | { state: 'pending' }
  /** `progress` is the provider's own hint (0–1) when it gives one. */
  | { state: 'running'; progress?: number }
  | { state: 'succeeded'; output: ProviderOutput }
  | { state: 'failed'; reason: ProviderFailureReason; message: string };

export interface ProviderCallContext {
  signal: AbortSignal;
}

/** The result of a submit: the provider's request id, and the outcome when the API is synchronous. */
export interface SubmitResult {
  requestId: string;
  /** Set by synchronous APIs (and when the result is already known); otherwise poll. */
  status?: ProviderStatus;
}

/** Polling budget of one request. */
export interface PollPolicy {
  /** @default 40 */
  maxPolls: number;
  /** @default 800 */
  pollIntervalMs: number;
  /**
   * How long the submit itself may take: synchronous APIs (OpenAI) answer the image at submit.
   * Added to the task timeout. @default 0
   */
  submitTimeoutMs?: number;
}

/** Which inputs an adapter honours; what it refuses is refused before anything is charged. */
export interface ProviderCapabilities {
  imageToImage: boolean;
  seed: boolean;
  outputFormats: readonly OutputFormat[];
  /** The aspect ratios it makes when it refuses the others; absent: every ratio (mapped to its nearest size). */
  aspectRatios?: readonly AspectRatio[];
}

/**
 * An image API. The engine submits, saves the request id at once (so a restarted process polls
 * the same request instead of paying for a new one), then polls until a final status or the
 * task's timeout. Adapters map their provider's status words to {@link ProviderStatus} once.
 */
export interface ProviderAdapter {
  readonly name: string;
  /** Which inputs it honours. */
  readonly capabilities: ProviderCapabilities;
  /** This provider's own polling budget (from its documented behaviour); the host's `pollPolicy` overrides it. */
  readonly pollPolicy?: Partial<PollPolicy>;
  submit(input: GenerationInput, ctx: ProviderCallContext): Promise<SubmitResult>;
  poll(requestId: string, ctx: ProviderCallContext): Promise<ProviderStatus>;
  /**
   * The provider's own id of a request id this adapter returned, as users may see it (API
   * responses, support tickets). Adapters whose ids carry routing data — a key's fingerprint, a
   * polling URL — strip it here. The HTTP handler also strips provider-kit's `encodeRef` suffix
   * itself, so adapters built on provider-kit need not implement it.
   * @default the request id as it is
   */
  publicRequestId?(requestId: string): string;
  /** Best-effort cancel of a request the engine gave up on. */
  cancel?(requestId: string): Promise<void>;
  /** Downloads a result URL this provider returned (capped in size and time). */
  download?(url: string, ctx: ProviderCallContext): Promise<ImageBytes>;
  /**
   * Waits up to `ms` for a status pushed to this process (a verified webhook) instead of sleeping
   * between polls; resolves null when none came. Adapters without webhooks leave it out.
   */
  waitForStatus?(requestId: string, ms: number, ctx: ProviderCallContext): Promise<ProviderStatus | null>;
  /** The model it generates with (text-to-image), for traces and metrics. */
  readonly model?: string;
  /** The label (`bfl#2`) of the key a request id of this adapter was made with, for traces; never the key. */
  keyLabelOf?(requestId: string): string | undefined;
  /** Each key's state (in flight, cooling down, out of rotation), for gauges; never the keys. */
  keyStats?(): TelemetryKeyState[];
}
