/**
 * The parts of Cloudflare Queues the dispatcher uses, typed structurally so a Worker's bindings
 * (from `@cloudflare/workers-types`) fit without this package depending on them.
 */

/** A queue's producer binding (`env.TASKS`). */
export interface QueueProducerLike<Body> {
  send(body: Body, options?: { contentType?: 'json'; delaySeconds?: number }): Promise<unknown>;
  sendBatch(messages: Iterable<{ body: Body; contentType?: 'json'; delaySeconds?: number }>): Promise<unknown>;
}

/** One delivered message, as the consumer's `queue(batch)` handler gets it. */
export interface QueueMessageLike<Body> {
  readonly id: string;
  readonly body: Body;
  /** Deliveries so far, this one included. */
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** What the consumer's `queue(batch, env, ctx)` handler gets. */
export interface MessageBatchLike<Body> {
  readonly queue: string;
  readonly messages: readonly QueueMessageLike<Body>[];
}
