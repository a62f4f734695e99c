import { decodeBase64Loose, encodeBase64Url } from '../../../core/image-input/base64.js';

/**
 * A provider request id as the engine stores it: the provider's own id plus what another process
 * needs to poll it (the key's fingerprint, a polling URL). `<id>.<base64url JSON>`; an id without
 * extras is stored as it is.
 */
export interface RequestRef {
  id: string;
  /** Fingerprint of the key that created the request. */
  key?: string;
  /** Where to poll (BFL `polling_url`, fal `status_url`). */
  url?: string;
  /** Anything else the adapter needs (a model path). */
  extra?: string;
}

export function encodeRef(ref: RequestRef): string {
  const { id, ...rest } = ref;
  const extras = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  if (Object.keys(extras).length === 0) return id;
  return `${id}.${encodeBase64Url(new TextEncoder().encode(JSON.stringify(extras)))}`;
}

/** Decodes a stored id; a plain id (no extras) decodes to `{ id }`. */
export function decodeRef(stored: string): RequestRef {
  const dot = stored.lastIndexOf('.');
  if (dot <= 0) return { id: stored };
  const tail = stored.slice(dot + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(tail)) return { id: stored };
  try {
    const extras = JSON.parse(new TextDecoder().decode(decodeBase64Loose(tail) ?? new Uint8Array())) as Record<string, unknown>;
    if (typeof extras !== 'object' || extras === null) return { id: stored };
    const pick = (k: string) => (typeof extras[k] === 'string' ? (extras[k] as string) : undefined);
    return { id: stored.slice(0, dot), key: pick('key'), url: pick('url'), extra: pick('extra') };
  } catch {
    return { id: stored };
  }
}
