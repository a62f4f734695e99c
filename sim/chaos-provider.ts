import { ProviderError } from '../src/core/errors/provider-error.js';
import type { ImageBytes, ProviderAdapter, ProviderCallContext, ProviderStatus } from '../src/core/ports/provider-adapter.js';
import type { World } from './world.js';

/** One request the simulated provider accepted (and charged its owner for). */
interface ProviderRequest {
  id: string;
  prompt: string;
  /** Polls until it is final (unless a webhook finished it earlier). */
  pollsLeft: number;
  final: ProviderStatus;
  /** When its webhook arrives (virtual ms), null for none; `duplicate`: delivered to every wait after. */
  webhookAt: number | null;
  duplicate: boolean;
  webhookDelivered: boolean;
  done: boolean;
}

const PNG: ImageBytes = { bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), contentType: 'image/png' };
const BROKEN_URL = 'https://provider.invalid/results/gone.png';

/** The provider's state, shared by every engine (it is one outside service). */
export class ProviderWorld {
  readonly requests = new Map<string, ProviderRequest>();
  #next = 1;
  newId(): string {
    return `req-${this.#next++}`;
  }
}

/**
 * A provider that misbehaves the ways real ones do: 5xx and 429 (with `Retry-After`), calls that
 * hang until aborted, malformed JSON, result URLs that 404, webhooks that come before the poll
 * shows the result or come twice, and slow answers. Every answer is a scheduled step of `owner`.
 */
export function chaosProvider(world: World, owner: number): ProviderAdapter {
  const { prng } = world;
  const state = world.provider;

  /** Answers after a (sometimes long) delay, or hangs until the call is aborted. */
  function answer<T>(label: string, signal: AbortSignal, produce: () => T, canHang = true): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (!world.alive(owner)) return;
      if (signal.aborted) return reject(signal.reason);
      const slow = prng.chance(0.1);
      const delay = slow ? prng.range(2_000, 12_000) : prng.range(20, 400);
      const hang = canHang && prng.chance(world.config.providerHang);
      let id = 0;
      const onAbort = () => {
        world.sched.cancel(id);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (hang) {
        world.sched.log(owner, `  provider ${label} hangs`);
        return;
      }
      id = world.sched.timer(owner, delay, `provider ${label}${slow ? ' (slow)' : ''}`, () => {
        signal.removeEventListener('abort', onAbort);
        try {
          resolve(produce());
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  function transient(label: string): void {
    const roll = prng.next();
    const rates = world.config.providerErrors;
    if (roll < rates) throw new ProviderError('provider_error', `${label}: HTTP 503 Service Unavailable`, { status: 503 });
    if (roll < rates * 2)
      throw new ProviderError('provider_error', `${label}: HTTP 429 Too Many Requests`, { status: 429, retry_after: 2 });
    if (roll < rates * 3) throw new SyntaxError(`${label}: Unexpected token '<', "<html>" is not valid JSON`);
  }

  function finish(request: ProviderRequest): ProviderStatus {
    request.done = true;
    return request.final;
  }

  return {
    name: 'chaos',
    capabilities: { imageToImage: false, seed: true, outputFormats: ['png', 'jpeg', 'webp'] },
    submit(input, ctx: ProviderCallContext) {
      return answer('submit', ctx.signal, () => {
        transient('submit');
        const roll = prng.next();
        const final: ProviderStatus =
          roll < 0.1
            ? { state: 'failed', reason: 'moderated_output', message: 'The output was flagged' }
            : roll < 0.16
              ? { state: 'succeeded', output: { url: BROKEN_URL, contentType: 'image/png' } }
              : { state: 'succeeded', output: PNG };
        const request: ProviderRequest = {
          id: state.newId(),
          prompt: input.prompt,
          pollsLeft: prng.range(0, 4),
          final,
          webhookAt: prng.chance(0.3) ? world.sched.now + prng.range(0, 3_000) : null,
          duplicate: prng.chance(0.5),
          webhookDelivered: false,
          done: false,
        };
        state.requests.set(request.id, request);
        world.history.submitted(input.prompt, request.id, owner);
        world.sched.log(owner, `  provider accepted ${request.id} for ${input.prompt}`);
        // A synchronous answer now and then, like APIs that return the image at submit.
        if (request.pollsLeft === 0 && prng.chance(0.3)) return { requestId: request.id, status: finish(request) };
        return { requestId: request.id };
      });
    },
    poll(requestId, ctx) {
      return answer(`poll ${requestId}`, ctx.signal, () => {
        transient(`poll ${requestId}`);
        const request = state.requests.get(requestId);
        if (!request) return { state: 'failed', reason: 'not_found', message: 'No such request' };
        if (request.done || request.pollsLeft <= 0) return finish(request);
        request.pollsLeft--;
        return { state: 'running', progress: prng.next() };
      });
    },
    waitForStatus(requestId, ms, ctx) {
      const request = state.requests.get(requestId);
      const pushedAt = request?.webhookAt ?? null;
      const deliverable = request && pushedAt !== null && (!request.webhookDelivered || request.duplicate);
      const at = deliverable ? Math.max(world.sched.now, Math.min(pushedAt, world.sched.now + ms)) : world.sched.now + ms;
      return new Promise<ProviderStatus | null>((resolve, reject) => {
        if (!world.alive(owner)) return;
        if (ctx.signal.aborted) return reject(ctx.signal.reason);
        const id = world.sched.timer(owner, at - world.sched.now, `wait ${requestId}`, () => {
          ctx.signal.removeEventListener('abort', onAbort);
          if (deliverable && pushedAt <= world.sched.now) {
            request.webhookDelivered = true;
            world.sched.log(owner, `  webhook for ${requestId}`);
            resolve(finish(request));
          } else resolve(null);
        });
        const onAbort = () => {
          world.sched.cancel(id);
          reject(ctx.signal.reason);
        };
        ctx.signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    download(url, ctx) {
      return answer('download', ctx.signal, () => {
        if (url === BROKEN_URL) throw new ProviderError('not_found', 'The result URL answered 404', { status: 404 });
        return PNG;
      });
    },
    async cancel(requestId) {
      const request = state.requests.get(requestId);
      if (request && !request.done) {
        request.final = { state: 'failed', reason: 'provider_error', message: 'Cancelled' };
        request.done = true;
      }
    },
  };
}
