import type { Engine } from '../src/core/engine.js';
import type { World } from './world.js';

/** What one user does in a run, spread over the first `spanMs` of virtual time. */
export interface WorkloadSize {
  users: number;
  actions: number;
  spanMs: number;
}

/**
 * Schedules a seed's workload: grants (some expiring, some promotional), batches (some with an
 * idempotency key, repeated), retries of failed tasks, cancels of batches or single tasks, single
 * generations with idempotency keys (repeated), and extra engines joining the shared storage.
 */
export function scheduleWorkload(world: World, size: WorkloadSize): void {
  const { prng, sched } = world;
  const users = Array.from({ length: size.users }, (_, i) => `u${i}`);
  const at = (ms: number, label: string, fn: () => void) => sched.timer(0, ms, label, fn);
  const engine = (): Engine | null => {
    const live = world.liveEngines();
    return live.length ? prng.pick(live).engine : null;
  };
  const later = () => prng.range(0, size.spanMs);

  for (const user of users) {
    world.history.users.add(user);
    at(0, `grant ${user}`, () => grant(user, 0, prng.range(3, 8), null));
    if (prng.chance(0.6)) at(later(), `promo ${user}`, () => grant(user, 1, prng.range(1, 4), world.sched.now + prng.range(2_000, 30_000)));
  }
  let grants = 0;
  function grant(user: string, priority: number, amount: number, expiresAt: number | null): void {
    const e = engine();
    const key = `grant:${user}:${grants++}`;
    if (e) {
      void world.act({ kind: 'grant', username: user }, `grant ${user} ${amount}${expiresAt ? ' expiring' : ''}`, () =>
        e.credits.grant(user, amount, { idempotencyKey: key, priority, kind: priority > 0 ? 'promo' : 'paid', expiresAt }),
      );
    }
  }

  for (let i = 0; i < size.actions; i++) {
    const user = prng.pick(users);
    const roll = prng.next();
    const start = later();
    if (roll < 0.35) {
      const keyed = prng.chance(0.5);
      const tag = `b${i}`;
      const count = prng.range(1, 3);
      const repeats = keyed ? prng.range(1, 2) : 1;
      if (keyed) world.history.keyedBatchTags.add(`${user}/${tag}`);
      for (let r = 0; r < repeats; r++) {
        at(start + r * prng.range(0, 4_000), `submit ${tag}`, () => {
          const e = engine();
          if (!e) return;
          const prompts = Array.from({ length: count }, (_, j) => `${user}/${tag}/${j}`);
          void world.act(
            { kind: 'batch', username: user, ...(keyed ? { key: tag } : {}) },
            `submit ${user}/${tag} x${count}${keyed ? ' keyed' : ''}`,
            () => e.batches.submit(user, { prompts }, keyed ? { idempotencyKey: `submit:${tag}`, fingerprint: tag } : {}),
          );
        });
      }
    } else if (roll < 0.6) {
      const keyed = prng.chance(0.7);
      const tag = `s${i}`;
      const repeats = keyed ? prng.range(1, 3) : 1;
      for (let r = 0; r < repeats; r++) {
        at(start + r * prng.range(0, 5_000), `generate ${tag}`, () => single(user, tag, keyed));
      }
    } else if (roll < 0.75) {
      at(start, `retry ${user}`, () => retryOne(user));
    } else if (roll < 0.88) {
      at(start, `cancel ${user}`, () => cancelOne(user));
    } else if (roll < 0.94) {
      at(start, `grant ${user}`, () =>
        grant(user, 0, prng.range(1, 3), prng.chance(0.5) ? world.sched.now + prng.range(1_000, 20_000) : null),
      );
    } else {
      at(start, 'add engine', () => {
        if (world.liveEngines().length < 3) world.startEngine();
      });
    }
  }

  function single(user: string, tag: string, keyed: boolean): void {
    const e = engine();
    if (!e) return;
    void world.act(
      { kind: 'single', username: user, ...(keyed ? { key: tag } : {}) },
      `generate ${user}/${tag}${keyed ? ' keyed' : ''}`,
      () => e.textToImage.run(user, { prompt: `${user}/${tag}` }, keyed ? { idempotencyKey: tag, fingerprint: tag } : { fingerprint: tag }),
    );
  }

  function retryOne(user: string): void {
    const e = engine();
    if (!e) return;
    void world.act({ kind: 'retry', username: user }, `retry a failed task of ${user}`, async () => {
      const page = await e.batches.list(user, { limit: 10 });
      const failed = page.items.filter((b) => b.failedTasks > 0);
      if (!failed.length) return;
      const batch = await e.batches.status(user, prng.pick(failed).batchId);
      const indexes = batch.tasks.flatMap((t, i) => (t.status === 'failed' ? [i] : []));
      if (!indexes.length) return;
      const index = prng.pick(indexes);
      const keyed = prng.chance(0.5);
      const key = `retry:${batch.batchId}:${index}:${batch.tasks[index]!.attempts}`;
      await e.batches.retry(user, batch.batchId, index, keyed ? { idempotencyKey: key } : {});
      // A client that did not hear the answer sends the same retry again.
      if (keyed && prng.chance(0.5)) await e.batches.retry(user, batch.batchId, index, { idempotencyKey: key });
    });
  }

  function cancelOne(user: string): void {
    const e = engine();
    if (!e) return;
    void world.act({ kind: 'cancel', username: user }, `cancel something of ${user}`, async () => {
      const page = await e.batches.list(user, { limit: 10 });
      if (!page.items.length) return;
      const batch = prng.pick(page.items);
      const options = prng.chance(0.5) ? { taskIndex: prng.int(batch.totalTasks) } : {};
      await e.batches.cancel(user, batch.batchId, options);
      if (prng.chance(0.3)) await e.batches.cancel(user, batch.batchId, options);
    });
  }
}

/** Repeats every keyed single generation once more at the end (after keys could go stale). */
export function repeatKeyedGenerations(world: World, engine: Engine): Array<Promise<boolean>> {
  const done = new Set<string>();
  const out: Array<Promise<boolean>> = [];
  for (const single of world.history.singles.values()) {
    if (!single.key || done.has(`${single.username}/${single.key}`)) continue;
    done.add(`${single.username}/${single.key}`);
    const { username, key } = single;
    out.push(
      world.act({ kind: 'single', username, key }, `generate ${username}/${key} keyed (final repeat)`, () =>
        engine.textToImage.run(username, { prompt: `${username}/${key}` }, { idempotencyKey: key, fingerprint: key }),
      ),
    );
  }
  return out;
}
