import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../../../core/options.js';

/** How much of what Redis acknowledged a restart can lose, read from its persistence settings. */
export interface RedisDurability {
  /** `yes` or `no`; null when the server would not say (CONFIG disabled and INFO silent). */
  appendonly: string | null;
  /** `always`, `everysec` or `no`; null when unknown (or AOF is off). */
  appendfsync: string | null;
  /**
   * `nothing` (AOF with `always`), `about a second` (AOF with `everysec`), `seconds` (AOF with
   * `no`: the OS decides), `everything since the last snapshot` (no AOF), or `unknown`.
   */
  mayLose: 'nothing' | 'about a second' | 'seconds' | 'everything since the last snapshot' | 'unknown';
}

/**
 * Reads `appendonly` and `appendfsync` (CONFIG GET; on servers that disable CONFIG, such as some
 * managed plans, `INFO persistence` tells at least whether AOF is on).
 */
export async function readRedisDurability(client: Redis | Cluster): Promise<RedisDurability> {
  let appendonly: string | null = null;
  let appendfsync: string | null = null;
  try {
    const reply = (await client.call('CONFIG', 'GET', 'append*')) as string[];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      if (reply[i] === 'appendonly') appendonly = reply[i + 1]!;
      if (reply[i] === 'appendfsync') appendfsync = reply[i + 1]!;
    }
  } catch {
    const info = await client.info('persistence').catch(() => '');
    const match = /aof_enabled:(\d)/.exec(info);
    if (match) appendonly = match[1] === '1' ? 'yes' : 'no';
  }
  return { appendonly, appendfsync, mayLose: mayLoseOf(appendonly, appendfsync) };
}

function mayLoseOf(appendonly: string | null, appendfsync: string | null): RedisDurability['mayLose'] {
  if (appendonly === 'no') return 'everything since the last snapshot';
  if (appendonly !== 'yes') return 'unknown';
  if (appendfsync === 'always') return 'nothing';
  if (appendfsync === 'everysec') return 'about a second';
  if (appendfsync === 'no') return 'seconds';
  return 'unknown';
}

/** Warns through the logger when the ledger would not survive a Redis restart whole. */
export async function warnUnlessDurable(client: Redis | Cluster, logger: Logger): Promise<RedisDurability | null> {
  const durability = await readRedisDurability(client).catch(() => null);
  if (!durability || durability.mayLose === 'nothing') return durability;
  logger.warn(
    `Redis persistence is appendonly ${durability.appendonly ?? '?'}, appendfsync ${durability.appendfsync ?? '?'}: ` +
      `a restart may lose ${durability.mayLose} of acknowledged credits and tasks. ` +
      'Use appendonly yes with appendfsync always, or keep the ledger in Postgres or SQLite.',
    { appendonly: durability.appendonly, appendfsync: durability.appendfsync },
  );
  return durability;
}
