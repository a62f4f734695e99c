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

/** A live grant as `GET /api/credits` shows it. */
export const creditGrantViewSchema = z.object({
  /** The grant's idempotency key; null for the default pool. */
  id: z.string().nullable(),
  kind: grantKindSchema,
  priority: z.number().int(),
  remaining: z.number().int(),
  /** ms since epoch; null: never expires. */
  expires_at: z.number().nullable(),
});
export type CreditGrantView = z.infer<typeof creditGrantViewSchema>;

export const grantViewOf = (g: CreditGrant): CreditGrantView => ({
  id: g.id,
  kind: g.kind,
  priority: g.priority,
  remaining: g.remaining,
  expires_at: g.expiresAt,
});
