import type { EngineEventBus, EngineEvents } from './events.js';
import type { EventRelay } from './ports/event-relay.js';

const RELAYED: Array<keyof EngineEvents> = [
  'task:progress',
  'task:completed',
  'task:failed',
  'task:cancelled',
  'batch:completed',
  'credits:changed',
  'generation:progress',
];

/**
 * Joins the engine's bus to a relay: every event emitted here is published; every event of another
 * process is emitted here once. Events re-emitted from the relay are not published again, so two
 * processes never echo an event back and forth, and a process that runs tasks (`both`) sees its own
 * events once, from its own bus.
 */
export function relayEvents(events: EngineEventBus, relay: EventRelay): { connect(): Promise<void>; close(): Promise<void> } {
  let delivering = false;
  let connected = false;
  for (const type of RELAYED) {
    events.on(type, (payload: unknown) => {
      if (!delivering) relay.publish({ type, payload });
    });
  }
  return {
    async connect() {
      if (connected) return;
      connected = true;
      await relay.subscribe(({ type, payload }) => {
        if (!RELAYED.includes(type as keyof EngineEvents)) return;
        delivering = true;
        try {
          (events.emit as (event: string, payload: unknown) => boolean)(type, payload);
        } finally {
          delivering = false;
        }
      });
    },
    async close() {
      connected = false;
      await relay.close();
    },
  };
}
