import type { ExecutionContext, ScheduledController } from '@cloudflare/workers-types';
import { createRequestHandler, type RequestHandler } from '../../src/adapters/http/index.js';
import { verifyRequest } from './auth.js';
import { engineFor } from './engine.js';
import type { Env, TaskBatch } from './env.js';

let handler: RequestHandler | null = null;
/** Users granted their welcome credits by this isolate (the grant itself is idempotent in D1). */
const welcomed = new Set<string>();

function handlerFor(env: Env): RequestHandler {
  handler ??= createRequestHandler({
    engine: engineFor(env, 'api'),
    imageUrlSecret: env.IMAGE_URL_SECRET,
    async authenticate(request) {
      const username = await verifyRequest(env.TOKEN_SECRET, request);
      if (!username) return null;
      const welcome = Number(env.WELCOME_CREDITS ?? 0);
      if (welcome > 0 && !welcomed.has(username)) {
        await engineFor(env, 'api').credits.grant(username, welcome, { idempotencyKey: 'welcome-grant', reason: 'starting credits' });
        welcomed.add(username);
      }
      return { username };
    },
  });
  return handler;
}

/**
 * imagegen-kit on Cloudflare Workers: the HTTP API (`/api/...`) over D1 and R2, batch tasks
 * through a Queue this same Worker consumes, and a cron that re-queues tasks left open.
 */
export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return handlerFor(env)(request);
  },

  /** Runs delivered tasks: claim (compare-and-set in D1), generate, store the image in R2, complete. */
  async queue(batch: TaskBatch, env: Env): Promise<void> {
    const engine = engineFor(env, 'worker');
    await engine.dispatcher.consume(batch, engine.batches.runJob);
  },

  /**
   * Recovery, on the cron of wrangler.toml: queues every open task again (a task held under a
   * live lease is looked at again when it ends; one whose worker died is taken over) and settles
   * single generations whose invocation died between charge and record.
   */
  scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): void {
    const engine = engineFor(env, 'worker');
    ctx.waitUntil(
      (async () => {
        const [queued] = await Promise.all([engine.batches.recover({ takeOverProcessing: false }), engine.recoverGenerations()]);
        console.log(`imagegen-kit recovery: ${queued} open tasks queued again`);
      })(),
    );
  },
};
