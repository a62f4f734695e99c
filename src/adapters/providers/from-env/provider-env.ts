import type { Logger } from '../../../core/options.js';
import type { ProviderAdapter } from '../../../core/ports/provider-adapter.js';

/** What a provider's `create` may read: its key and the optional variables it declared. */
export interface ProviderEnvReader {
  /** The value of the first set key variable (as written, not trimmed). */
  readonly apiKeys: string;
  /** A declared optional variable, or `undefined` when it is unset or empty (the adapter's default applies). */
  optional(variable: string): string | undefined;
  readonly logger: Logger | undefined;
}

/**
 * How one provider is configured from the environment; each provider folder declares its own in
 * `env.ts`, and `providerFromEnv` walks the list in `registry.ts`. `create` loads the adapter module
 * on demand (a dynamic `import`), so providers that are not chosen cost nothing.
 */
export interface ProviderEnvEntry<Name extends string = string> {
  /** The value of `IMAGEGEN_PROVIDER` that selects this provider. */
  readonly name: Name;
  /**
   * Variables holding the API key(s), tried in order. When `IMAGEGEN_PROVIDER` is unset, the first
   * provider in the registry with one of them set is chosen. Empty: the provider needs no key and is
   * chosen when no provider before it has one.
   */
  readonly keyVariables: readonly string[];
  /** Optional variables `create` reads, each with what applies when it is unset (for docs and errors). */
  readonly defaults: Readonly<Record<string, string>>;
  create(env: ProviderEnvReader): Promise<ProviderAdapter>;
}

/** Declares a provider's entry, keeping its name a literal type (so `ProviderName` is a union). */
export function defineProviderEnv<const Name extends string>(entry: ProviderEnvEntry<Name>): ProviderEnvEntry<Name> {
  return entry;
}
