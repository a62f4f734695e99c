import { createOfflineProvider } from 'imagegen-kit/adapters/providers/offline';
import { encodePng } from 'imagegen-kit/adapters/providers/offline/edge';
import type { ProviderAdapter, ProviderStatus } from 'imagegen-kit';
import { OFFLINE_OPTIONS } from './shape.js';

/** One 8×8 PNG made once: every zero-cost generation returns these bytes. */
const IMAGE = { bytes: await encodePng(new Uint8Array(8 * 8 * 3).fill(128), 8, 8), contentType: 'image/png' };

/**
 * The zero-cost provider: submit answers at once, the first poll answers `running`, the
 * next one the image (a PNG made once). With `latencyMs`, the image is ready that long after the
 * submit and polls before then answer `running`. Whatever a run costs is the engine's (or the
 * baseline's) own work, not image rendering.
 */
export function createZeroCostProvider(options: { latencyMs?: number } = {}): ProviderAdapter {
  const latencyMs = options.latencyMs ?? 0;
  const readyAt = new Map<string, number>();
  const polled = new Set<string>();
  let counter = 0;
  const running: ProviderStatus = { state: 'running', progress: 0.5 };
  const done: ProviderStatus = { state: 'succeeded', output: IMAGE };
  return {
    name: 'offline',
    capabilities: { imageToImage: false, seed: true, outputFormats: ['png'] },
    async submit() {
      const requestId = `zero-${++counter}`;
      if (latencyMs > 0) readyAt.set(requestId, Date.now() + latencyMs);
      return { requestId };
    },
    async poll(requestId) {
      if (!polled.has(requestId)) {
        polled.add(requestId);
        return running;
      }
      const at = readyAt.get(requestId);
      if (at !== undefined && Date.now() < at) return running;
      polled.delete(requestId);
      readyAt.delete(requestId);
      return done;
    },
    async cancel(requestId) {
      polled.delete(requestId);
      readyAt.delete(requestId);
    },
  };
}

/**
 * The provider every throughput case and its baseline use: the zero-cost one, or with
 * `BENCH_PROVIDER=offline` the offline provider rendering a 32-pixel PNG per task with sharp.
 */
export function benchProvider(options: { latencyMs?: number } = {}): ProviderAdapter {
  return process.env.BENCH_PROVIDER === 'offline'
    ? createOfflineProvider({ ...OFFLINE_OPTIONS, ...options })
    : createZeroCostProvider(options);
}
