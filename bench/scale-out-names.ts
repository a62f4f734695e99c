/** Connection and key names shared by the scale-out bench and its worker processes. */
export const BULL_CONNECTION = {
  host: process.env.REDIS_HOST ?? '127.0.0.1',
  port: Number(process.env.REDIS_PORT ?? 6379),
  maxRetriesPerRequest: null,
};

export function scaleNames(prefix: string) {
  return { storage: `${prefix}:s:`, bull: `${prefix}-bull`, channel: `${prefix}:events` };
}
