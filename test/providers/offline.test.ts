import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import type { GenerationInput, ProviderAdapter, ProviderStatus } from '../../src/core/ports/provider-adapter.js';

const signal = new AbortController().signal;
const input = (extra: Partial<GenerationInput> = {}): GenerationInput => ({
  prompt: 'a lighthouse at dusk',
  aspectRatio: '1:1',
  seed: 42,
  outputFormat: 'png',
  ...extra,
});

async function generate(provider: ProviderAdapter, request: GenerationInput): Promise<ProviderStatus> {
  const submitted = await provider.submit(request, { signal });
  let status = submitted.status;
  while (!status || status.state === 'pending' || status.state === 'running') status = await provider.poll(submitted.requestId, { signal });
  return status;
}

async function bytesOf(provider: ProviderAdapter, request: GenerationInput): Promise<Uint8Array> {
  const status = await generate(provider, request);
  if (status.state !== 'succeeded' || !('bytes' in status.output)) throw new Error(`no image: ${JSON.stringify(status)}`);
  return status.output.bytes;
}

describe('offline provider', () => {
  it.each([
    ['png', 'image/png', 'png'],
    ['jpeg', 'image/jpeg', 'jpeg'],
    ['webp', 'image/webp', 'webp'],
  ] as const)('makes a decodable %s image', async (format, mime, decoded) => {
    const provider = createOfflineProvider({ size: 64 });
    const status = await generate(provider, input({ outputFormat: format }));
    expect(status.state).toBe('succeeded');
    if (status.state !== 'succeeded' || !('bytes' in status.output)) return;
    expect(status.output.contentType).toBe(mime);
    const meta = await sharp(status.output.bytes).metadata();
    expect(meta.format).toBe(decoded);
    expect([meta.width, meta.height]).toEqual([64, 64]);
  });

  it.each([
    ['16:9', 512, 288],
    ['9:16', 288, 512],
    ['4:3', 512, 384],
    ['21:9', 512, 216],
  ] as const)('sizes %s as %ix%i', async (aspectRatio, width, height) => {
    const bytes = await bytesOf(createOfflineProvider({ size: 512, pollsBeforeReady: 0 }), input({ aspectRatio }));
    const meta = await sharp(bytes).metadata();
    expect([meta.width, meta.height]).toEqual([width, height]);
  });

  it('is deterministic for a prompt and seed, and visibly different for another prompt', async () => {
    const provider = createOfflineProvider({ size: 64, pollsBeforeReady: 0 });
    const raw = async (request: GenerationInput) =>
      sharp(await bytesOf(provider, request))
        .raw()
        .toBuffer();
    const a = await raw(input());
    const again = await raw(input());
    const other = await raw(input({ prompt: 'a forest in the rain' }));
    expect(Buffer.compare(a, again)).toBe(0);
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff += Math.abs(a[i]! - other[i]!);
    expect(diff / a.length).toBeGreaterThan(20);
  });

  it('without a seed, picks one per request so prompt × count gives different pictures', async () => {
    const provider = createOfflineProvider({ size: 32, pollsBeforeReady: 0 });
    const a = await bytesOf(provider, input({ seed: null }));
    const b = await bytesOf(provider, input({ seed: null }));
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).not.toBe(0);
  });

  it('answers running for pollsBeforeReady polls, then the image', async () => {
    const provider = createOfflineProvider({ size: 32, pollsBeforeReady: 3 });
    const { requestId, status } = await provider.submit(input(), { signal });
    expect(status).toBeUndefined();
    const states = [];
    for (let i = 0; i < 4; i++) states.push((await provider.poll(requestId, { signal })).state);
    expect(states).toEqual(['running', 'running', 'running', 'succeeded']);
  });

  it('injects failures by prompt', async () => {
    const provider = createOfflineProvider({
      size: 32,
      failWhen: (i) => (i.prompt.includes('nsfw') ? { reason: 'moderated_input', message: 'Request Moderated' } : null),
    });
    expect(await generate(provider, input({ prompt: 'nsfw thing' }))).toEqual({
      state: 'failed',
      reason: 'moderated_input',
      message: 'Request Moderated',
    });
    expect((await generate(provider, input())).state).toBe('succeeded');
  });

  it('injects failures at a rate', async () => {
    const provider = createOfflineProvider({ size: 16, pollsBeforeReady: 0, failureRate: 0.5 });
    const states = await Promise.all(Array.from({ length: 200 }, (_, i) => generate(provider, input({ prompt: `p${i}` }))));
    const failed = states.filter((s) => s.state === 'failed').length;
    expect(failed).toBeGreaterThan(60);
    expect(failed).toBeLessThan(140);
  });

  it('lets another instance (a restarted process) poll a request by its id', async () => {
    const first = createOfflineProvider({ size: 32, pollsBeforeReady: 5 });
    const { requestId } = await first.submit(input({ outputFormat: 'webp' }), { signal });
    const restarted = createOfflineProvider({ size: 32, pollsBeforeReady: 5 });
    const status = await restarted.poll(requestId, { signal });
    expect(status.state).toBe('succeeded');
    expect(await restarted.poll('offline-99', { signal })).toMatchObject({ state: 'failed', reason: 'not_found' });
  });
});
