import { PayloadTooLargeError } from '../errors/payload-too-large-error.js';
import { UnsupportedMediaTypeError } from '../errors/unsupported-media-type-error.js';
import { readImageDimensions } from './dimensions.js';
import { DEFAULT_IMAGE_LIMITS, IMAGE_TYPES, type ImageLimits, type ImageType } from './limits.js';
import { sniffImageType } from './sniff.js';

/** An input image that passed {@link checkImage}. */
export interface CheckedImage {
  bytes: Uint8Array;
  type: ImageType;
  size: number;
  width: number;
  height: number;
}

/** Declared types that say nothing about the content (a browser that did not know). */
const UNDECLARED = new Set(['', 'application/octet-stream', 'binary/octet-stream']);
const ALIASES: Record<string, ImageType> = { 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg' };

/**
 * The upload check: at most `maxBytes`; JPEG, PNG or WebP decided by the bytes; a declared type
 * that disagrees with the bytes is refused; width, height and pixel count read from the header and
 * limited before anything decodes the image.
 *
 * @throws PayloadTooLargeError (413) over the size limit.
 * @throws UnsupportedMediaTypeError (415) for any other kind of file, a mismatched declared type,
 *   a malformed header, or dimensions over the limits.
 */
export function checkImage(bytes: Uint8Array, declaredType?: string | null, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): CheckedImage {
  if (bytes.byteLength > limits.maxBytes) {
    throw new PayloadTooLargeError(limits.maxBytes, `The image is too large: ${bytes.byteLength} bytes, the limit is ${limits.maxBytes}`);
  }
  const declared = normaliseDeclaredType(declaredType);
  const type = sniffImageType(bytes);
  if (!type) {
    throw new UnsupportedMediaTypeError(
      'Unsupported image: the file is not a JPEG, PNG or WebP image',
      declared ? { declared_type: declared } : {},
    );
  }
  if (declared !== null && declared !== type) {
    throw new UnsupportedMediaTypeError(`The file was declared as ${declared} but its content is ${type}`, {
      declared_type: declared,
      detected_type: type,
    });
  }
  const dimensions = readImageDimensions(bytes, type);
  if (!dimensions) throw new UnsupportedMediaTypeError(`The file starts like ${type} but its header is malformed`, { detected_type: type });
  const { width, height } = dimensions;
  if (width > limits.maxSide || height > limits.maxSide || width * height > limits.maxPixels) {
    throw new PayloadTooLargeError(
      limits.maxPixels,
      `The image is ${width}×${height}: the limit is ${limits.maxSide} pixels a side and ${limits.maxPixels} pixels in all`,
      { unit: 'pixels', width, height, max_side: limits.maxSide, max_pixels: limits.maxPixels },
    );
  }
  return { bytes, type, size: bytes.byteLength, width, height };
}

/** The declared media type without parameters, lower-cased, aliases resolved; null when undeclared. */
export function normaliseDeclaredType(declared: string | null | undefined): string | null {
  if (declared === undefined || declared === null) return null;
  const bare = declared.split(';')[0]!.trim().toLowerCase();
  if (UNDECLARED.has(bare)) return null;
  return ALIASES[bare] ?? bare;
}

/** True for the three accepted image types. */
export function isImageType(type: string): type is ImageType {
  return (IMAGE_TYPES as readonly string[]).includes(type);
}
