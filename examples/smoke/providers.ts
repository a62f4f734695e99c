/**
 * A smoke run against the real provider APIs: for each provider whose key is in the environment,
 * one text-to-image and (where the model edits) one image-to-image on its result, printing the
 * request id, the time to the first progress and the time to the result. It spends real credits,
 * so it never runs in CI; without any key it says which variables it looks for and exits 0.
 *
 *   BFL_API_KEYS=… npm run smoke:providers
 *   SMOKE_PROVIDERS=fal,openai npm run smoke:providers   (only these, when several keys are set)
 */
import { DEFAULT_POLL_POLICY, runGeneration } from '../../src/adapter-kit/index.js';
import { PROVIDER_REGISTRY } from '../../src/adapters/providers/from-env/registry.js';
import type { GenerationInput, ImageBytes, ProviderAdapter } from '../../src/core/ports/provider-adapter.js';

const TEXT: GenerationInput = { prompt: 'a red fox in the snow, photograph', aspectRatio: '16:9', seed: 7, outputFormat: 'jpeg' };

async function main(): Promise<void> {
  const only = process.env.SMOKE_PROVIDERS?.split(',').map((s) => s.trim());
  const entries = PROVIDER_REGISTRY.filter((e) => e.keyVariables.length > 0 && (!only || only.includes(e.name)));
  const configured = entries.filter((e) => e.keyVariables.some((v) => process.env[v]));
  if (configured.length === 0) {
    console.log('smoke:providers: no provider key in the environment, nothing to do. It looks for:');
    for (const entry of entries) {
      const optional = Object.entries(entry.defaults).map(([k, v]) => `${k} (default ${v})`);
      console.log(`  ${entry.name}: ${entry.keyVariables.join(' or ')}${optional.length ? `; optional ${optional.join(', ')}` : ''}`);
    }
    return;
  }
  let failures = 0;
  for (const entry of configured) {
    const key = entry.keyVariables.map((v) => process.env[v]).find(Boolean)!;
    const provider = await entry.create({
      apiKeys: key,
      optional: (variable) => process.env[variable] || undefined,
      logger: { warn: (m) => console.log(`  warn: ${m}`), error: (m) => console.log(`  error: ${m}`) },
    });
    console.log(`${entry.name}:`);
    const text = await timed(provider, 'text-to-image', TEXT);
    if (!text) failures++;
    if (text && provider.capabilities.imageToImage) {
      const edit = await timed(provider, 'image-to-image', {
        ...TEXT,
        prompt: 'make the fox blue',
        inputImage: text,
        imagePromptStrength: 0.6,
      });
      if (!edit) failures++;
    }
  }
  process.exitCode = failures ? 1 : 0;
}

/** One generation as the engine runs it (the adapter's own poll budget), with its timings. */
async function timed(provider: ProviderAdapter, label: string, input: GenerationInput): Promise<ImageBytes | null> {
  const policy = { ...DEFAULT_POLL_POLICY, ...provider.pollPolicy };
  const started = performance.now();
  let firstProgress: number | undefined;
  let requestId = '';
  const budget = policy.maxPolls * policy.pollIntervalMs + (policy.submitTimeoutMs ?? 0) + 30_000;
  try {
    const { image } = await runGeneration({
      provider,
      input,
      policy,
      signal: AbortSignal.timeout(budget),
      onRequestId: async (id) => {
        requestId = id;
      },
      onProgress: () => {
        firstProgress ??= performance.now() - started;
      },
    });
    const total = performance.now() - started;
    console.log(
      `  ${label}: ok, request ${requestId}, first progress ${ms(firstProgress)}, result ${ms(total)}, ${image.contentType} ${image.bytes.byteLength} bytes`,
    );
    return image;
  } catch (error) {
    console.log(
      `  ${label}: FAILED after ${ms(performance.now() - started)} (request ${requestId || 'none'}): ${(error as Error).message}`,
    );
    return null;
  }
}

const ms = (value: number | undefined) => (value === undefined ? 'none' : `${(value / 1000).toFixed(1)} s`);

await main();
