import type { Logger } from '../options.js';
import type { StorageAdapter } from '../ports/storage-adapter.js';
import type { CreditLedger } from './credit-ledger.js';

/** What one sweep of pending single generations did. */
export interface GenerationRecovery {
  /** Markers whose charge was given back (or had been already: the refund replayed). */
  refunded: number;
  /** Markers dropped because the record had been written. */
  completed: number;
  /** Markers dropped because their process died before charging. */
  uncharged: number;
}

/** The refund reason written to the journal for a generation whose process died. */
export const INTERRUPTED_REASON = 'the generation was interrupted (process restart)';

const PAGE = 100;

/**
 * Settles the single generations whose process died between the charge and the record or refund:
 * every pending marker that began before `startedBefore` is looked at once, oldest first. The record
 * exists → the marker is dropped; the charge exists → it is refunded (key `refund:{chargeKey}`, so a
 * refund already written replays and nothing is paid twice) and the marker dropped; neither → the
 * process died before charging, the marker is dropped. Safe to run from several processes at once.
 *
 * `startedBefore` must lie further in the past than a live generation can run, or a slow but live
 * generation could be refunded and still write its record.
 */
export async function recoverPendingGenerations(
  deps: { storage: StorageAdapter; ledger: CreditLedger; logger: Logger },
  startedBefore: number,
): Promise<GenerationRecovery> {
  const { storage, ledger } = deps;
  const result: GenerationRecovery = { refunded: 0, completed: 0, uncharged: 0 };
  const seen = new Set<string>();
  for (;;) {
    const page = (await storage.listPendingGenerations(startedBefore, PAGE)).filter((p) => !seen.has(p.recordId));
    if (page.length === 0) return result;
    for (const pending of page) {
      seen.add(pending.recordId);
      if (await storage.getRecord(pending.recordId)) {
        result.completed++;
      } else if (await storage.getLedgerEntry(pending.username, pending.chargeKey)) {
        const refund = await ledger.refund(pending.username, pending.chargeKey, INTERRUPTED_REASON);
        if (!refund.replayed)
          deps.logger.warn('refunded a generation interrupted by a process restart', {
            recordId: pending.recordId,
            username: pending.username,
          });
        result.refunded++;
      } else {
        result.uncharged++;
      }
      await storage.deletePendingGeneration(pending.recordId);
    }
  }
}
