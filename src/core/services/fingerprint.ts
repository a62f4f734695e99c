/**
 * A SHA-256 hex digest of a value's JSON, keys sorted: the fingerprint an idempotency key is
 * bound to when the caller gives none. Web Crypto, so it runs in edge runtimes too.
 */
export async function fingerprintOf(value: unknown): Promise<string> {
  const data = new TextEncoder().encode(stableJson(value));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}
