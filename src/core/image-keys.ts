const KEY = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,199}$/;
const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

/** True for keys an image store accepts: one path segment of safe characters, no `..`. */
export function isValidImageKey(key: string): boolean {
  return KEY.test(key) && !key.includes('..');
}

/** A random key with the extension of the content type. */
export function newImageKey(contentType: string): string {
  return `${crypto.randomUUID()}.${EXTENSIONS[contentType] ?? 'bin'}`;
}

export function imageUrlOf(baseUrl: string, key: string): string {
  if (!isValidImageKey(key)) throw new RangeError(`Invalid image key: ${key}`);
  return `${baseUrl.replace(/\/+$/, '')}/${key}`;
}

/** The key of a URL under `baseUrl`, or null. */
export function imageKeyFromUrl(baseUrl: string, url: string): string | null {
  const prefix = `${baseUrl.replace(/\/+$/, '')}/`;
  if (!url.startsWith(prefix)) return null;
  const key = url.slice(prefix.length);
  return isValidImageKey(key) ? key : null;
}
