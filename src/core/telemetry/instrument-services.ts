import type { Dispatcher } from '../ports/dispatcher.js';
import type { ProviderAdapter } from '../ports/provider-adapter.js';
import type { LedgerEntry } from '../schemas/records.js';
import type { Telemetry } from '../ports/telemetry.js';
import type { BatchService } from '../services/batches/batch-service.js';
import type { CreditLedger } from '../services/credit-ledger.js';
import { ATTR } from './attributes.js';

/**
 * Spans around batch submits and retries (`imagegen.batch.submit`, `imagegen.task.retry`: the jobs
 * they queue carry their trace), credit counters from every ledger write the engine announces, and
 * the gauges' sources (the dispatcher's counts, the provider's keys). Replaces the methods on these
 * instances only, so an engine without telemetry runs none of it.
 */
export function instrumentServices(deps: {
  batches: BatchService;
  credits: CreditLedger;
  dispatcher: Dispatcher;
  provider: ProviderAdapter;
  telemetry: Telemetry;
}): void {
  const { batches, credits, telemetry } = deps;
  const submit = batches.submit.bind(batches);
  batches.submit = (username, body, options) =>
    telemetry.span('imagegen.batch.submit', { kind: 'producer', attributes: { [ATTR.user]: username } }, async (span) => {
      const result = await submit(username, body, options);
      span.setAttributes({
        [ATTR.batchId]: result.batch.batchId,
        [ATTR.batchTasks]: result.batch.totalTasks,
        [ATTR.replayed]: result.replayed,
      });
      return result;
    });
  const retry = batches.retry.bind(batches);
  batches.retry = (username, batchId, index, options) =>
    telemetry.span(
      'imagegen.task.retry',
      { kind: 'producer', attributes: { [ATTR.user]: username, [ATTR.batchId]: batchId, [ATTR.taskIndex]: index } },
      () => retry(username, batchId, index, options),
    );
  const announce = credits.announce.bind(credits);
  credits.announce = (result) => {
    announce(result);
    if (!result.replayed) countCredits(telemetry, result.entry);
  };
  const { dispatcher, provider } = deps;
  telemetry.observe({
    ...(dispatcher.counts ? { tasks: () => dispatcher.counts!() } : {}),
    ...(provider.keyStats ? { keys: () => provider.keyStats!() } : {}),
  });
}

function countCredits(telemetry: Telemetry, entry: LedgerEntry): void {
  const amount = Math.abs(entry.amount);
  if (amount === 0) return;
  if (entry.kind === 'charge') telemetry.credits('charged', amount);
  else if (entry.kind === 'refund') telemetry.credits('refunded', amount);
  else if (entry.kind === 'expire') telemetry.credits('expired', amount);
  else if (entry.kind === 'grant' && entry.amount > 0) telemetry.credits('granted', amount);
}
