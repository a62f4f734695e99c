import { z } from 'zod';
import { json } from '../../json.js';
import type { AdminRoute } from '../context.js';

const keySchema = z.object({
  label: z.string().describe('`<provider>#<n>`: the key itself is never shown'),
  in_flight: z.number().int(),
  successes: z.number().int().nullable(),
  failures: z.number().int().nullable(),
  cool_downs: z.number().int().nullable(),
  cooling_until: z.number().nullable().describe('Epoch ms until which the key rests after a 429'),
  disabled_reason: z.string().nullable().describe('Why the key left rotation (401/403)'),
});

export const overviewResponseSchema = z.object({
  tasks: z
    .object({ waiting: z.number().int(), running: z.number().int() })
    .nullable()
    .describe("The dispatcher's counts (the whole queue for BullMQ); null when it does not count"),
  provider: z.string().nullable(),
  keys: z.array(keySchema).nullable().describe("The provider's key pool; null when it has none"),
});
export type OverviewResponse = z.infer<typeof overviewResponseSchema>;

/** `GET /overview`: what the operator page shows first. */
export const overviewRoute: AdminRoute = {
  method: 'GET',
  path: '/overview',
  doc: {
    summary: 'Tasks waiting and running, and the provider key pool',
    responses: { 200: { description: 'The figures now', json: overviewResponseSchema } },
    errors: [],
  },
  handle: async (ctx) => {
    const { engine, provider } = ctx.settings;
    const tasks = (await engine.dispatcher.counts?.()) ?? null;
    const keys = provider?.keyStats?.() ?? null;
    const body: OverviewResponse = {
      tasks,
      provider: provider?.name ?? null,
      keys:
        keys?.map((k) => ({
          label: k.label,
          in_flight: k.inFlight,
          successes: k.successes ?? null,
          failures: k.failures ?? null,
          cool_downs: k.coolDowns ?? null,
          cooling_until: k.coolingUntil,
          disabled_reason: k.disabledReason,
        })) ?? null,
    };
    return json(body);
  },
};
