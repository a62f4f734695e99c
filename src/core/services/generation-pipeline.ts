import { isImageGenError } from '../errors/image-gen-error.js';
import { ProviderError } from '../errors/provider-error.js';
import { TimeoutError } from '../errors/timeout-error.js';
import type { ImageStore, StoredImage } from '../ports/image-store.js';
import type { GenerationInput, PollPolicy, ProviderAdapter } from '../ports/provider-adapter.js';
import { runGeneration } from './generation-runner.js';
import { realTimers, type Timers } from '../util/timers.js';

export { ShutdownSignal } from '../util/shutdown-signal.js';

export interface PipelineRequest {
  input: GenerationInput;
  owner: string;
  /** Stable image key, so a duplicate write overwrites instead of adding an image. */
  imageKey: string;
  resumeRequestId?: string | null;
  onRequestId?: (requestId: string) => Promise<void>;
  onProgress?: (progress: number) => void;
  /** Aborts this generation (the caller went away); its reason is rethrown. */
  signal?: AbortSignal;
  /** Receives a function that stops this run (cheaper than a second AbortSignal per run). */
  onStart?: (abort: (reason: Error) => void) => void;
}

export interface PipelineResult {
  requestId: string;
  url: string;
  image: StoredImage;
}

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

/**
 * One generation from prompt to stored image: provider call under the task timeout, then a copy
 * into the ImageStore (provider URLs expire). Shared by batch tasks, text-to-image and image-to-image.
 */
export class GenerationPipeline {
  /** Runs in flight, aborted together by {@link stop}. */
  readonly #running = new Set<AbortController>();
  /** Set between {@link stop} and {@link resume}: new runs are refused with it. */
  #stopped: Error | null = null;

  constructor(
    private readonly deps: {
      provider: ProviderAdapter;
      imageStore: ImageStore;
      policy: PollPolicy;
      timeoutMs: number;
      /** @default the runtime's timers */
      timers?: Timers;
    },
  ) {}

  /** Aborts every run in flight with `reason` and refuses new ones until {@link resume}. */
  stop(reason: Error): void {
    this.#stopped = reason;
    for (const controller of this.#running) controller.abort(reason);
  }

  /** Accepts runs again after {@link stop} (the engine was started again). */
  resume(): void {
    this.#stopped = null;
  }

  get provider(): ProviderAdapter {
    return this.deps.provider;
  }

  async generate(request: PipelineRequest): Promise<PipelineResult> {
    const { timeoutMs, timers = realTimers } = this.deps;
    if (this.#stopped) throw this.#stopped;
    const controller = new AbortController();
    const timer = timers.setTimeout(
      () => controller.abort(new TimeoutError(`The generation took longer than ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
    this.#running.add(controller);
    request.onStart?.((reason) => controller.abort(reason));
    const onCallerAbort = () => controller.abort(request.signal!.reason);
    if (request.signal?.aborted) onCallerAbort();
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      // Optional fields passed as they are (undefined when absent): no spread per run.
      const { requestId, image } = await runGeneration({
        provider: this.deps.provider,
        input: request.input,
        policy: this.deps.policy,
        signal: controller.signal,
        resumeRequestId: request.resumeRequestId,
        onRequestId: request.onRequestId,
        onProgress: request.onProgress,
        timers,
      });
      const ext = EXTENSIONS[image.contentType] ?? 'bin';
      let stored: StoredImage;
      try {
        stored = await this.deps.imageStore.put(image.bytes, {
          contentType: image.contentType,
          owner: request.owner,
          key: `${request.imageKey}.${ext}`,
        });
      } catch (error) {
        if (isImageGenError(error)) throw error;
        throw new ProviderError(
          'store_failed',
          'The image was generated but could not be stored',
          { request_id: requestId },
          { cause: error },
        );
      }
      return { requestId, url: stored.url, image: stored };
    } finally {
      timers.clearTimeout(timer);
      this.#running.delete(controller);
      request.signal?.removeEventListener('abort', onCallerAbort);
    }
  }
}
