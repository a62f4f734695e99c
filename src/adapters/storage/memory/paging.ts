import type { Page, PageRequest } from '../../../core/ports/storage-adapter.js';
import { numericCursor, pageLimit } from '../../../core/storage-kit/index.js';

/** A page of `ids` (kept oldest first), newest first, the cursor being the last item's `order`. */
export function pageNewestFirst<T>(ids: string[], order: (id: string) => number, get: (id: string) => T, page: PageRequest): Page<T> {
  const limit = pageLimit(page.limit);
  const before = numericCursor(page.cursor);
  const items: T[] = [];
  let lastOrder: number | null = null;
  for (let i = ids.length - 1; i >= 0 && items.length < limit + 1; i--) {
    const o = order(ids[i]!);
    if (before !== null && o >= before) continue;
    if (items.length === limit) {
      return { items, nextCursor: String(lastOrder) };
    }
    items.push(get(ids[i]!));
    lastOrder = o;
  }
  return { items, nextCursor: null };
}
