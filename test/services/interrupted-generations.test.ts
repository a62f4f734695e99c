import { beforeAll, describe, expect, it } from 'vitest';
import { createMemoryImageStore } from '../../src/adapters/image-stores/memory/index.js';
import { createOfflineProvider } from '../../src/adapters/providers/offline/index.js';
import { createMemoryStorage } from '../../src/adapters/storage/memory/index.js';
import { createEngine, type Engine } from '../../src/core/engine.js';
import type { ProviderAdapter } from '../../src/core/ports/provider-adapter.js';
import type { StorageAdapter } from '../../src/core/ports/storage-adapter.js';
import type { GenerationRecord } from '../../src/core/schemas/records.js';
import { INTERRUPTED_REASON } from '../../src/core/services/generation-sweep.js';
import { b64, makeImage } from '../image-input/fixtures.js';
import { ledgerLines, silentLogger } from './helpers.js';

const EVERYTHING = Number.MAX_SAFE_INTEGER;
let dataUrl: string;

beforeAll(async () => {
  dataUrl = `data:image/png;base64,${b64(await makeImage('png', 48, 32))}`;
});

/** A provider that accepts nothing: its submit waits until the generation is aborted (a process "frozen" mid-generation). */
function hangingProvider(): ProviderAdapter {
  const offline = createOfflineProvider({ size: 64 });
  return {
    name: 'hanging',
    capabilities: offline.capabilities,
    submit: (_input, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
    poll: (requestId, ctx) => offline.poll(requestId, ctx),
  };
}

function engineOn(storage: StorageAdapter, options: { provider?: ProviderAdapter; now?: () => number } = {}): Engine {
  return createEngine({
    storage,
    provider: options.provider ?? createOfflineProvider({ size: 64, pollsBeforeReady: 1, pollPolicy: { pollIntervalMs: 1 } }),
    imageStore: createMemoryImageStore(),
    logger: silentLogger,
    ...(options.now ? { now: options.now } : {}),
  });
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!(await check())) throw new Error('condition not reached');
}

const kinds = [
  { service: 'textToImage', body: () => ({ prompt: 'fox' }), price: 1 },
  { service: 'imageToImage', body: () => ({ prompt: 'fox', input_image: dataUrl }), price: 2 },
] as const;

