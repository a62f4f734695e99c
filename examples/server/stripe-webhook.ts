import Stripe from 'stripe';
import type { Engine } from '../../src/core/engine.js';
import { isImageGenError } from '../../src/index.js';
import { readLimited } from '../../src/adapters/http/read-body.js';

/** Stripe's events are a few KiB; anything much larger is not one. */
const MAX_EVENT_BYTES = 256 * 1024;

const reply = (status: number, body: Record<string, unknown>) => Response.json(body, { status, headers: { 'Cache-Control': 'no-store' } });

/**
 * `POST /webhooks/stripe`: a paid Checkout Session grants the credits it sold. The signature is
 * checked on the raw body (read under a cap) with `stripe.webhooks.constructEvent` (a wrong
 * signature, or a timestamp older than `toleranceSeconds`, is a 400 and grants nothing). The
 * session names the user in `metadata.username`, else in `client_reference_id`, and the credits in
 * `metadata.credits`. The grant's idempotency key is `stripe:{event id}`: Stripe's retries of one
 * event grant once. A session paid later (bank debits) is granted on
 * `checkout.session.async_payment_succeeded`; `completed` while unpaid grants nothing.
 */
export function createStripeWebhook(options: {
  engine: Pick<Engine, 'credits'>;
  secret: string;
  /** @default 300 (Stripe's own) */
  toleranceSeconds?: number;
  onError?: (error: unknown) => void;
}): (request: Request) => Promise<Response> {
  return async (request) => {
    let event: Stripe.Event;
    try {
      const raw = await readLimited(request, MAX_EVENT_BYTES);
      const signature = request.headers.get('stripe-signature') ?? '';
      event = Stripe.webhooks.constructEvent(Buffer.from(raw), signature, options.secret, options.toleranceSeconds ?? 300);
    } catch (error) {
      if (isImageGenError(error)) return reply(error.status, error.toJSON());
      return reply(400, { error: `Webhook signature: ${(error as Error).message}`, code: 'validation', field: 'stripe-signature' });
    }
    if (event.type !== 'checkout.session.completed' && event.type !== 'checkout.session.async_payment_succeeded') {
      return reply(200, { received: true, outcome: 'ignored' });
    }
    const session = event.data.object;
    if (session.payment_status === 'unpaid') return reply(200, { received: true, outcome: 'ignored', reason: 'not paid yet' });
    const username = session.metadata?.username ?? session.client_reference_id ?? '';
    const credits = Number(session.metadata?.credits);
    if (!username || !Number.isSafeInteger(credits) || credits <= 0) {
      // A 2xx: Stripe would resend a session that lacks these forever. The operator sees it in the log.
      options.onError?.(new Error(`Stripe session ${session.id} names no user or no credits (metadata.username, metadata.credits)`));
      return reply(200, { received: true, outcome: 'ignored', reason: 'no username or credits in the session' });
    }
    try {
      const result = await options.engine.credits.grant(username, credits, {
        idempotencyKey: `stripe:${event.id}`,
        reference: session.id,
        reason: `purchase of ${credits} credits (Stripe)`,
      });
      return reply(200, { received: true, outcome: result.replayed ? 'duplicate' : 'granted' });
    } catch (error) {
      if (isImageGenError(error) && error.status < 500) return reply(error.status, error.toJSON());
      options.onError?.(error);
      // A 500: Stripe retries later, and the event id keeps the retry from granting twice.
      return reply(500, { error: 'Could not record the purchase; Stripe will retry', code: 'internal' });
    }
  };
}
