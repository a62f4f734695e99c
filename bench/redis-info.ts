/** A client that answers `INFO <section>` (ioredis, or the client of a BullMQ queue). */
interface InfoClient {
  info(section: string): Promise<string>;
}

/** Numeric fields of one Redis `INFO` section, in the order asked (`used_memory` of `memory`, `used_cpu_sys` of `cpu`). */
export async function redisInfoNumbers(client: InfoClient, section: string, fields: string[]): Promise<number[]> {
  const info = await client.info(section);
  return fields.map((field) => {
    const match = new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info);
    if (!match) throw new Error(`Redis INFO ${section} has no ${field}`);
    return Number(match[1]);
  });
}
