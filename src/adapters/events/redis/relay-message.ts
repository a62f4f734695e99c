import type { RelayedEvent } from '../../../core/ports/event-relay.js';

/** Version of a message holding one event; a process ignores messages of a version it does not know. */
export const RELAY_MESSAGE_VERSION = 1;
/** Version of a message holding several events of one process, in the order they were emitted. */
export const RELAY_BATCH_VERSION = 2;

/**
 * One message on the channel. Version 1: one event, `{ v: 1, o: <origin process id>, t: <event
 * type>, p: <payload> }`. Version 2: the events one process emitted in one turn of its event loop,
 * `{ v: 2, o: <origin>, e: [[type, payload], …] }`. The origin lets a process skip its own messages
 * (it has emitted those events locally already).
 */
export type RelayMessage = { v: 1; o: string; t: string; p: unknown } | { v: 2; o: string; e: Array<[string, unknown]> };

/**
 * The text of one message for `events`: version 1 for a lone event (as every process reads it),
 * version 2 for several. An event whose payload JSON cannot hold (a cycle, a BigInt) is left out
 * and handed to `unencodable`; null when none is left.
 */
export function encodeRelayMessage(
  origin: string,
  events: RelayedEvent[],
  unencodable: (event: RelayedEvent, error: unknown) => void,
): string | null {
  if (events.length === 1) {
    const [event] = events as [RelayedEvent];
    try {
      return JSON.stringify({ v: RELAY_MESSAGE_VERSION, o: origin, t: event.type, p: event.payload });
    } catch (error) {
      unencodable(event, error);
      return null;
    }
  }
  const entries: string[] = [];
  for (const event of events) {
    try {
      entries.push(JSON.stringify([event.type, event.payload]));
    } catch (error) {
      unencodable(event, error);
    }
  }
  if (entries.length === 0) return null;
  return `{"v":${RELAY_BATCH_VERSION},"o":${JSON.stringify(origin)},"e":[${entries.join(',')}]}`;
}

/**
 * The events of a message from another process, in order; `[]` for one of this process (`origin`),
 * one that is not JSON, or one of an unknown version (then `unknownVersion` is called with it).
 */
export function decodeRelayMessage(text: string, origin: string, unknownVersion: (version: unknown) => void): RelayedEvent[] {
  let message: RelayMessage;
  try {
    message = JSON.parse(text) as RelayMessage;
  } catch {
    return [];
  }
  if (message === null || typeof message !== 'object' || message.o === origin) return [];
  if (message.v === RELAY_MESSAGE_VERSION) return [{ type: message.t, payload: message.p }];
  if (message.v === RELAY_BATCH_VERSION && Array.isArray(message.e)) {
    return message.e.filter((entry) => Array.isArray(entry)).map(([type, payload]) => ({ type, payload }));
  }
  unknownVersion((message as { v?: unknown }).v);
  return [];
}
