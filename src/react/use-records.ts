import { useCallback, useEffect, useRef, useState } from 'react';
import type { PublicGenerationRecord } from '../core/schemas/public.js';
import { type ClientHookOptions, useImageGenClient } from './context.js';
import { onRefresh } from './refresh-bus.js';

/** Options of {@link useRecords}. */
export interface UseRecordsOptions extends ClientHookOptions {
  /** Records per page. @default the server's (20) */
  limit?: number;
}

/** What {@link useRecords} returns. */
export interface RecordsState {
  /** The pages read so far, newest first. */
  records: PublicGenerationRecord[];
  /** There is a page after the ones read. */
  hasMore: boolean;
  error: unknown;
  /** A page is being read. */
  isLoading: boolean;
  /** Reads the next page and appends it (nothing when there is none or one is being read). */
  loadMore(): void;
  /** Reads the first page again, dropping the others. */
  refresh(): void;
}

interface Pages {
  records: PublicGenerationRecord[];
  cursor: string | null;
}

/**
 * The user's single generations (`GET /records`), newest first, a page at a time. Read again from
 * the first page after an image-to-image made through the same client.
 */
export function useRecords(options: UseRecordsOptions = {}): RecordsState {
  const client = useImageGenClient(options);
  const { limit } = options;
  const [pages, setPages] = useState<Pages>({ records: [], cursor: null });
  const [status, setStatus] = useState<{ error: unknown; isLoading: boolean }>({ error: null, isLoading: true });
  const actions = useRef({ loadMore: () => {}, refresh: () => {} });

  useEffect(() => {
    const controller = new AbortController();
    // A refresh starts a new generation: pages of an older one that land later are dropped.
    let generation = 0;
    let loading = false;
    let current: Pages = { records: [], cursor: null };
    const read = async (first: boolean) => {
      if (!first && (loading || !current.cursor)) return;
      const mine = first ? ++generation : generation;
      loading = true;
      setStatus({ error: null, isLoading: true });
      try {
        const page = await client.records({
          ...(limit === undefined ? {} : { limit }),
          cursor: first ? null : current.cursor,
          signal: controller.signal,
        });
        if (mine !== generation || controller.signal.aborted) return;
        current = { records: first ? page.records : [...current.records, ...page.records], cursor: page.next_cursor };
        setPages(current);
        setStatus({ error: null, isLoading: false });
      } catch (error) {
        if (mine === generation && !controller.signal.aborted) setStatus({ error, isLoading: false });
      } finally {
        if (mine === generation) loading = false;
      }
    };
    actions.current = { loadMore: () => void read(false), refresh: () => void read(true) };
    void read(true);
    const off = onRefresh(client, 'records', () => void read(true));
    return () => {
      off();
      controller.abort();
    };
  }, [client, limit]);

  const loadMore = useCallback(() => actions.current.loadMore(), []);
  const refresh = useCallback(() => actions.current.refresh(), []);
  return { records: pages.records, hasMore: pages.cursor !== null, ...status, loadMore, refresh };
}
