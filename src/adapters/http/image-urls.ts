import { ValidationError } from '../../core/errors/validation-error.js';
import type { ImageStore } from '../../core/ports/image-store.js';
import { createImageUrlSigner, type ImageUrlSigner } from './image-url-signer.js';
import type { RequestHandlerOptions } from './options.js';

/** How a handler turns the stable image references of records into URLs a browser can load. */
export interface ImageUrls {
  /**
   * A loadable URL for a stored reference (`result.imageUrl`, `image_url`): the store's own
   * (`urlFor`), else this handler's signed URL; unchanged when it is not one of the store's URLs
   * or the handler serves no images.
   */
  of(stored: string): Promise<string>;
  /**
   * For `GET /images/:key`: the seconds the request's signed URL has left, or null when it is not a
   * valid, unexpired URL of this handler for `key` (answered exactly like a missing image).
   */
  check(key: string, query: URLSearchParams): Promise<number | null>;
  /**
   * The version of the URLs `of` makes now: it changes whenever they would (this handler's signed
   * URLs: each expiry step; a store's own URLs, which may expire on their own: every minute), so an
   * entity tag that carries it never lets a client keep a URL past its life.
   */
  epoch(): string;
}

export interface ImageUrlOptions {
  imageStore: ImageStore;
  /** null: this handler serves no images (their store makes its own URLs, or the host serves them). */
  signer: ImageUrlSigner | null;
  ttlSeconds: number;
  /** Milliseconds since the epoch. */
  now: () => number;
}

const EXPIRY = /^[1-9][0-9]{0,11}$/;

/**
 * Signed URLs are `{stored URL}?exp={Unix s}&sig={HMAC}`. The expiry is rounded up to a step of a
 * quarter of the lifetime, so every response within one step carries the same URL and a browser
 * shows the image from its cache instead of loading it again; a URL lives from `ttlSeconds` to
 * 1.25 × `ttlSeconds`.
 */
export function createImageUrls(options: ImageUrlOptions): ImageUrls {
  const { imageStore, signer, ttlSeconds, now } = options;
  const step = Math.max(1, Math.floor(ttlSeconds / 4));
  const nowSeconds = () => Math.floor(now() / 1000);
  const expiry = () => Math.ceil((nowSeconds() + ttlSeconds) / step) * step;

  async function of(stored: string): Promise<string> {
    const key = imageStore.keyFromUrl(stored);
    if (key === null) return stored;
    if (imageStore.urlFor) return imageStore.urlFor(key);
    if (signer === null) return stored;
    const expiresAt = expiry();
    const base = stored.replace(/[?#].*$/, '');
    return `${base}?exp=${expiresAt}&sig=${await signer.sign(key, expiresAt)}`;
  }
  return {
    of,
    epoch() {
      if (imageStore.urlFor) return `m${Math.floor(nowSeconds() / 60).toString(36)}`;
      return signer === null ? '0' : expiry().toString(36);
    },
    async check(key, query) {
      const exp = query.get('exp');
      const sig = query.get('sig');
      if (signer === null || exp === null || sig === null || !EXPIRY.test(exp)) return null;
      const expiresAt = Number(exp);
      const left = expiresAt - nowSeconds();
      if (left <= 0) return null;
      return (await signer.verify(key, expiresAt, sig)) ? left : null;
    },
  };
}

/**
 * The image URLs of a handler, from its options: a secret is required unless the store makes its
 * own URLs or the host opts out with `serveImages: false`. Throws a `ValidationError` naming the
 * option, so a misconfigured host fails when it builds the handler, not at its first image.
 */
export function imageUrlsForHandler(options: RequestHandlerOptions): ImageUrls {
  const { imageStore } = options.engine;
  const ttlSeconds = options.imageUrlTtlSeconds ?? 3600;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 604_800)
    throw new ValidationError('imageUrlTtlSeconds', 'must be a whole number of seconds from 1 to 604800 (a week)');
  const serves = options.serveImages !== false && !imageStore.urlFor;
  if (serves && options.imageUrlSecret === undefined) {
    throw new ValidationError(
      'imageUrlSecret',
      "is required: this handler serves the engine's images at GET {basePath}/images/:key through signed, expiring URLs. " +
        'Pass a secret of at least 32 characters (the same in every process), or serveImages: false when the host serves the images itself',
    );
  }
  const signer =
    options.imageUrlSecret === undefined || options.serveImages === false ? null : createImageUrlSigner(options.imageUrlSecret);
  return createImageUrls({ imageStore, signer, ttlSeconds, now: options.now ?? Date.now });
}
