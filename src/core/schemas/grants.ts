import { z } from 'zod';

/** `paid`: bought credits; `promo`: promotional credits. Only the label differs; order comes from priority and expiry. */
export const grantKindSchema = z.enum(['paid', 'promo']);
export type GrantKind = z.infer<typeof grantKindSchema>;

/**
 * A grant with credits left, as the balance counts it. `id` is the grant entry's idempotency key;
 * null for the default pool (grants with default terms, and every balance written before grants
 * existed), which counts as the oldest paid, never-expiring grant of priority 0.
 */
export const creditGrantSchema = z.object({
  id: z.string().nullable(),
  kind: grantKindSchema,
  priority: z.number().int(),
  remaining: z.number().int(),
  /** ms since epoch; null: never expires. */
  expiresAt: z.number().nullable(),
});
export type CreditGrant = z.infer<typeof creditGrantSchema>;
