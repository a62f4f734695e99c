import type { TaskJob } from '../../../core/ports/dispatcher.js';

/** A job as the queue stores it: short keys, the trace only when there is one. */
export const payloadOf = (job: TaskJob): string =>
  JSON.stringify({
    b: job.batchId,
    i: job.index,
    u: job.username,
    a: job.attempt ?? 0,
    ...(job.traceparent ? { t: job.traceparent } : {}),
  });

/** The job a stored payload names, or null when it is not a task job. */
export function jobOf(payload: string): TaskJob | null {
  try {
    const p = JSON.parse(payload) as { b?: unknown; i?: unknown; u?: unknown; a?: unknown; t?: unknown };
    if (typeof p.b !== 'string' || typeof p.u !== 'string' || !Number.isInteger(p.i)) return null;
    return {
      batchId: p.b,
      index: p.i as number,
      username: p.u,
      attempt: Number.isInteger(p.a) ? (p.a as number) : 0,
      ...(typeof p.t === 'string' ? { traceparent: p.t } : {}),
    };
  } catch {
    return null;
  }
}

/** A job this process runs: its id and the token of its delivery. */
export interface Held {
  id: string;
  token: string;
}

/** A job to look at again at `due` (epoch ms); `threw` counts it against `attempts`. */
export interface Move extends Held {
  due: number;
  threw: boolean;
}
