import { useCallback, useEffect, useRef, useState } from 'react';
import type { CreditsResponse } from '../core/schemas/responses.js';
import { type ClientHookOptions, useImageGenClient } from './context.js';
import { onRefresh } from './refresh-bus.js';

/** Options of {@link useCredits}. */
export interface UseCreditsOptions extends ClientHookOptions {
  /** Ledger entries to read with the balance. @default the server's (20) */
  limit?: number;
}

/** What {@link useCredits} returns. */
export interface CreditsState {
  /** The balance; `null` until the first answer (and on the server). */
  balance: number | null;
  /** The whole answer of `GET /credits` (grants, newest ledger entries). */
  data: CreditsResponse | null;
  error: unknown;
  isLoading: boolean;
  /** Reads the credits again. */
  refresh(): void;
}

/**
 * The user's credits (`GET /credits`), read on mount and again after every charge or refund made
 * through the same client by the other hooks (a submitted batch, an image-to-image, a failed or
 * cancelled task, a retry). A charge's answer carries the new balance, shown at once.
 */
export function useCredits(options: UseCreditsOptions = {}): CreditsState {
  const client = useImageGenClient(options);
  const { limit } = options;
  const [state, setState] = useState<{ data: CreditsResponse | null; balance: number | null; error: unknown; isLoading: boolean }>({
    data: null,
    balance: null,
    error: null,
    isLoading: true,
  });
  const readId = useRef(0);
  const refresh = useRef<() => void>(() => {});

  useEffect(() => {
    const controller = new AbortController();
    // Only the latest read writes: an older answer that lands later is stale.
    const read = async () => {
      const id = ++readId.current;
      setState((s) => ({ ...s, isLoading: true }));
      try {
        const data = await client.credits({ ...(limit === undefined ? {} : { limit }), signal: controller.signal });
        if (id === readId.current) setState({ data, balance: data.balance, error: null, isLoading: false });
      } catch (error) {
        if (id === readId.current && !controller.signal.aborted) setState((s) => ({ ...s, error, isLoading: false }));
      }
    };
    refresh.current = () => void read();
    void read();
    const off = onRefresh(client, 'credits', ({ balance }) => {
      if (balance !== undefined) setState((s) => ({ ...s, balance }));
      void read();
    });
    return () => {
      off();
      controller.abort();
      readId.current++;
    };
  }, [client, limit]);

  const refreshNow = useCallback(() => refresh.current(), []);
  return { ...state, refresh: refreshNow };
}