describe('generations interrupted by a dying process', () => {
  it.each(kinds)(
    '$service: a later engine start refunds a charged generation whose process died, exactly once',
    async ({ service, body, price }) => {
      const storage = createMemoryStorage();
      const crashed = engineOn(storage, { provider: hangingProvider() });
      await crashed.credits.grant('alice', 10, { idempotencyKey: 'welcome' });
      const running = crashed[service].run('alice', body()).catch((error: unknown) => error);
      await until(async () => (await ledgerLines(crashed)).length === 2);
      expect(await storage.listPendingGenerations(EVERYTHING, 10)).toHaveLength(1);

      // A restart within the staleness window leaves the (possibly live) generation alone.
      const tooSoon = engineOn(storage);
      await tooSoon.recoverGenerations();
      expect(await ledgerLines(crashed)).toEqual(['grant 10', `charge -${price}`]);

      // Past it, the generation is presumed dead: the next engine's start gives the credits back.
      const later = () => Date.now() + crashed.idempotency.staleAfterMs + 1;
      const restarted = engineOn(storage, { now: later });
      const changes: Array<{ delta: number; kind: string }> = [];
      restarted.events.on('credits:changed', (event) => changes.push({ delta: event.delta, kind: event.kind }));
      await restarted.start();
      expect(await ledgerLines(restarted)).toEqual(['grant 10', `charge -${price}`, `refund ${price}`]);
      expect(await restarted.credits.balance('alice')).toBe(10);
      expect(changes).toEqual([{ delta: price, kind: 'refund' }]);
      const [refund] = (await restarted.credits.history('alice', { limit: 1 })).items;
      expect(refund).toMatchObject({ reason: INTERRUPTED_REASON, idempotencyKey: expect.stringMatching(/^refund:charge:record:alice:/) });
      expect(await storage.listPendingGenerations(EVERYTHING, 10)).toEqual([]);

      // Another start (or sweep) finds nothing more to do.
      const again = engineOn(storage, { now: later });
      await again.start();
      expect(await again.recoverGenerations()).toEqual({ refunded: 0, completed: 0, uncharged: 0 });
      expect(await ledgerLines(again)).toEqual(['grant 10', `charge -${price}`, `refund ${price}`]);
      await Promise.all([restarted.stop({ graceMs: 0 }), again.stop({ graceMs: 0 })]);

      // The frozen original wakes up and fails: its own refund replays the sweep's, nothing is paid twice.
      await crashed.stop({ graceMs: 0 });
      await running;
      expect(await ledgerLines(crashed)).toEqual(['grant 10', `charge -${price}`, `refund ${price}`]);
      expect((await crashed.records.list('alice')).items).toEqual([]);
    },
  );

  it('drops the marker of a generation whose record was written (it died before dropping it): no refund', async () => {
    const storage = createMemoryStorage();
    const engine = engineOn(storage);
    await engine.credits.grant('alice', 10, { idempotencyKey: 'welcome' });
    const recordId = 'record:alice:1000';
    await storage.putPendingGeneration({ recordId, username: 'alice', chargeKey: `charge:${recordId}`, startedAt: 1000 });
    await engine.credits.charge('alice', 1, { idempotencyKey: `charge:${recordId}`, reference: recordId });
    const record: GenerationRecord = {
      recordId,
      username: 'alice',
      type: 'text_to_image',
      prompt: 'fox',
      imageUrl: '/images/x.png',
      requestId: 'r1',
      createdAt: 1000,
      aspectRatio: '1:1',
      seed: null,
      imagePromptStrength: null,
    };
    await storage.createRecord(record);
    expect(await engine.recoverGenerations()).toEqual({ refunded: 0, completed: 1, uncharged: 0 });
    expect(await ledgerLines(engine)).toEqual(['grant 10', 'charge -1']);
    expect(await storage.getRecord(recordId)).toEqual(record);
    expect(await storage.listPendingGenerations(EVERYTHING, 10)).toEqual([]);
  });

  it('drops the marker of a generation that died before it was charged: no refund', async () => {
    const storage = createMemoryStorage();
    const engine = engineOn(storage);
    await engine.credits.grant('alice', 10, { idempotencyKey: 'welcome' });
    await storage.putPendingGeneration({
      recordId: 'record:alice:1000',
      username: 'alice',
      chargeKey: 'charge:record:alice:1000',
      startedAt: 1000,
    });
    await engine.start();
    expect(await ledgerLines(engine)).toEqual(['grant 10']);
    expect(await storage.listPendingGenerations(EVERYTHING, 10)).toEqual([]);
    expect(await engine.recoverGenerations()).toEqual({ refunded: 0, completed: 0, uncharged: 0 });
    await engine.stop({ graceMs: 0 });
  });

  it('leaves no marker behind after a success, a refunded failure or a refusal for too few credits', async () => {
    const storage = createMemoryStorage();
    const failing = createOfflineProvider({
      size: 64,
      pollsBeforeReady: 1,
      pollPolicy: { pollIntervalMs: 1 },
      failWhen: (input) => (input.prompt === 'bad' ? { reason: 'moderated_input', message: 'no' } : null),
    });
    const engine = engineOn(storage, { provider: failing });
    await engine.credits.grant('alice', 3, { idempotencyKey: 'welcome' });
    await engine.textToImage.run('alice', { prompt: 'fox' });
    await expect(engine.textToImage.run('alice', { prompt: 'bad' })).rejects.toThrow();
    await expect(engine.imageToImage.run('alice', { prompt: 'fox', input_image: dataUrl })).resolves.toBeDefined();
    await expect(engine.imageToImage.run('alice', { prompt: 'fox', input_image: dataUrl })).rejects.toMatchObject({
      code: 'insufficient_credits',
    });
    expect(await ledgerLines(engine)).toEqual(['grant 3', 'charge -1', 'charge -1', 'refund 1', 'charge -2']);
    expect(await storage.listPendingGenerations(EVERYTHING, 10)).toEqual([]);
  });

  it('refuses a negative olderThanMs', async () => {
    await expect(engineOn(createMemoryStorage()).recoverGenerations({ olderThanMs: -1 })).rejects.toThrow(/olderThanMs/);
  });
});
