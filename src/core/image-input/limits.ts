/** Image types accepted as input, decided by the file's bytes. */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/** Limits applied to every input image before anything decodes it. */
export interface ImageLimits {
  /** Largest file in bytes. @default 10 MiB (10_485_760) */
  maxBytes: number;
  /** Largest width × height read from the header. @default 40_000_000 */
  maxPixels: number;
  /** Largest width or height read from the header. @default 12_000 */
  maxSide: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = { maxBytes: 10 * 1024 * 1024, maxPixels: 40_000_000, maxSide: 12_000 };

/** The defaults with a host's overrides, checked. */
export function resolveImageLimits(overrides: Partial<ImageLimits> = {}): ImageLimits {
  const limits = { ...DEFAULT_IMAGE_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`imageLimits.${name} must be a whole number greater than 0`);
  }
  return limits;
}
