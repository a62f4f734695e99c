/**
 * A small reference model of the credit ledger: a default pool plus tracked grants (kind, priority,
 * expiry), charges drawn in draw order, refunds given back to what their charge drew (last draw
 * first; credits given back to an expired grant expire at once), expiry settled at every `now`,
 * and every key applied once. The property test compares each storage with it, step by step.
 */
export interface ModelGrant {
  kind: 'paid' | 'promo';
  priority: number;
  expiresAt: number | null;
  remaining: number;
  seq: number;
}

interface ModelDraw {
  /** null: the default pool. */
  grant: string | null;
  amount: number;
  terms: Omit<ModelGrant, 'remaining'>;
}

export class LedgerModel {
  pool = 0;
  readonly grants = new Map<string, ModelGrant>();
  readonly #draws = new Map<string, ModelDraw[]>();
  readonly #charges = new Map<string, number>();
  readonly #applied = new Set<string>();
  #seq = 0;

  balance(now: number): number {
    this.expire(now);
    let sum = this.pool;
    for (const g of this.grants.values()) sum += g.remaining;
    return sum;
  }

  /** Grants whose expiry is due leave the balance. */
  expire(now: number): void {
    for (const [key, g] of this.grants) if (g.expiresAt !== null && g.expiresAt <= now) this.grants.delete(key);
  }

  grant(key: string, amount: number, terms: { kind: 'paid' | 'promo'; priority: number; expiresAt: number | null }, now: number): void {
    this.expire(now);
    if (this.#applied.has(key)) return;
    this.#applied.add(key);
    const seq = ++this.#seq;
    if (terms.kind === 'paid' && terms.priority === 0 && terms.expiresAt === null) this.pool += amount;
    else if (terms.expiresAt === null || terms.expiresAt > now) this.grants.set(key, { ...terms, remaining: amount, seq });
  }

  /** 'insufficient' when the live balance is too small (nothing changes). */
  charge(key: string, amount: number, now: number): 'ok' | 'insufficient' {
    if (this.#applied.has(key)) return 'ok';
    if (this.balance(now) < amount) return 'insufficient';
    this.#applied.add(key);
    this.#seq++;
    const live: Array<{ key: string | null; g: ModelGrant }> = [
      { key: null, g: { kind: 'paid', priority: 0, expiresAt: null, remaining: this.pool, seq: 0 } },
      ...[...this.grants].map(([k, g]) => ({ key: k, g })),
    ];
    live.sort(
      (a, b) =>
        b.g.priority - a.g.priority ||
        (a.g.expiresAt ?? Number.POSITIVE_INFINITY) - (b.g.expiresAt ?? Number.POSITIVE_INFINITY) ||
        a.g.seq - b.g.seq,
    );
    const draws: ModelDraw[] = [];
    let left = amount;
    for (const { key: grantKey, g } of live) {
      const take = Math.min(left, g.remaining);
      if (take === 0) continue;
      left -= take;
      const { remaining: _, ...terms } = g;
      draws.push({ grant: grantKey, amount: take, terms });
      if (grantKey === null) this.pool -= take;
      else if (g.remaining === take) this.grants.delete(grantKey);
      else g.remaining -= take;
      if (left === 0) break;
    }
    this.#draws.set(key, draws);
    this.#charges.set(key, amount);
    return 'ok';
  }

  /** Gives a charge back in full, once (the refund's key derives from the charge's). */
  refund(chargeKey: string, now: number): void {
    this.expire(now);
    const key = `refund:${chargeKey}`;
    if (this.#applied.has(key) || !this.#charges.has(chargeKey)) return;
    this.#applied.add(key);
    this.#seq++;
    const draws = this.#draws.get(chargeKey)!;
    for (let i = draws.length - 1; i >= 0; i--) {
      const d = draws[i]!;
      if (d.grant === null) {
        this.pool += d.amount;
        continue;
      }
      const live = this.grants.get(d.grant);
      if (live) live.remaining += d.amount;
      else if (d.terms.expiresAt === null || d.terms.expiresAt > now) this.grants.set(d.grant, { ...d.terms, remaining: d.amount });
    }
  }

  chargeAmount(chargeKey: string): number | undefined {
    return this.#charges.get(chargeKey);
  }
}
