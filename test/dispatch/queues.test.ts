import { describe, expect, it } from 'vitest';
import { createQueuesDispatcher, type QueueMessageLike, type TaskMessage } from '../../src/adapters/dispatch/queues/index.js';
import type { TaskRunOutcome } from '../../src/core/ports/dispatcher.js';

function fakeQueue() {
  const sent: Array<{ body: TaskMessage; delaySeconds?: number }> = [];
  const batches: number[] = [];
  return {
    sent,
    batches,
    async send(body: TaskMessage, options?: { delaySeconds?: number }) {
      sent.push({ body, ...(options?.delaySeconds !== undefined ? { delaySeconds: options.delaySeconds } : {}) });
    },
    async sendBatch(messages: Iterable<{ body: TaskMessage }>) {
      const list = [...messages];
      batches.push(list.length);
      for (const m of list) sent.push({ body: m.body });
    },
  };
}

function message(body: unknown, attempts = 1) {
  const state = { acked: false, retried: null as null | { delaySeconds?: number } };
  const m: QueueMessageLike<TaskMessage> = {
    id: Math.random().toString(36),
    body: body as TaskMessage,
    attempts,
    ack: () => void (state.acked = true),
    retry: (o) => void (state.retried = o ?? {}),
  };
  return { m, state };
}

const job = (index: number): TaskMessage => ({ batchId: 'batch:alice:1', index, username: 'alice', attempt: 0 });

describe('Cloudflare Queues dispatcher', () => {
  it('sends one message per task, at most 100 per sendBatch', async () => {
    const queue = fakeQueue();
    await createQueuesDispatcher({ queue }).enqueue(Array.from({ length: 250 }, (_, i) => job(i)));
    expect(queue.batches).toEqual([100, 100, 50]);
    expect(queue.sent[249]!.body).toEqual(job(249));
  });

  it('acks a task that ended, sends a busy one again delayed until its lease ends, retries one whose run threw', async () => {
    const queue = fakeQueue();
    const dispatcher = createQueuesDispatcher({ queue, logger: { warn() {}, error() {} } });
    const outcomes: Record<number, TaskRunOutcome | Error> = {
      0: { state: 'done' },
      1: { state: 'busy', retryAt: Date.now() + 9_500 },
      2: new Error('storage unreachable'),
    };
    const ran: number[] = [];
    dispatcher.start(async (j) => {
      ran.push(j.index);
      const o = outcomes[j.index]!;
      if (o instanceof Error) throw o;
      return o;
    });
    const done = message(job(0));
    const busy = message(job(1));
    const broken = message(job(2), 3);
    const junk = message({ nope: true });
    await dispatcher.consume({ queue: 'tasks', messages: [done.m, busy.m, broken.m, junk.m] });
    expect(ran.sort()).toEqual([0, 1, 2]);
    expect(done.state).toEqual({ acked: true, retried: null });
    expect(busy.state.acked).toBe(true);
    expect(queue.sent).toEqual([{ body: job(1), delaySeconds: 10 }]);
    expect(broken.state).toEqual({ acked: false, retried: { delaySeconds: 8 } });
    expect(junk.state.acked).toBe(true);
  });

  it('runs at most `concurrency` messages at once', async () => {
    const dispatcher = createQueuesDispatcher({ queue: fakeQueue(), concurrency: 2 });
    let running = 0;
    let peak = 0;
    dispatcher.start(async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return { state: 'done' };
    });
    await dispatcher.consume({ queue: 'tasks', messages: Array.from({ length: 7 }, (_, i) => message(job(i)).m) });
    expect(peak).toBe(2);
  });

  it('refuses to consume before it has a runner', async () => {
    await expect(createQueuesDispatcher({ queue: fakeQueue() }).consume({ queue: 'tasks', messages: [message(job(0)).m] })).rejects.toThrow(
      /before start/,
    );
  });
});
