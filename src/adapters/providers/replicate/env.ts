import { defineProviderEnv } from '../from-env/provider-env.js';

/** `REPLICATE_API_TOKEN`; `REPLICATE_MODEL`. */
export const replicateEnv = defineProviderEnv({
  name: 'replicate',
  keyVariables: ['REPLICATE_API_TOKEN'],
  defaults: { REPLICATE_MODEL: 'black-forest-labs/flux-kontext-pro' },
  async create(env) {
    const { createReplicateProvider } = await import('./index.js');
    return createReplicateProvider({ apiKeys: env.apiKeys, model: env.optional('REPLICATE_MODEL'), logger: env.logger });
  },
});
