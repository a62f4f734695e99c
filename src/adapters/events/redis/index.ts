import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { EventRelay, RelayedEvent } from '../../../core/ports/event-relay.js';
import type { Logger } from '../../../core/options.js';
import { decodeRelayMessage, encodeRelayMessage } from './relay-message.js';

export { RELAY_BATCH_VERSION, RELAY_MESSAGE_VERSION, type RelayMessage, decodeRelayMessage, encodeRelayMessage } from './relay-message.js';

/** Most events in one message (a busy worker emits hundreds per turn of its event loop). */
const MAX_EVENTS_PER_MESSAGE = 500;

export interface RedisEventRelayOptions {
  /** An ioredis client to publish with (a subscriber is duplicated from it), or options for new ones. */
  connection: Redis | RedisOptions;
  /** The pub/sub channel every process of one deployment shares. @default 'igk:events' */
  channel?: string;
  /** @default console */
  logger?: Logger;
}

/**
 * Engine events across processes over Redis pub/sub: progress from a worker on any machine
 * reaches every API process, whose SSE streams and `waitForBatch` listen to their local bus.
 * Pub/sub is at-most-once: a message published while a subscriber is reconnecting is lost, which
 * is why `waitForBatch` also re-reads storage and SSE clients may poll `status`.
 *
 * The events a process emits in one turn of its event loop go out as one message (in order), sent
 * once that turn's I/O callbacks have run (`setImmediate`): a worker running many tasks pays one
 * PUBLISH, and each listener one parse, per turn instead of per event.
 *
 * @example
 * const engine = createEngine({ ..., eventRelay: createRedisEventRelay({ connection: { host: '127.0.0.1' }, channel: 'myapp:events' }) });
 */
export function createRedisEventRelay(options: RedisEventRelayOptions): EventRelay & { readonly origin: string } {
  const channel = options.channel ?? 'igk:events';
  const logger = options.logger ?? { warn: console.warn, error: console.error };
  const origin = randomUUID();
  const owned = !(options.connection instanceof Redis);
  let publisher: Redis | null = null;
  let subscriber: Redis | null = null;
  let warnedVersion = false;
  let queued: RelayedEvent[] = [];
  let flushTimer: ReturnType<typeof setImmediate> | null = null;

  const openPublisher = (): Redis => {
    publisher ??= options.connection instanceof Redis ? options.connection : new Redis(options.connection);
    return publisher;
  };

  const unknownVersion = (version: unknown): void => {
    if (!warnedVersion) logger.warn(`event relay: ignoring messages of format version ${String(version)}`);
    warnedVersion = true;
  };

  const unencodable = (event: RelayedEvent, error: unknown): void =>
    logger.warn('event relay: an event could not be encoded', { type: event.type, error: String(error) });

  const flush = (): void => {
    if (flushTimer) clearImmediate(flushTimer);
    flushTimer = null;
    const events = queued;
    queued = [];
    for (let i = 0; i < events.length; i += MAX_EVENTS_PER_MESSAGE) {
      const text = encodeRelayMessage(origin, events.slice(i, i + MAX_EVENTS_PER_MESSAGE), unencodable);
      if (text === null) continue;
      openPublisher()
        .publish(channel, text)
        .catch((error: unknown) => logger.warn('event relay: publish failed', { error: String(error) }));
    }
  };

  return {
    origin,
    async subscribe(deliver) {
      if (subscriber) return;
      const base = openPublisher();
      const sub = base.duplicate();
      subscriber = sub;
      sub.on('message', (_channel: string, text: string) => {
        // One listener's throw must not cost the other events of the message; it still surfaces.
        let failure: { error: unknown } | null = null;
        for (const event of decodeRelayMessage(text, origin, unknownVersion)) {
          try {
            deliver(event);
          } catch (error) {
            failure ??= { error };
          }
        }
        if (failure) throw failure.error;
      });
      await sub.subscribe(channel);
    },
    publish(event: RelayedEvent) {
      queued.push(event);
      flushTimer ??= setImmediate(flush);
    },
    async close() {
      // What was emitted before close still goes out (fire and forget, as ever).
      if (queued.length > 0) flush();
      const sub = subscriber;
      subscriber = null;
      if (sub) sub.disconnect();
      if (publisher && owned) {
        const pub = publisher;
        publisher = null;
        await pub.quit().catch(() => pub.disconnect());
      }
    },
  };
}
