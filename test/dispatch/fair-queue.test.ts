import { describe, expect, it } from 'vitest';
import { FairQueue } from '../../src/core/dispatch/fair-queue.js';
import { InProcessDispatcher } from '../../src/core/dispatch/in-process-dispatcher.js';

const job = (username: string, batchId: string, index: number) => ({ username, batchId, index });

describe('FairQueue', () => {
  it('takes users in turn, and batches of one user in turn', () => {
    const queue = new FairQueue();
    for (let i = 0; i < 3; i++) queue.push(job('a', 'a1', i));
    for (let i = 0; i < 2; i++) queue.push(job('a', 'a2', i));
    queue.push(job('b', 'b1', 0));
    const order: string[] = [];
    for (let next = queue.shift(); next; next = queue.shift()) order.push(`${next.batchId}:${next.index}`);
    expect(order).toEqual(['a1:0', 'b1:0', 'a2:0', 'a1:1', 'a2:1', 'a1:2']);
  });

  it('ignores a job that is already queued', () => {
    const queue = new FairQueue();
    expect(queue.push(job('a', 'x', 0))).toBe(true);
    expect(queue.push(job('a', 'x', 0))).toBe(false);
    expect(queue.size).toBe(1);
  });
});

describe('InProcessDispatcher', () => {
  it('never runs more than its concurrency at once and runs every job', async () => {
    const dispatcher = new InProcessDispatcher({ concurrency: 3 });
    let running = 0;
    let peak = 0;
    let done = 0;
    dispatcher.start(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
      done++;
    });
    await dispatcher.enqueue(Array.from({ length: 20 }, (_, i) => job(`u${i % 4}`, `b${i % 4}`, i)));
    await dispatcher.onIdle();
    expect(done).toBe(20);
    expect(peak).toBe(3);
  });

  it('a job that throws does not stop the others', async () => {
    const dispatcher = new InProcessDispatcher({ concurrency: 1 });
    const ran: number[] = [];
    dispatcher.start(async (j) => {
      ran.push(j.index);
      if (j.index === 0) throw new Error('boom');
    });
    await dispatcher.enqueue([job('a', 'b', 0), job('a', 'b', 1)]);
    await dispatcher.onIdle();
    expect(ran).toEqual([0, 1]);
  });

  it('stop() takes no new jobs and waits for running ones', async () => {
    const dispatcher = new InProcessDispatcher({ concurrency: 1 });
    const ran: number[] = [];
    dispatcher.start(async (j) => {
      await new Promise((r) => setTimeout(r, 20));
      ran.push(j.index);
    });
    await dispatcher.enqueue([job('a', 'b', 0), job('a', 'b', 1)]);
    await dispatcher.stop({ graceMs: 1000 });
    expect(ran).toEqual([0]);
  });
});
