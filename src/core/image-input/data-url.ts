import { PayloadTooLargeError } from '../errors/payload-too-large-error.js';
import { UnsupportedMediaTypeError } from '../errors/unsupported-media-type-error.js';
import { ValidationError } from '../errors/validation-error.js';
import { decodeBase64Strict, encodeBase64 } from './base64.js';
import { isImageType } from './check.js';
import { DEFAULT_IMAGE_LIMITS, type ImageType } from './limits.js';

/** `data:<type>/<subtype>;base64,` and nothing else: no parameters, no percent-encoded form. */
const HEADER = /^data:([a-z]+\/[a-z0-9.+-]+);base64,/i;

/**
 * Parses a data URL strictly: `data:<type>;base64,<payload>` only. The payload must be standard
 * base64 with correct padding (no whitespace, no base64url), and its length is checked against
 * `maxBytes` before anything is decoded. The type must be JPEG, PNG or WebP; whether the bytes
 * agree is for {@link checkImage}.
 *
 * @throws ValidationError on `field` when the text is not such a data URL.
 * @throws PayloadTooLargeError when the payload would decode to more than `maxBytes`.
 * @throws UnsupportedMediaTypeError when the declared type is not an accepted image type.
 */
export function parseDataUrl(text: string, options: { maxBytes?: number; field?: string } = {}): { type: ImageType; bytes: Uint8Array } {
  const field = options.field ?? 'input_image';
  const maxBytes = options.maxBytes ?? DEFAULT_IMAGE_LIMITS.maxBytes;
  const header = HEADER.exec(text.slice(0, 200));
  if (!header) {
    throw new ValidationError(field, 'must be a data URL of the form data:<type>;base64,<payload> (no parameters such as charset)');
  }
  const type = header[1]!.toLowerCase();
  if (!isImageType(type)) {
    throw new UnsupportedMediaTypeError(`Unsupported image type ${type}: send a JPEG, PNG or WebP image`, { declared_type: type });
  }
  const payloadLength = text.length - header[0].length;
  if (payloadLength > Math.ceil(maxBytes / 3) * 4) {
    throw new PayloadTooLargeError(maxBytes, `The image is too large: the limit is ${maxBytes} bytes`);
  }
  const decoded = decodeBase64Strict(text.slice(header[0].length));
  if (typeof decoded === 'string') {
    const why =
      decoded === 'alphabet'
        ? 'holds characters outside standard base64 (no whitespace, no base64url - or _)'
        : decoded === 'length'
          ? 'is not whole base64: its length must be a multiple of 4'
          : 'has incorrect base64 padding';
    throw new ValidationError(field, `data URL payload ${why}`);
  }
  if (decoded.byteLength === 0) throw new ValidationError(field, 'data URL payload is empty');
  return { type, bytes: decoded };
}

/** `data:<type>;base64,<payload>` of the bytes. */
export function toDataUrl(bytes: Uint8Array, type: string): string {
  return `data:${type};base64,${encodeBase64(bytes)}`;
}
