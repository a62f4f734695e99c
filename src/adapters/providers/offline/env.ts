import { defineProviderEnv } from '../from-env/provider-env.js';

/** No key and no variables: real images made locally; the registry's last entry, so the fallback. */
export const offlineEnv = defineProviderEnv({
  name: 'offline',
  keyVariables: [],
  defaults: {},
  async create() {
    const { createOfflineProvider } = await import('./index.js');
    return createOfflineProvider();
  },
});
