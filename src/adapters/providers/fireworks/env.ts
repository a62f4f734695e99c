import { defineProviderEnv } from '../from-env/provider-env.js';

/** `FIREWORKS_API_KEYS` (comma-separated: each key adds concurrency); `FIREWORKS_MODEL`. */
export const fireworksEnv = defineProviderEnv({
  name: 'fireworks',
  keyVariables: ['FIREWORKS_API_KEYS'],
  defaults: { FIREWORKS_MODEL: 'flux-kontext-pro' },
  async create(env) {
    const { createFireworksProvider } = await import('./index.js');
    return createFireworksProvider({ apiKeys: env.apiKeys, model: env.optional('FIREWORKS_MODEL'), logger: env.logger });
  },
});
