import type { ImageStore } from '../../src/core/ports/image-store.js';

/** What the page's Content-Security-Policy must allow beyond its own origin. */
export interface PageSecurityOptions {
  /** Origins images load from besides this server (an S3 bucket, a CDN), e.g. `https://cdn.example.com`. @default none */
  imageOrigins?: readonly string[];
  /**
   * Send `Strict-Transport-Security`: only when the host serves this site over HTTPS (directly or
   * behind a TLS proxy), since browsers then refuse plain HTTP to it for a year.
   * @default `IMAGEGEN_HSTS=1` in the environment
   */
  hsts?: boolean;
}

/**
 * The origin of the URLs the image store hands out itself (`urlFor`: presigned S3 GETs, a public
 * or CDN base URL), or none when the handler serves the images from this origin. Making a URL is
 * local work (a signature or a string), so this costs no request.
 */
export async function imageOriginsOf(imageStore: ImageStore): Promise<string[]> {
  if (!imageStore.urlFor) return [];
  return [new URL(await imageStore.urlFor('csp-origin-probe.png')).origin];
}

/**
 * Headers of the page and its static files. The page has no inline script and no inline style
 * (styles set from script go through the CSSOM, which CSP allows), so `'self'` is enough;
 * `blob:` in `img-src` is the preview of the file the user picked.
 */
export function pageSecurityHeaders(options: PageSecurityOptions = {}): Record<string, string> {
  const origins = (options.imageOrigins ?? []).map((origin) => {
    const url = new URL(origin);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RangeError(`image origin ${origin} is not http(s)`);
    return url.origin;
  });
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${["'self'", 'blob:', ...new Set(origins)].join(' ')}`,
    "connect-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
  const hsts = options.hsts ?? process.env.IMAGEGEN_HSTS === '1';
  return {
    'Content-Security-Policy': csp,
    'Referrer-Policy': 'no-referrer',
    'Permissions-Policy':
      'camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), midi=(), magnetometer=(), gyroscope=(), accelerometer=(), display-capture=()',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
    ...(hsts ? { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}
