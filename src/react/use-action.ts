import { useCallback, useEffect, useRef, useState } from 'react';

/** Where a call a hook makes stands. */
export type ActionStatus = 'idle' | 'pending' | 'success' | 'error';

/** The state of a call a hook makes on demand. */
export interface ActionState<T> {
  status: ActionStatus;
  /** The answer of the last call that succeeded (kept while a new one runs). */
  data: T | null;
  /** Why the last call failed: an `ImageGenApiError` for any answer of the server. */
  error: unknown;
  isPending: boolean;
}

const IDLE = { status: 'idle', data: null, error: null } as const;

/**
 * Runs `fn` on demand and keeps its state. `run` resolves with the answer, or `undefined` when it
 * failed (the reason is in `error`), so an event handler can call it without a `catch`. Only the
 * latest call writes the state; nothing is written after unmount.
 */
export function useAction<A extends unknown[], T>(fn: (...args: A) => Promise<T>) {
  const [state, setState] = useState<{ status: ActionStatus; data: T | null; error: unknown }>(IDLE);
  const latest = useRef(fn);
  latest.current = fn;
  const callId = useRef(0);
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const run = useCallback(async (...args: A): Promise<T | undefined> => {
    const id = ++callId.current;
    const current = () => id === callId.current && mounted.current;
    setState((s) => ({ status: 'pending', data: s.data, error: null }));
    try {
      const data = await latest.current(...args);
      if (current()) setState({ status: 'success', data, error: null });
      return data;
    } catch (error) {
      if (current()) setState((s) => ({ status: 'error', data: s.data, error }));
      return undefined;
    }
  }, []);

  const reset = useCallback(() => {
    callId.current++;
    setState(IDLE);
  }, []);

  const result: ActionState<T> & { run: typeof run; reset: typeof reset } = {
    ...state,
    isPending: state.status === 'pending',
    run,
    reset,
  };
  return result;
}
