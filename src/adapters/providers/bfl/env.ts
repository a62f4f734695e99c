import { defineProviderEnv } from '../from-env/provider-env.js';

/** `BFL_API_KEYS` (comma-separated: each key adds concurrency); `BFL_MODEL`, `BFL_REGION`. */
export const bflEnv = defineProviderEnv({
  name: 'bfl',
  keyVariables: ['BFL_API_KEYS'],
  defaults: { BFL_MODEL: 'flux-kontext-pro', BFL_REGION: 'global' },
  async create(env) {
    const { createBflProvider } = await import('./index.js');
    return createBflProvider({
      apiKeys: env.apiKeys,
      model: env.optional('BFL_MODEL'),
      region: env.optional('BFL_REGION'),
      logger: env.logger,
    });
  },
});
