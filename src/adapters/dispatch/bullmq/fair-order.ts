import type { Redis, Cluster } from 'ioredis';

/** BullMQ's highest priority number (lowest precedence). */
export const MAX_PRIORITY = 2_097_152;

/** The round past which a drained queue resets its rounds. */
const RESET_AT = Math.floor(MAX_PRIORITY / 4);

/**
 * Per-user round-robin across the whole cluster, on one shared BullMQ queue, with job priorities
 * (BullMQ's groups are a Pro feature). Each user has a "next round" tag; a user's n-th queued task
 * goes to round `max(current round, user's last round) + n`, and the queue runs lower rounds first
 * (FIFO within a round). Workers move the current round up to the priority of each job they start.
 * So a user who queues 100 tasks takes rounds r+1…r+100 while another who arrives later with 10
 * takes the next free rounds from the current one: their tasks interleave one for one, as the
 * in-process FairQueue does, whichever worker process picks them.
 *
 * Rounds are capped at BullMQ's priority limit (past it, order degrades to FIFO); a worker resets
 * the round once the queue drains and the round is past a quarter of the limit.
 *
 * KEYS[1] round (string), KEYS[2] tags (hash username -> last round)
 * ARGV[1] username, ARGV[2] how many tasks
 * Returns the first round of the run handed out.
 */
const TAKE_ROUNDS = `
local round = tonumber(redis.call('GET', KEYS[1]) or '0')
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local first = math.max(round, last) + 1
redis.call('HSET', KEYS[2], ARGV[1], first + tonumber(ARGV[2]) - 1)
return first
`;

/**
 * KEYS[1] round. ARGV[1] the priority of a job a worker starts. Raises the round to it.
 * Returns the round.
 */
const ADVANCE_ROUND = `
local round = tonumber(redis.call('GET', KEYS[1]) or '0')
local p = tonumber(ARGV[1])
if p > round then redis.call('SET', KEYS[1], p) return p end
return round
`;

/**
 * KEYS[1] round, KEYS[2] tags. ARGV[1] the least round worth a reset. Resets both when the round
 * has reached it (called when the queue has drained, so no queued job holds an old round).
 */
const RESET_ROUNDS = `
local round = tonumber(redis.call('GET', KEYS[1]) or '0')
if round < tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`;

type Client = Redis | Cluster;
type Scripted = Client & {
  igkTakeRounds(round: string, tags: string, username: string, count: number): Promise<number>;
  igkAdvanceRound(round: string, priority: number): Promise<number>;
  igkResetRounds(round: string, tags: string, least: number): Promise<number>;
};

/** The round-robin priorities of one queue. Keys share a hash tag, so it also runs on Cluster. */
export class FairOrder {
  readonly #round: string;
  readonly #tags: string;
  /** The highest round this process has seen (a lower bound of the shared one). */
  #seen = 0;
  /** The raise of the round in flight, if any. */
  #raising: Promise<void> | null = null;
  /** The highest priority a job asked the round to be raised to since the last reset. */
  #wanted = 0;
  constructor(
    private readonly client: Client,
    keyBase: string,
  ) {
    this.#round = `${keyBase}:{igk-fair}:round`;
    this.#tags = `${keyBase}:{igk-fair}:tags`;
    const c = client as Scripted;
    if (typeof c.igkTakeRounds !== 'function') {
      client.defineCommand('igkTakeRounds', { numberOfKeys: 2, lua: TAKE_ROUNDS });
      client.defineCommand('igkAdvanceRound', { numberOfKeys: 1, lua: ADVANCE_ROUND });
      client.defineCommand('igkResetRounds', { numberOfKeys: 2, lua: RESET_ROUNDS });
    }
  }

  /** Priorities for `count` new tasks of `username`, in order. */
  async take(username: string, count: number): Promise<number[]> {
    const first = Number(await (this.client as Scripted).igkTakeRounds(this.#round, this.#tags, username, count));
    return Array.from({ length: count }, (_, i) => Math.min(first + i, MAX_PRIORITY));
  }

  /**
   * Raises the round to `priority` when a job starts. Rounds only rise, so a job at or below the
   * round this process last saw needs no round trip (most jobs of a busy queue). One raise is in
   * flight at a time: jobs that start meanwhile wait for it, and those it does not cover share the
   * next one, to the highest priority among them (a worker starts many jobs of new rounds at once).
   */
  async advance(priority: number): Promise<void> {
    while (priority > this.#seen) {
      if (priority > this.#wanted) this.#wanted = priority;
      this.#raising ??= this.#raise();
      await this.#raising;
    }
  }

  #raise(): Promise<void> {
    return (this.client as Scripted).igkAdvanceRound(this.#round, this.#wanted).then(
      (round) => {
        this.#seen = Number(round);
        this.#raising = null;
      },
      (error: unknown) => {
        this.#raising = null;
        throw error;
      },
    );
  }

  /**
   * Called when the queue has drained. Resets the rounds once they have reached a quarter of the
   * limit. Only a process that has seen the round that high asks Redis: the round rises only by
   * raises, whose answers tell the process the round, and every process raises again after a drain
   * (its own view restarts from 0), so one that runs a job past the mark learns of it.
   */
  async resetIfDrained(): Promise<void> {
    const seen = this.#seen;
    this.#seen = 0;
    this.#wanted = 0;
    if (seen < RESET_AT) return;
    await (this.client as Scripted).igkResetRounds(this.#round, this.#tags, RESET_AT);
  }

  keys(): string[] {
    return [this.#round, this.#tags];
  }
}
