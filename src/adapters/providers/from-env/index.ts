import type { Logger } from '../../../core/options.js';
import type { ProviderAdapter } from '../../../core/ports/provider-adapter.js';
import type { ProviderEnvEntry, ProviderEnvReader } from './provider-env.js';
import { PROVIDER_REGISTRY, type ProviderName } from './registry.js';

export type { ProviderEnvEntry, ProviderEnvReader } from './provider-env.js';
export { defineProviderEnv } from './provider-env.js';
export { PROVIDER_REGISTRY, type ProviderName } from './registry.js';

/** The key variables read, in the order they are tried. */
export const PROVIDER_ENV_VARS: readonly string[] = PROVIDER_REGISTRY.flatMap((entry) => entry.keyVariables);

export interface ProviderFromEnvOptions {
  /** @default process.env */
  env?: Record<string, string | undefined>;
  logger?: Logger;
}

/**
 * Picks the image provider from the environment: `IMAGEGEN_PROVIDER` names one explicitly;
 * otherwise the first provider of {@link PROVIDER_REGISTRY} whose key variable is set
 * (`BFL_API_KEYS`, `FIREWORKS_API_KEYS` — comma-separated lists: each key adds concurrency —
 * `OPENAI_API_KEY`, `FAL_KEY`, `REPLICATE_API_TOKEN`); the offline provider when none is. Each
 * provider's optional variables (`BFL_MODEL`, `BFL_REGION`, `FIREWORKS_MODEL`, `OPENAI_IMAGE_MODEL`,
 * `FAL_MODEL`, `REPLICATE_MODEL`) and their defaults are declared in its own `env.ts`. Adapters are
 * loaded on demand, so unused ones cost nothing.
 *
 * @example
 * const { provider, name } = await providerFromEnv();
 * const engine = createEngine({ storage, imageStore, provider });
 */
export async function providerFromEnv(options: ProviderFromEnvOptions = {}): Promise<{ name: ProviderName; provider: ProviderAdapter }> {
  const env = options.env ?? process.env;
  const isSet = (variable: string) => (env[variable] ?? '').trim() !== '';
  const entry = chooseEntry(env, isSet);
  const keyVariable = entry.keyVariables.find(isSet);
  if (entry.keyVariables.length > 0 && keyVariable === undefined) {
    throw new RangeError(`IMAGEGEN_PROVIDER=${entry.name} needs ${entry.keyVariables.join(' or ')}`);
  }
  const reader: ProviderEnvReader = {
    apiKeys: keyVariable === undefined ? '' : env[keyVariable]!,
    optional(variable) {
      if (!Object.hasOwn(entry.defaults, variable)) {
        throw new Error(`The ${entry.name} provider reads ${variable}, which its env.ts does not declare`);
      }
      return env[variable] || undefined;
    },
    logger: options.logger,
  };
  return { name: entry.name, provider: await entry.create(reader) };
}

/** The entry `IMAGEGEN_PROVIDER` names, else the first whose key is set or that needs no key. */
function chooseEntry(env: Record<string, string | undefined>, isSet: (variable: string) => boolean): ProviderEnvEntry<ProviderName> {
  const explicit = (env.IMAGEGEN_PROVIDER ?? '').trim().toLowerCase();
  const entries: readonly ProviderEnvEntry<ProviderName>[] = PROVIDER_REGISTRY;
  if (explicit !== '') {
    const named = entries.find((entry) => entry.name === explicit);
    if (!named) {
      throw new RangeError(`IMAGEGEN_PROVIDER must be one of ${entries.map((e) => e.name).join(', ')} (got "${explicit}")`);
    }
    return named;
  }
  const found = entries.find((entry) => entry.keyVariables.length === 0 || entry.keyVariables.some(isSet));
  if (!found) throw new RangeError(`No provider key is set (${PROVIDER_ENV_VARS.join(', ')}) and no provider needs none`);
  return found;
}
