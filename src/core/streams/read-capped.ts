/** Thrown by {@link readCapped} when a stream passes its limit; callers map it to their own error. */
export class StreamTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The body is larger than ${limit} bytes`);
    this.name = 'StreamTooLargeError';
  }
}

/**
 * Reads a Web byte stream to its end, counting bytes as they arrive: past `maxBytes` it cancels
 * the stream and throws {@link StreamTooLargeError}, so a lying or missing Content-Length cannot
 * make it buffer more. Pure (no Node modules): runs in edge runtimes too.
 */
export async function readCapped(stream: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (!stream) return new Uint8Array();
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new StreamTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return concatBytes(chunks, size);
}

/** Joins chunks into one array of `size` bytes. */
export function concatBytes(chunks: readonly Uint8Array[], size = chunks.reduce((n, c) => n + c.byteLength, 0)): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
