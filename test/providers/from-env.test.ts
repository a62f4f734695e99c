import { describe, expect, it } from 'vitest';
import {
  PROVIDER_ENV_VARS,
  PROVIDER_REGISTRY,
  providerFromEnv,
  type ProviderEnvEntry,
} from '../../src/adapters/providers/from-env/index.js';
import type { HttpProviderAdapter } from '../../src/adapters/providers/provider-kit/http-provider-adapter.js';

const keyed = PROVIDER_REGISTRY.filter((entry) => entry.keyVariables.length > 0);

/** An env with the entry's key and every optional variable it declares set. */
function fullEnv(entry: ProviderEnvEntry): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of entry.keyVariables) env[variable] = 'key-one, key-two';
  for (const [variable, value] of Object.entries(entry.defaults)) env[variable] = value;
  return env;
}

describe('providerFromEnv over the registry', () => {
  it('registers the providers in the documented order, the keyless offline one last', () => {
    expect(PROVIDER_REGISTRY.map((e) => e.name)).toEqual(['bfl', 'fireworks', 'openai', 'fal', 'replicate', 'offline']);
    expect(PROVIDER_ENV_VARS).toEqual(['BFL_API_KEYS', 'FIREWORKS_API_KEYS', 'OPENAI_API_KEY', 'FAL_KEY', 'REPLICATE_API_TOKEN']);
    expect(PROVIDER_REGISTRY.at(-1)!.keyVariables).toEqual([]);
  });

  it.each(PROVIDER_REGISTRY.map((entry) => [entry.name, entry] as const))(
    'selects %s by IMAGEGEN_PROVIDER, with its key and every variable it declares',
    async (name, entry) => {
      const read = new Set<string>();
      const env = new Proxy(
        { ...fullEnv(entry), IMAGEGEN_PROVIDER: ` ${name.toUpperCase()} ` },
        {
          get(target, variable: string) {
            read.add(variable);
            return target[variable as keyof typeof target];
          },
        },
      );
      const chosen = await providerFromEnv({ env });
      expect(chosen.name).toBe(name);
      expect(chosen.provider.name).toBe(name);
      // The declared optional variables are the ones create reads (declarations cannot drift).
      for (const variable of Object.keys(entry.defaults)) expect(read, variable).toContain(variable);
      if (entry.keyVariables.length > 0) {
        // Both comma-separated keys reached the adapter's key pool.
        expect((chosen.provider as HttpProviderAdapter).keyStats()).toHaveLength(2);
      }
    },
  );

  it.each(keyed.map((entry, index) => [entry.name, index] as const))(
    'selects %s by its key alone when no earlier provider has one',
    async (name, index) => {
      // Its own key and the keys of every provider after it: the earliest set one wins.
      const entry = keyed[index]!;
      const later = keyed.slice(index + 1).flatMap((e) => e.keyVariables);
      const env = Object.fromEntries([...entry.keyVariables, ...later].map((v) => [v, 'k']));
      const chosen = await providerFromEnv({ env: { ...env, IMAGEGEN_PROVIDER: ' ' } });
      expect(chosen.name).toBe(name);
    },
  );

  it('falls back to the offline provider when no key is set', async () => {
    const chosen = await providerFromEnv({ env: { IMAGEGEN_PROVIDER: '', BFL_API_KEYS: ' ' } });
    expect(chosen.name).toBe('offline');
    expect(chosen.provider.name).toBe('offline');
  });

  it('passes an empty optional variable as unset, so the adapter default applies', async () => {
    const chosen = await providerFromEnv({ env: { BFL_API_KEYS: 'k', BFL_REGION: '', BFL_MODEL: '' } });
    expect(chosen.name).toBe('bfl');
  });

  it('names the variable and the registered providers when IMAGEGEN_PROVIDER is unknown', async () => {
    await expect(providerFromEnv({ env: { IMAGEGEN_PROVIDER: 'midjourney', BFL_API_KEYS: 'k' } })).rejects.toThrow(
      new RangeError('IMAGEGEN_PROVIDER must be one of bfl, fireworks, openai, fal, replicate, offline (got "midjourney")'),
    );
  });

  it.each(keyed.map((entry) => [entry.name, entry.keyVariables[0]!] as const))(
    'names the missing key when IMAGEGEN_PROVIDER=%s has no %s',
    async (name, variable) => {
      const others = Object.fromEntries(PROVIDER_ENV_VARS.filter((v) => v !== variable).map((v) => [v, 'k']));
      await expect(providerFromEnv({ env: { ...others, IMAGEGEN_PROVIDER: name, [variable]: ' ' } })).rejects.toThrow(
        new RangeError(`IMAGEGEN_PROVIDER=${name} needs ${variable}`),
      );
    },
  );
});
