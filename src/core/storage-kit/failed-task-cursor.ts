import type { FailedTaskRef } from '../ports/storage/admin-query-store.js';

/** Where a page of failed tasks ends: the last one's failure time, batch id and index (the order is those three, descending). */
export interface FailedTaskPosition {
  failedAt: number;
  batchId: string;
  index: number;
}

/** The cursor after `task`: `{failedAt}.{index}.{batchId}`. */
export function failedTaskCursor(task: FailedTaskRef): string {
  return `${task.failedAt}.${task.index}.${task.batchId}`;
}

/** Parses a cursor of {@link failedTaskCursor}; null when absent or malformed (a bad cursor reads as the start). */
export function parseFailedTaskCursor(cursor: string | null | undefined): FailedTaskPosition | null {
  const match = /^(\d{1,16})\.(\d{1,9})\.(.+)$/s.exec(cursor ?? '');
  if (!match) return null;
  return { failedAt: Number(match[1]), index: Number(match[2]), batchId: match[3]! };
}

/** True when `task` comes after `position` in the order newest failure first, then batch id and index descending. */
export function isAfterPosition(task: FailedTaskRef, position: FailedTaskPosition | null): boolean {
  if (!position) return true;
  if (task.failedAt !== position.failedAt) return task.failedAt < position.failedAt;
  if (task.batchId !== position.batchId) return task.batchId < position.batchId;
  return task.index < position.index;
}

/** Sorts newest failure first, then batch id and index descending (the order every adapter pages in). */
export function compareFailedTasks(a: FailedTaskRef, b: FailedTaskRef): number {
  return b.failedAt - a.failedAt || (a.batchId < b.batchId ? 1 : a.batchId > b.batchId ? -1 : 0) || b.index - a.index;
}
