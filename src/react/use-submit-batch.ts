import type { ChargeCallOptions } from '../client/create-client.js';
import type { BatchGenerateRequest } from '../core/schemas/requests.js';
import type { BatchCreatedResponse } from '../core/schemas/responses.js';
import { type ClientHookOptions, useImageGenClient } from './context.js';
import { announce } from './refresh-bus.js';
import { type ActionState, useAction } from './use-action.js';

/** What {@link useSubmitBatch} returns. */
export interface SubmitBatchState extends ActionState<BatchCreatedResponse> {
  /**
   * `POST /batch/generate` (1 credit per task). Resolves with the answer, or `undefined` when it
   * failed (see `error`: `insufficient_credits`, a 400 naming the field…). Each call gets its own
   * idempotency key unless `call.idempotencyKey` is given.
   */
  submit(body: BatchGenerateRequest, call?: ChargeCallOptions): Promise<BatchCreatedResponse | undefined>;
  /** The id of the batch last created, for `useBatch`. */
  batchId: string | null;
  reset(): void;
}

/**
 * Submits batches. After a charge, every `useCredits` on the same client shows the new balance.
 *
 * @example
 * const { submit, batchId, isPending, error } = useSubmitBatch();
 * const { batch } = useBatch(batchId);
 */
export function useSubmitBatch(options: ClientHookOptions = {}): SubmitBatchState {
  const client = useImageGenClient(options);
  const action = useAction(async (body: BatchGenerateRequest, call?: ChargeCallOptions) => {
    const created = await client.submitBatch(body, call);
    announce(client, 'credits', { balance: created.credits_remaining });
    return created;
  });
  return { ...action, submit: action.run, batchId: action.data?.batch_id ?? null };
}
