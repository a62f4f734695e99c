import type { ImageGenClient } from '../client/create-client.js';

/** What changed on the server because of a call one hook made, so others showing it read again. */
export type RefreshTopic = 'credits' | 'records';

/** `balance`: the balance the server answered with the charge, shown before the refetch lands. */
export type RefreshListener = (hint: { balance?: number }) => void;

type Bus = Map<RefreshTopic, Set<RefreshListener>>;

// One bus per client, not per provider: hooks given `{ client }` directly hear the same news.
const buses = new WeakMap<ImageGenClient, Bus>();

function busOf(client: ImageGenClient): Bus {
  let bus = buses.get(client);
  if (!bus) {
    bus = new Map();
    buses.set(client, bus);
  }
  return bus;
}

/** Listens for `topic` on `client`; returns the unsubscribe. */
export function onRefresh(client: ImageGenClient, topic: RefreshTopic, listener: RefreshListener): () => void {
  const bus = busOf(client);
  let listeners = bus.get(topic);
  if (!listeners) {
    listeners = new Set();
    bus.set(topic, listeners);
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Tells every hook on `client` showing `topic` to read it again. */
export function announce(client: ImageGenClient, topic: RefreshTopic, hint: { balance?: number } = {}): void {
  for (const listener of [...(busOf(client).get(topic) ?? [])]) listener(hint);
}
