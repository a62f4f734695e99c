import { defineProviderEnv } from '../from-env/provider-env.js';

/** `OPENAI_API_KEY`; `OPENAI_IMAGE_MODEL`. */
export const openAiEnv = defineProviderEnv({
  name: 'openai',
  keyVariables: ['OPENAI_API_KEY'],
  defaults: { OPENAI_IMAGE_MODEL: 'gpt-image-1' },
  async create(env) {
    const { createOpenAiProvider } = await import('./index.js');
    return createOpenAiProvider({ apiKeys: env.apiKeys, model: env.optional('OPENAI_IMAGE_MODEL'), logger: env.logger });
  },
});
