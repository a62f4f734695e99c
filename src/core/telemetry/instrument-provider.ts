import type { ImageStore } from '../ports/image-store.js';
import type { ProviderAdapter } from '../ports/provider-adapter.js';
import type { Telemetry } from '../ports/telemetry.js';
import { ATTR } from './attributes.js';

type Operation = 'submit' | 'poll' | 'download' | 'cancel';

/**
 * The provider with one `imagegen.provider.{operation}` client span per call (submit, poll,
 * download, cancel; each is one HTTP exchange, retries included) and its latency by provider, model,
 * operation and outcome. Everything else of the adapter passes through unchanged.
 */
export function instrumentProvider(provider: ProviderAdapter, telemetry: Telemetry): ProviderAdapter {
  const model = provider.model ?? provider.name;
  const call = <T>(operation: Operation, run: () => Promise<T>, keyOf?: (value: T) => string | undefined): Promise<T> => {
    const started = performance.now();
    const attributes = { [ATTR.provider]: provider.name, [ATTR.model]: model, [ATTR.operation]: operation };
    return telemetry.span(`imagegen.provider.${operation}`, { kind: 'client', attributes }, async (span) => {
      let outcome: 'ok' | 'error' = 'error';
      try {
        const value = await run();
        outcome = 'ok';
        const label = keyOf?.(value);
        if (label) span.setAttributes({ [ATTR.keyLabel]: label });
        return value;
      } finally {
        span.setAttributes({ [ATTR.outcome]: outcome });
        telemetry.providerCall((performance.now() - started) / 1000, { ...attributes, [ATTR.outcome]: outcome });
      }
    });
  };
  const keyOfId = (requestId: string) => provider.keyLabelOf?.(requestId);
  const wrapped: Partial<ProviderAdapter> = {
    submit: (input, ctx) =>
      call(
        'submit',
        () => provider.submit(input, ctx),
        (result) => keyOfId(result.requestId),
      ),
    poll: (requestId, ctx) => call('poll', () => provider.poll(requestId, ctx)),
  };
  if (provider.download) wrapped.download = (url, ctx) => call('download', () => provider.download!(url, ctx));
  if (provider.cancel) wrapped.cancel = (requestId) => call('cancel', () => provider.cancel!(requestId));
  return passThrough(provider, wrapped);
}

/** The image store with an `imagegen.image.store` span around each write. */
export function instrumentImageStore(store: ImageStore, telemetry: Telemetry): ImageStore {
  return passThrough(store, {
    put: (bytes, options) =>
      telemetry.span('imagegen.image.store', { kind: 'client', attributes: { 'imagegen.image.bytes': bytes.byteLength } }, () =>
        store.put(bytes, options),
      ),
  });
}

/** `target` with some members replaced; the rest read from it (bound, for class-based adapters). */
function passThrough<T extends object>(target: T, replaced: Partial<T>): T {
  return new Proxy(target, {
    get(object, name) {
      if (Object.hasOwn(replaced, name)) return replaced[name as keyof T];
      const value = Reflect.get(object, name, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}
