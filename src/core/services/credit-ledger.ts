import { NotFoundError } from '../errors/not-found-error.js';
import { ValidationError } from '../errors/validation-error.js';
import type { EngineEventBus } from '../events.js';
import { assertUsername } from '../ids.js';
import type { LedgerWriteResult, Page, PageRequest, StorageAdapter } from '../ports/storage-adapter.js';
import type { GrantTerms } from '../policy/grants.js';
import { type CreditGrant, grantKindSchema } from '../schemas/grants.js';
import type { LedgerEntry } from '../schemas/records.js';

export interface LedgerCallOptions {
  /** Applying the same key twice applies the entry once. Keys starting with `expire:` are the ledger's own. */
  idempotencyKey: string;
  reference?: string | null;
  reason?: string | null;
}

/**
 * A grant's options: its key and its terms. With every term at its default the credits join the
 * user's default pool (paid, priority 0, never expire), which counts as the oldest grant.
 */
export interface GrantOptions extends LedgerCallOptions, GrantTerms {}

/**
 * The credit journal: grants, charges and refunds, each applied once per idempotency key, with a
 * balance that never goes below zero. Storage does each write atomically; this class checks the
 * inputs and emits `credits:changed`.
 */
export class CreditLedger {
  constructor(
    private readonly storage: StorageAdapter,
    private readonly events: EngineEventBus,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Adds credits (a purchase, a starting grant, monthly or promotional credits). A charge draws
   * from the live grants: higher `priority` first, then the soonest `expiresAt`, then the oldest.
   * What is left of a grant at `expiresAt` leaves the balance with an `expire` entry.
   */
  async grant(username: string, amount: number, options: GrantOptions): Promise<LedgerWriteResult> {
    assertAmount(amount);
    const { kind = 'paid', priority = 0, expiresAt = null } = options;
    if (!grantKindSchema.safeParse(kind).success) throw new ValidationError('kind', "must be 'paid' or 'promo'");
    if (!Number.isSafeInteger(priority)) throw new ValidationError('priority', 'must be a whole number');
    if (expiresAt !== null && (!Number.isSafeInteger(expiresAt) || expiresAt <= this.now())) {
      throw new ValidationError('expiresAt', 'must be a time in the future (ms since epoch)');
    }
    return this.write(username, 'grant', amount, options, { kind, priority, expiresAt });
  }

  /** Takes credits, or throws `InsufficientCreditsError` and takes nothing. */
  async charge(username: string, amount: number, options: LedgerCallOptions): Promise<LedgerWriteResult> {
    assertAmount(amount);
    return this.write(username, 'charge', -amount, options);
  }

  /**
   * Gives back a charge, at most once whatever happens: the refund's key derives from the charge's,
   * so a second refund (a duplicate failure report, a retried process) replays the first.
   */
  async refund(username: string, chargeKey: string, reason: string): Promise<LedgerWriteResult> {
    const charge = await this.storage.getLedgerEntry(username, chargeKey);
    if (charge?.kind !== 'charge') throw new NotFoundError('Charge', chargeKey);
    return this.write(username, 'refund', -charge.amount, {
      idempotencyKey: refundKeyOf(chargeKey),
      reference: chargeKey,
      reason,
    });
  }

  /** The live balance: expired grants never count. */
  async balance(username: string): Promise<number> {
    assertUsername(username);
    return this.storage.getBalance(username, this.now());
  }

  /** The grants with credits left, in the order charges draw from them (the default pool has id null). */
  async grants(username: string): Promise<CreditGrant[]> {
    assertUsername(username);
    return this.storage.listGrants(username, this.now());
  }

  /** Journal entries, newest first. */
  async history(username: string, page: PageRequest = {}): Promise<Page<LedgerEntry>> {
    assertUsername(username);
    return this.storage.listLedger(username, page, this.now());
  }

  /** Emits `credits:changed` for a write done elsewhere (batch creation, retry). */
  announce(result: LedgerWriteResult): void {
    if (result.replayed) return;
    const { entry } = result;
    this.events.emit('credits:changed', {
      username: entry.username,
      balance: result.balance,
      delta: entry.amount,
      kind: entry.kind,
      idempotencyKey: entry.idempotencyKey,
    });
  }

  private async write(
    username: string,
    kind: LedgerEntry['kind'],
    amount: number,
    options: LedgerCallOptions,
    grant?: GrantTerms,
  ): Promise<LedgerWriteResult> {
    assertUsername(username);
    assertKey(options.idempotencyKey);
    const result = await this.storage.applyLedgerEntry(
      {
        username,
        kind,
        amount,
        idempotencyKey: options.idempotencyKey,
        reference: options.reference ?? null,
        reason: options.reason ?? null,
        ...(grant ? { grant } : {}),
      },
      this.now(),
    );
    this.announce(result);
    return result;
  }
}

/** The idempotency key of the one refund a charge may have. */
export const refundKeyOf = (chargeKey: string): string => `refund:${chargeKey}`;

function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new ValidationError('amount', 'must be a whole number greater than 0');
  }
}

function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
    throw new ValidationError('idempotencyKey', 'must be 1–200 characters');
  }
  if (key.startsWith('expire:')) throw new ValidationError('idempotencyKey', "must not start with 'expire:' (the ledger's own keys)");
}
