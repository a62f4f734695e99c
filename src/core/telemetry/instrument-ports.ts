import type { Dispatcher } from '../ports/dispatcher.js';
import type { ImageStore } from '../ports/image-store.js';
import type { ProviderAdapter } from '../ports/provider-adapter.js';
import type { Telemetry } from '../ports/telemetry.js';
import { instrumentDispatcher } from './instrument-dispatcher.js';
import { instrumentImageStore, instrumentProvider } from './instrument-provider.js';

/** The ports the engine's services run on. */
export interface EnginePorts {
  dispatcher: Dispatcher;
  provider: ProviderAdapter;
  imageStore: ImageStore;
}

/** The ports as the services see them: instrumented with telemetry, the host's own without it. */
export function instrumentPorts(ports: EnginePorts, telemetry: Telemetry | undefined): EnginePorts {
  if (!telemetry) return ports;
  return {
    dispatcher: instrumentDispatcher(ports.dispatcher, telemetry, ports.provider),
    provider: instrumentProvider(ports.provider, telemetry),
    imageStore: instrumentImageStore(ports.imageStore, telemetry),
  };
}
