import { isImageGenError } from '../errors/image-gen-error.js';
import { ProviderError } from '../errors/provider-error.js';
import { TimeoutError } from '../errors/timeout-error.js';
import type { GenerationInput, ImageBytes, PollPolicy, ProviderAdapter, ProviderStatus } from '../ports/provider-adapter.js';
import { ShutdownSignal } from '../util/shutdown-signal.js';
import { sleep } from '../util/sleep.js';
import type { Timers } from '../util/timers.js';
import { PROGRESS, pollProgress } from '../policy/progress.js';

/** The contract's default: 40 polls, 0.8 s apart. */
export const DEFAULT_POLL_POLICY: PollPolicy = { maxPolls: 40, pollIntervalMs: 800 };

export interface GenerationRun {
  provider: ProviderAdapter;
  input: GenerationInput;
  policy: PollPolicy;
  /** Aborts the whole run (timeout, shutdown). */
  signal: AbortSignal;
  /** Poll this request instead of submitting a new one (resumed after a restart). */
  resumeRequestId?: string | null;
  /** Called once the provider's request id is known, before the first poll; awaited so it is durable. */
  onRequestId?: (requestId: string) => Promise<void>;
  /** Called with 30–90 while waiting. */
  onProgress?: (progress: number) => void;
  /** What the poll interval is waited with. @default the runtime's timers */
  timers?: Timers;
}

/** Submits (or resumes) a generation and polls it to an image, mapping every failure to an error class. */
export async function runGeneration(run: GenerationRun): Promise<{ requestId: string; image: ImageBytes }> {
  const { provider, signal, policy } = run;
  let requestId = run.resumeRequestId ?? null;
  let status: ProviderStatus | undefined;
  try {
    if (!requestId) {
      const submitted = await provider.submit(run.input, { signal });
      requestId = submitted.requestId;
      status = submitted.status;
      await run.onRequestId?.(requestId);
    }
    run.onProgress?.(PROGRESS.submitted);
    for (let poll = 1; !isFinal(status); poll++) {
      if (poll > policy.maxPolls) {
        throw new TimeoutError(
          `The image provider did not finish after ${policy.maxPolls} polls (${(policy.maxPolls * policy.pollIntervalMs) / 1000} s)`,
          { request_id: requestId },
        );
      }
      const pushed = await waitBeforePoll(provider, requestId, policy.pollIntervalMs, signal, run.timers);
      status = pushed && isFinal(pushed) ? pushed : await provider.poll(requestId, { signal });
      if (!isFinal(status)) run.onProgress?.(pollProgress(poll, policy.maxPolls, status.state === 'running' ? status.progress : undefined));
    }
    if (status.state === 'failed') {
      throw new ProviderError(status.reason, status.message, { request_id: requestId });
    }
    const output = status.output;
    if ('bytes' in output) return { requestId, image: output };
    if (!provider.download) {
      throw new ProviderError('invalid_response', `Provider ${provider.name} returned a URL and cannot download it`);
    }
    return { requestId, image: await provider.download(output.url, { signal }) };
  } catch (error) {
    // Given up before a final status (poll budget, task timeout, caller gone, a poll that kept
    // failing): tell the provider to stop working (and billing). On shutdown the request is kept,
    // so a restarted process polls it instead of paying for a new one.
    if (requestId && !isFinal(status) && !(signal.reason instanceof ShutdownSignal)) {
      void provider.cancel?.(requestId).catch(() => {});
    }
    throw asGenerationError(error, signal, requestId);
  }
}

/** Sleeps one poll interval, or returns early with a status a webhook pushed meanwhile. */
async function waitBeforePoll(
  provider: ProviderAdapter,
  requestId: string,
  ms: number,
  signal: AbortSignal,
  timers?: Timers,
): Promise<ProviderStatus | null> {
  if (provider.waitForStatus) return provider.waitForStatus(requestId, ms, { signal });
  if (ms > 0) await sleep(ms, signal, timers);
  return null;
}

function isFinal(status: ProviderStatus | undefined): status is Extract<ProviderStatus, { state: 'succeeded' | 'failed' }> {
  return status?.state === 'succeeded' || status?.state === 'failed';
}

function asGenerationError(error: unknown, signal: AbortSignal, requestId: string | null): Error {
  if (isImageGenError(error)) return error;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof Error && reason.name !== 'AbortError'
      ? reason
      : new TimeoutError('The generation was stopped before it finished', requestId ? { request_id: requestId } : {});
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError('provider_error', `The image provider failed: ${message}`, requestId ? { request_id: requestId } : {}, {
    cause: error,
  });
}
