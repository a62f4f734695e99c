/** A stored image. */
export interface StoredImage {
  key: string;
  /**
   * The stable reference kept in records. For stores with {@link ImageStore.urlFor} it may also
   * load in a browser for a while; for the others it is a reference only, and the HTTP handler
   * turns it into a signed URL when it answers.
   */
  url: string;
  contentType: string;
  size: number;
}

export interface ImagePutOptions {
  contentType: string;
  /** The owner, so hosts can check ownership when serving the image. */
  owner: string;
  /** A stable key, so writing the same result twice overwrites instead of duplicating. */
  key?: string;
}

/**
 * Where generated images are copied so their URLs never expire (provider URLs do).
 */
export interface ImageStore {
  put(bytes: Uint8Array, options: ImagePutOptions): Promise<StoredImage>;
  /** The bytes, content type and owner of a stored image, or null. */
  get(key: string): Promise<{ bytes: Uint8Array; contentType: string; owner: string } | null>;
  delete(key: string): Promise<void>;
  /** The key of a URL this store handed out, or null when the URL is not one of its own. */
  keyFromUrl(url: string): string | null;
  /**
   * A URL a browser can load without credentials (`<img src>`), made now for a stored key: a
   * presigned GET or a public/CDN URL. Stores that serve their images from elsewhere have it; for
   * the others (memory, filesystem) the HTTP handler serves the bytes and signs its own URLs.
   */
  urlFor?(key: string): Promise<string>;
}
