import type { Logger } from '../../../core/options.js';
import type { ProviderAdapter } from '../../../core/ports/provider-adapter.js';

/** The variables read, in the order they are tried. */
export const PROVIDER_ENV_VARS = ['BFL_API_KEYS', 'FIREWORKS_API_KEYS', 'OPENAI_API_KEY', 'FAL_KEY', 'REPLICATE_API_TOKEN'] as const;

export type ProviderName = 'bfl' | 'fireworks' | 'openai' | 'fal' | 'replicate' | 'offline';

export interface ProviderFromEnvOptions {
  /** @default process.env */
  env?: Record<string, string | undefined>;
  logger?: Logger;
}

/**
 * Picks the image provider from the environment: `IMAGEGEN_PROVIDER` names one explicitly;
 * otherwise the first of `BFL_API_KEYS`, `FIREWORKS_API_KEYS` (comma-separated lists: each key adds
 * concurrency), `OPENAI_API_KEY`, `FAL_KEY`, `REPLICATE_API_TOKEN` that is set; the offline provider
 * when none is. Optional: `BFL_MODEL`, `BFL_REGION`, `FIREWORKS_MODEL`, `FAL_MODEL`, `REPLICATE_MODEL`,
 * `OPENAI_IMAGE_MODEL`. Adapters are loaded on demand, so unused ones cost nothing.
 *
 * @example
 * const { provider, name } = await providerFromEnv();
 * const engine = createEngine({ storage, imageStore, provider });
 */
export async function providerFromEnv(options: ProviderFromEnvOptions = {}): Promise<{ name: ProviderName; provider: ProviderAdapter }> {
  const env = options.env ?? process.env;
  const logger = options.logger;
  const has = (name: string) => (env[name] ?? '').trim() !== '';
  const explicit = (env.IMAGEGEN_PROVIDER ?? '').trim().toLowerCase();
  const chosen: ProviderName =
    explicit !== ''
      ? (explicit as ProviderName)
      : has('BFL_API_KEYS')
        ? 'bfl'
        : has('FIREWORKS_API_KEYS')
          ? 'fireworks'
          : has('OPENAI_API_KEY')
            ? 'openai'
            : has('FAL_KEY')
              ? 'fal'
              : has('REPLICATE_API_TOKEN')
                ? 'replicate'
                : 'offline';
  const need = (variable: string) => {
    if (!has(variable)) throw new RangeError(`IMAGEGEN_PROVIDER=${chosen} needs ${variable}`);
    return env[variable]!;
  };
  switch (chosen) {
    case 'bfl': {
      const { createBflProvider } = await import('../bfl/index.js');
      return {
        name: chosen,
        provider: createBflProvider({
          apiKeys: need('BFL_API_KEYS'),
          model: env.BFL_MODEL || undefined,
          region: env.BFL_REGION || undefined,
          logger,
        }),
      };
    }
    case 'fireworks': {
      const { createFireworksProvider } = await import('../fireworks/index.js');
      return {
        name: chosen,
        provider: createFireworksProvider({ apiKeys: need('FIREWORKS_API_KEYS'), model: env.FIREWORKS_MODEL || undefined, logger }),
      };
    }
    case 'openai': {
      const { createOpenAiProvider } = await import('../openai/index.js');
      return {
        name: chosen,
        provider: createOpenAiProvider({ apiKeys: need('OPENAI_API_KEY'), model: env.OPENAI_IMAGE_MODEL || undefined, logger }),
      };
    }
    case 'fal': {
      const { createFalProvider } = await import('../fal/index.js');
      return { name: chosen, provider: createFalProvider({ apiKeys: need('FAL_KEY'), model: env.FAL_MODEL || undefined, logger }) };
    }
    case 'replicate': {
      const { createReplicateProvider } = await import('../replicate/index.js');
      return {
        name: chosen,
        provider: createReplicateProvider({ apiKeys: need('REPLICATE_API_TOKEN'), model: env.REPLICATE_MODEL || undefined, logger }),
      };
    }
    case 'offline': {
      const { createOfflineProvider } = await import('../offline/index.js');
      return { name: chosen, provider: createOfflineProvider() };
    }
    default:
      throw new RangeError(`IMAGEGEN_PROVIDER must be one of bfl, fireworks, openai, fal, replicate, offline (got "${explicit}")`);
  }
}
