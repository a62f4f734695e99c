import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { BenchProcess } from './measure.js';
import { timed } from './measure.js';
import { redisInfoNumbers } from './redis-info.js';

/** Microseconds of CPU (user + system) another process has used, from `/proc` (Linux); null where unreadable. */
export function processCpuMicros(pid: number): number | null {
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 Hz).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return null;
  }
}

/** Microseconds of CPU the Redis server has used since it started (`INFO cpu`). */
export async function redisCpuMicros(client: Redis): Promise<number> {
  const [sys, user] = await redisInfoNumbers(client, 'cpu', ['used_cpu_sys', 'used_cpu_user']);
  return (sys! + user!) * 1e6;
}

/** CPU per task of one timed run, in microseconds, split by who spent it. */
export interface CpuPerTask {
  /** This process (the one that submits and listens). */
  api: number;
  /** The worker processes together; null where `/proc` is not readable. */
  workers: number | null;
  redis: number;
}

/**
 * Times `fn` (as {@link timed}) and answers, beside its seconds, the CPU this process, the
 * `workers` and the Redis server spent meanwhile, per task. The workers are read before the
 * caller's teardown, so their shutdown is not counted.
 */
export async function timedWithCpu(
  tasks: number,
  workers: BenchProcess[],
  redis: Redis,
  fn: () => Promise<void>,
): Promise<{ seconds: number; cpu: CpuPerTask }> {
  const workersNow = () => {
    let sum = 0;
    for (const { pid } of workers) {
      const micros = processCpuMicros(pid);
      if (micros === null) return null;
      sum += micros;
    }
    return sum;
  };
  const workers0 = workersNow();
  const redis0 = await redisCpuMicros(redis);
  const self0 = process.cpuUsage();
  const { seconds } = await timed(fn);
  const self = process.cpuUsage(self0);
  const workers1 = workersNow();
  const redis1 = await redisCpuMicros(redis);
  const per = (micros: number) => Math.round(micros / tasks);
  return {
    seconds,
    cpu: {
      api: per(self.user + self.system),
      workers: workers0 === null || workers1 === null ? null : per(workers1 - workers0),
      redis: per(redis1 - redis0),
    },
  };
}
