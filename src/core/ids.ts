import { ValidationError } from './errors/validation-error.js';

/** Usernames may not contain `:` (ids are `batch:{username}:{timestamp}`) nor anything odd. */
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$/;

/** Throws a {@link ValidationError} when `username` would make an id ambiguous. */
export function assertUsername(username: string): void {
  if (typeof username !== 'string' || !USERNAME.test(username)) {
    throw new ValidationError(
      'username',
      'must be 1–64 characters of letters, digits and _ . @ + - (no ":"), starting with a letter or digit',
    );
  }
}

export const batchId = (username: string, timestamp: number): string => `batch:${username}:${timestamp}`;
export const recordId = (username: string, timestamp: number): string => `record:${username}:${timestamp}`;
export const taskId = (batch: string, index: number): string => `${batch}:${index}`;

/** Splits `batch:{username}:{timestamp}`; null when the text is not such an id. */
export function parseBatchId(id: string): { username: string; timestamp: number } | null {
  const m = /^batch:([^:]+):(\d{1,16})$/.exec(id);
  return m ? { username: m[1]!, timestamp: Number(m[2]) } : null;
}

/** Splits `record:{username}:{timestamp}`; null when the text is not such an id. */
export function parseRecordId(id: string): { username: string; timestamp: number } | null {
  const m = /^record:([^:]+):(\d{1,16})$/.exec(id);
  return m ? { username: m[1]!, timestamp: Number(m[2]) } : null;
}

/**
 * Hands out millisecond timestamps for ids that are unique within this process: a second id in
 * the same millisecond gets the next millisecond. Storage adapters reject an id that another
 * process already took, and the services then ask again.
 */
export class IdClock {
  #last = 0;
  constructor(private readonly now: () => number = Date.now) {}
  next(): number {
    const t = Math.max(this.now(), this.#last + 1);
    this.#last = t;
    return t;
  }
  /** Moves past a timestamp that turned out to be taken elsewhere. */
  skipPast(timestamp: number): void {
    if (timestamp > this.#last) this.#last = timestamp;
  }
}

/**
 * The idempotency key of a charge the caller gave no key for. A random part keeps it apart from
 * the charge of another process that named its batch or record after the same millisecond:
 * otherwise that charge would replay this one's and one of the two would go unpaid.
 */
export const chargeKeyFor = (id: string): string => `charge:${id}:${crypto.randomUUID().slice(0, 13)}`;
