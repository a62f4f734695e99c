/** One engine event as it travels between processes. */
export interface RelayedEvent {
  type: string;
  payload: unknown;
}

/**
 * Carries engine events between the processes of one deployment (e.g. Redis pub/sub), so an API
 * process sees the progress of tasks its workers run elsewhere. The engine publishes the events it
 * emits and re-emits, once, the events other processes publish; a process never receives its own.
 */
export interface EventRelay {
  /** Starts delivering events of other processes to `deliver`. */
  subscribe(deliver: (event: RelayedEvent) => void): Promise<void>;
  /** Sends an event of this process to the others (fire and forget; failures are logged, not thrown). */
  publish(event: RelayedEvent): void;
  /** Stops both directions and releases connections. */
  close(): Promise<void>;
}
