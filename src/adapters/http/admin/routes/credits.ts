import { grantViewOf } from '../../../../core/schemas/grants.js';
import { creditsResponseSchema, type CreditsResponse } from '../../../../core/schemas/responses.js';
import type { LedgerWriteResult } from '../../../../core/ports/storage-adapter.js';
import { json } from '../../json.js';
import { adminBody, adminQuery, adminReason } from '../body.js';
import type { AdminContext, AdminRoute } from '../context.js';
import {
  adminAdjustRequestSchema,
  adminCreditResponseSchema,
  adminCreditsQuerySchema,
  adminGrantRequestSchema,
  type AdminCreditResponse,
} from '../schemas.js';

/** Admin keys live apart from the user's own (`welcome-grant`, a purchase's event id): `admin:{key}`. */
const ledgerKeyOf = (key: string | undefined) => `admin:${key ?? crypto.randomUUID()}`;

function answer(ctx: AdminContext, action: string, username: string, amount: number, reason: string, result: LedgerWriteResult) {
  ctx.settings.audit({
    admin: ctx.admin,
    action,
    details: { username, amount, reason, idempotencyKey: result.entry.idempotencyKey, replayed: result.replayed, balance: result.balance },
  });
  const body: AdminCreditResponse = { entry: result.entry, balance: result.balance, replayed: result.replayed };
  return json(body);
}

export const creditRoutes: AdminRoute[] = [
  {
    method: 'GET',
    path: '/credits',
    doc: {
      summary: "A user's balance and journal, newest first",
      query: adminCreditsQuerySchema,
      responses: { 200: { description: 'The balance and one page of the journal', json: creditsResponseSchema } },
      errors: [400],
    },
    handle: async (ctx) => {
      const query = adminQuery(ctx, adminCreditsQuerySchema);
      const { credits } = ctx.settings.engine;
      // The journal first: reading it settles due expiries, so the balance and grants agree with it.
      const page = await credits.history(query.username, query);
      const [balance, grants] = await Promise.all([credits.balance(query.username), credits.grants(query.username)]);
      const body: CreditsResponse = { balance, grants: grants.map(grantViewOf), entries: page.items, next_cursor: page.nextCursor };
      return json(body);
    },
  },
  {
    method: 'POST',
    path: '/credits/grant',
    doc: {
      summary: 'Grant credits to a user, with a reason',
      description: 'The journal entry is a `grant` whose `reason` is `admin:{admin}: {reason}` and whose key is `admin:{idempotency_key}`.',
      body: { json: adminGrantRequestSchema },
      responses: { 200: { description: 'The entry and the balance after it', json: adminCreditResponseSchema } },
      errors: [400, 409, 413],
    },
    handle: async (ctx) => {
      const body = await adminBody(ctx, adminGrantRequestSchema);
      const result = await ctx.settings.engine.credits.grant(body.username, body.amount, {
        idempotencyKey: ledgerKeyOf(body.idempotency_key),
        reason: adminReason(ctx.admin, body.reason),
      });
      return answer(ctx, 'credits.grant', body.username, body.amount, body.reason, result);
    },
  },
  {
    method: 'POST',
    path: '/credits/adjust',
    doc: {
      summary: "Adjust a user's balance by a signed amount, with a reason",
      description:
        'A positive amount is a `grant`, a negative one a `charge` (402 when the balance is short: the balance never goes below 0). The `reason` is `admin:{admin}: {reason}`.',
      body: { json: adminAdjustRequestSchema },
      responses: { 200: { description: 'The entry and the balance after it', json: adminCreditResponseSchema } },
      errors: [400, 402, 409, 413],
    },
    handle: async (ctx) => {
      const body = await adminBody(ctx, adminAdjustRequestSchema);
      const { credits } = ctx.settings.engine;
      const options = { idempotencyKey: ledgerKeyOf(body.idempotency_key), reason: adminReason(ctx.admin, body.reason) };
      const result =
        body.amount > 0
          ? await credits.grant(body.username, body.amount, options)
          : await credits.charge(body.username, -body.amount, options);
      return answer(ctx, 'credits.adjust', body.username, body.amount, body.reason, result);
    },
  },
];
