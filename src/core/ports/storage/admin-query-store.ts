import type { Page, PageRequest } from './types.js';

/** A task that ended `failed`, as the operator's list shows it. */
export interface FailedTaskRef {
  batchId: string;
  username: string;
  index: number;
  /** The claim number of the run that failed. */
  attempts: number;
  error: string | null;
  /** When it failed (the `now` of `failTask`), epoch ms. */
  failedAt: number;
}

/** Queries across every user, for operators (the admin API). Reads only; nothing here moves credits or tasks. */
export interface AdminQueryStore {
  /** Tasks whose status is `failed` now, of every user, most recent failure first, paged with the cursor it returns. */
  listFailedTasks(page: PageRequest): Promise<Page<FailedTaskRef>>;
}
