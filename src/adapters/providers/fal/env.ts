import { defineProviderEnv } from '../from-env/provider-env.js';

/** `FAL_KEY`; `FAL_MODEL`. */
export const falEnv = defineProviderEnv({
  name: 'fal',
  keyVariables: ['FAL_KEY'],
  defaults: { FAL_MODEL: 'fal-ai/flux-pro/kontext/text-to-image' },
  async create(env) {
    const { createFalProvider } = await import('./index.js');
    return createFalProvider({ apiKeys: env.apiKeys, model: env.optional('FAL_MODEL'), logger: env.logger });
  },
});
