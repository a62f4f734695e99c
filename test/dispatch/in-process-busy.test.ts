import { describe, expect, it } from 'vitest';
import { InProcessDispatcher } from '../../src/core/dispatch/in-process-dispatcher.js';

describe('in-process dispatcher: a job answered busy', () => {
  it('is queued again once the lease it waited on ran out, and not after stop', async () => {
    const dispatcher = new InProcessDispatcher({ concurrency: 2 });
    const runs: number[] = [];
    let ran!: () => void;
    const second = new Promise<void>((resolve) => (ran = resolve));
    dispatcher.start(async () => {
      runs.push(Date.now());
      if (runs.length === 1) return { state: 'busy', retryAt: Date.now() + 40 };
      ran();
      return { state: 'done' };
    });
    await dispatcher.enqueue([{ batchId: 'b', index: 0, username: 'u' }]);
    await second;
    expect(runs).toHaveLength(2);
    // Timers may fire a millisecond early by Date.now's clock; what matters is that it waited for the lease.
    expect(runs[1]! - runs[0]!).toBeGreaterThanOrEqual(35);

    const stopped = new InProcessDispatcher();
    let calls = 0;
    stopped.start(async () => {
      calls++;
      return { state: 'busy', retryAt: Date.now() + 20 };
    });
    await stopped.enqueue([{ batchId: 'b', index: 1, username: 'u' }]);
    await stopped.onIdle();
    await stopped.stop();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls).toBe(1);
  });
});
