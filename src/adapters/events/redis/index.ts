import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { EventRelay, RelayedEvent } from '../../../core/ports/event-relay.js';
import type { Logger } from '../../../core/options.js';

/** Version of the message format; a process ignores messages of a version it does not know. */
export const RELAY_MESSAGE_VERSION = 1;

/**
 * One message on the channel: `{ v: 1, o: <origin process id>, t: <event type>, p: <payload> }`.
 * The origin lets a process skip its own messages (it has emitted those events locally already).
 */
export interface RelayMessage {
  v: number;
  o: string;
  t: string;
  p: unknown;
}

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

  const openPublisher = (): Redis => {
    publisher ??= options.connection instanceof Redis ? options.connection : new Redis(options.connection);
    return publisher;
  };

  return {
    origin,
    async subscribe(deliver) {
      if (subscriber) return;
      const base = openPublisher();
      const sub = base.duplicate();
      subscriber = sub;
      sub.on('message', (_channel: string, text: string) => {
        let message: RelayMessage;
        try {
          message = JSON.parse(text) as RelayMessage;
        } catch {
          return;
        }
        if (message.o === origin) return;
        if (message.v !== RELAY_MESSAGE_VERSION) {
          if (!warnedVersion) logger.warn(`event relay: ignoring messages of format version ${String(message.v)}`);
          warnedVersion = true;
          return;
        }
        deliver({ type: message.t, payload: message.p });
      });
      await sub.subscribe(channel);
    },
    publish(event: RelayedEvent) {
      const message: RelayMessage = { v: RELAY_MESSAGE_VERSION, o: origin, t: event.type, p: event.payload };
      openPublisher()
        .publish(channel, JSON.stringify(message))
        .catch((error: unknown) => logger.warn('event relay: publish failed', { error: String(error) }));
    },
    async close() {
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
