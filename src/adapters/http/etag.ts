import type { BatchRecord, BatchSummary, GenerationRecord, TaskStatus } from '../../core/schemas/records.js';

/**
 * Entity tags of the read endpoints: versions of what storage holds, not hashes of the body, so
 * answering a repeated poll with 304 costs a storage read and no JSON. `urlEpoch` is the image
 * URLs' version (see `ImageUrls.epoch`): a tag changes when the URLs a body carries would, so a
 * client that reuses its copy never shows an expired image URL.
 */

const STATUS_CODE: Record<TaskStatus, number> = { pending: 1, processing: 2, completed: 3, failed: 4, cancelled: 5 };

/** A batch's version: its `updatedAt` and counters, and each task's status, progress and claim count (what every write changes). */
export function batchEtag(batch: BatchRecord, urlEpoch: string): string {
  let h1 = seed1;
  let h2 = seed2;
  const mix = (n: number) => {
    h1 = Math.imul(h1 ^ n, 2654435761);
    h2 = Math.imul(h2 ^ n, 1597334677);
  };
  mix(batch.completedTasks);
  mix(batch.failedTasks);
  mix(batch.cancelledTasks ?? 0);
  let results = false;
  for (const task of batch.tasks) {
    mix(STATUS_CODE[task.status]);
    mix(task.progress * 1000);
    mix(task.attempts);
    if (task.result) results = true;
  }
  return tag(`b${batch.updatedAt.toString(36)}.${finish(h1, h2)}${results ? `.${urlEpoch}` : ''}`);
}

/** A page of a user's batch list: the user, each entry's id, `updatedAt`, status and counters, and the cursor. */
export function batchListEtag(username: string, items: readonly BatchSummary[], nextCursor: string | null): string {
  const parts = [username, nextCursor ?? ''];
  for (const b of items)
    parts.push(`${b.batchId} ${b.updatedAt} ${b.status} ${b.completedTasks} ${b.failedTasks} ${b.cancelledTasks ?? 0}`);
  return tag(`l${hashText(parts.join('\n'))}`);
}

/** A page of a user's records (which never change once written): the user, the ids, the cursor and the URL epoch. */
export function recordListEtag(username: string, items: readonly GenerationRecord[], nextCursor: string | null, urlEpoch: string): string {
  const parts = [username, nextCursor ?? ''];
  for (const r of items) parts.push(`${r.recordId} ${r.createdAt}`);
  return tag(`r${hashText(parts.join('\n'))}${items.length > 0 ? `.${urlEpoch}` : ''}`);
}

/** True when the request's `If-None-Match` names `etag` (weak comparison, as RFC 9110 wants for it) or is `*`. */
export function ifNoneMatch(request: Request, etag: string): boolean {
  const header = request.headers.get('if-none-match');
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === opaque);
}

/** The 304 answer for `etag`, with the headers a 200 would carry that matter to caches. */
export function notModified(etag: string): Response {
  return new Response(null, { status: 304, headers: { ETag: etag, 'Cache-Control': 'no-store' } });
}

const seed1 = 0xdeadbeef;
const seed2 = 0x41c6ce57;

/** Two 32-bit multiply-xor hashes folded into 53 bits, base 36 (cyrb53). */
function finish(a: number, b: number): string {
  let h1 = Math.imul(a ^ (a >>> 16), 2246822507) ^ Math.imul(b ^ (b >>> 13), 3266489909);
  let h2 = Math.imul(b ^ (b >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909);
  h1 >>>= 0;
  h2 >>>= 0;
  return (4294967296 * (2097151 & h2) + h1).toString(36);
}

function hashText(text: string): string {
  let h1 = seed1;
  let h2 = seed2;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  return finish(h1, h2);
}

const tag = (version: string) => `W/"${version}"`;
