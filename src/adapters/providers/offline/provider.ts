import type { ProviderFailureReason } from '../../../core/errors/provider-error.js';
import type {
  GenerationInput,
  ImageBytes,
  PollPolicy,
  ProviderAdapter,
  ProviderStatus,
  SubmitResult,
} from '../../../core/ports/provider-adapter.js';
import type { OutputFormat } from '../../../core/schemas/params.js';
import { sleep } from '../../../core/util/sleep.js';
import { dimensionsFor } from './dimensions.js';
import type { OfflineEncoder } from './png.js';
import { blendInto, hashString, renderPicture } from './render.js';

/** An injected failure: the reason and message the provider reports. */
export interface OfflineFailure {
  reason: ProviderFailureReason;
  message: string;
}

export interface OfflineProviderOptions {
  /** Longer side of the output in pixels. @default 512 */
  size?: number;
  /** Time from submit until the image is ready. @default 0 */
  latencyMs?: number;
  /** Polls answered `running` before the result. @default 2 */
  pollsBeforeReady?: number;
  /** Delay of each submit call itself (a slow API). @default 0 */
  submitDelayMs?: number;
  /** Fails the generations this returns a failure for (e.g. by prompt). */
  failWhen?: (input: GenerationInput) => OfflineFailure | null;
  /** Share of generations that fail at random (0–1), reproducibly by prompt and seed. @default 0 */
  failureRate?: number;
  /** Polling budget the engine uses with this provider. */
  pollPolicy?: Partial<PollPolicy>;
}

interface Job {
  input: GenerationInput;
  readyAt: number;
  polls: number;
}

const MIME: Record<OutputFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

/**
 * Makes real, decodable images locally, with no network and no key:
 * deterministic for a prompt and seed (no seed: a random one), sized by aspect ratio. Image-to-image blends the input in
 * by strength. Latency, polls and failures are configurable so tests and benchmarks reach every path.
 *
 * Request ids carry the text-to-image input, so a restarted process can still poll a request
 * another process submitted.
 */
export function createOfflineProviderWith(
  codec: OfflineEncoder,
  options: OfflineProviderOptions = {},
): ProviderAdapter & { readonly calls: { submit: number; poll: number } } {
  const size = options.size ?? 512;
  const latencyMs = options.latencyMs ?? 0;
  const pollsBeforeReady = options.pollsBeforeReady ?? 2;
  const jobs = new Map<string, Job>();
  const calls = { submit: 0, poll: 0 };
  let counter = 0;

  async function render(input: GenerationInput): Promise<ImageBytes> {
    const { width, height } = dimensionsFor(input.aspectRatio, size);
    const seed = hashString(`${input.prompt}\u0000${input.seed}`);
    let pixels = renderPicture(width, height, seed);
    if (input.inputImage && input.imagePromptStrength !== undefined && input.imagePromptStrength > 0 && codec.decodeRgb) {
      pixels = blendInto(pixels, await codec.decodeRgb(input.inputImage.bytes, width, height), input.imagePromptStrength);
    }
    return { bytes: await codec.encode(pixels, width, height, input.outputFormat), contentType: MIME[input.outputFormat] };
  }

  function injectedFailure(input: GenerationInput): OfflineFailure | null {
    const failure = options.failWhen?.(input) ?? null;
    if (failure) return failure;
    const rate = options.failureRate ?? 0;
    if (rate > 0 && (hashString(`fail\u0000${input.prompt}\u0000${input.seed ?? ''}`) % 10_000) / 10_000 < rate) {
      return { reason: 'provider_error', message: 'Injected failure (offline provider failureRate)' };
    }
    return null;
  }

  async function finish(job: Job): Promise<ProviderStatus> {
    const failure = injectedFailure(job.input);
    if (failure) return { state: 'failed', ...failure };
    return { state: 'succeeded', output: await render(job.input) };
  }

  return {
    name: 'offline',
    capabilities: { imageToImage: codec.decodeRgb !== undefined, seed: true, outputFormats: [...codec.formats] },
    ...(options.pollPolicy ? { pollPolicy: options.pollPolicy } : {}),
    calls,

    async submit(input, ctx): Promise<SubmitResult> {
      calls.submit++;
      if (options.submitDelayMs) await sleep(options.submitDelayMs, ctx.signal);
      // Like real APIs, no seed means a random one: a prompt × count batch gets different pictures.
      const seeded = { ...input, seed: input.seed ?? Math.floor(Math.random() * 4_294_967_296) };
      const requestId = input.inputImage ? `offline-${++counter}` : `offline-${++counter}.${encodeInput(seeded)}`;
      const job: Job = { input: seeded, readyAt: Date.now() + latencyMs, polls: 0 };
      if (pollsBeforeReady === 0 && latencyMs === 0) return { requestId, status: await finish(job) };
      jobs.set(requestId, job);
      return { requestId };
    },

    async poll(requestId): Promise<ProviderStatus> {
      calls.poll++;
      let job = jobs.get(requestId);
      if (!job) {
        const input = decodeInput(requestId);
        if (!input) return { state: 'failed', reason: 'not_found', message: `Unknown request ${requestId}` };
        job = { input, readyAt: 0, polls: pollsBeforeReady };
        jobs.set(requestId, job);
      }
      job.polls++;
      if (job.polls <= pollsBeforeReady || Date.now() < job.readyAt) {
        const byTime = latencyMs > 0 ? 1 - Math.max(0, job.readyAt - Date.now()) / latencyMs : 0;
        const byPolls = pollsBeforeReady > 0 ? (job.polls - 1) / pollsBeforeReady : 0;
        return { state: 'running', progress: Math.min(0.99, Math.max(byTime, byPolls)) };
      }
      jobs.delete(requestId);
      return finish(job);
    },

    async cancel(requestId) {
      jobs.delete(requestId);
    },
  };
}

// Base64url of UTF-8 with the platform's btoa/atob, so the provider needs no Node Buffer (Workers).
function encodeInput(input: GenerationInput): string {
  const bytes = new TextEncoder().encode(JSON.stringify([input.prompt, input.aspectRatio, input.seed, input.outputFormat]));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function decodeInput(requestId: string): GenerationInput | null {
  const dot = requestId.indexOf('.');
  if (!requestId.startsWith('offline-') || dot < 0) return null;
  try {
    const binary = atob(
      requestId
        .slice(dot + 1)
        .replace(/-/g, '+')
        .replace(/_/g, '/'),
    );
    const text = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const [prompt, aspectRatio, seed, outputFormat] = JSON.parse(text);
    return { prompt, aspectRatio, seed, outputFormat };
  } catch {
    return null;
  }
}
