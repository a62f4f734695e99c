import { bflEnv } from '../bfl/env.js';
import { falEnv } from '../fal/env.js';
import { fireworksEnv } from '../fireworks/env.js';
import { offlineEnv } from '../offline/env.js';
import { openAiEnv } from '../openai/env.js';
import { replicateEnv } from '../replicate/env.js';

/**
 * The providers `providerFromEnv` can pick, in the order their keys are tried. Adding a provider:
 * its own `env.ts`, one line here. Keep the offline provider last: it needs no key, so it is the
 * fallback.
 */
export const PROVIDER_REGISTRY = [bflEnv, fireworksEnv, openAiEnv, falEnv, replicateEnv, offlineEnv] as const;

/** A provider `IMAGEGEN_PROVIDER` can name. */
export type ProviderName = (typeof PROVIDER_REGISTRY)[number]['name'];
