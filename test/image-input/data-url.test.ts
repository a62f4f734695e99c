import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../src/core/errors/index.js';
import { decodeBase64Strict, encodeBase64 } from '../../src/core/image-input/base64.js';
import { parseDataUrl } from '../../src/core/image-input/data-url.js';
import { b64, makeImage } from './fixtures.js';

describe('strict data URL parser', () => {
  it('parses data:<type>;base64,<payload> into the exact bytes', async () => {
    const png = await makeImage('png');
    const parsed = parseDataUrl(`data:image/png;base64,${b64(png)}`);
    expect(parsed.type).toBe('image/png');
    expect(Buffer.from(parsed.bytes).equals(Buffer.from(png))).toBe(true);
  });

  const payload = b64(new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3, 250, 251]));
  it.each([
    ['a space inside the payload', `data:image/png;base64,${payload.slice(0, 4)} ${payload.slice(4)}`],
    ['a newline inside the payload', `data:image/png;base64,${payload.slice(0, 8)}\n${payload.slice(8)}`],
    ['a trailing newline', `data:image/png;base64,${payload}\n`],
    ['base64url characters', `data:image/png;base64,${Buffer.from([251, 255, 191, 62, 63, 0]).toString('base64url')}AA`],
    ['missing padding', `data:image/png;base64,${payload.replace(/=+$/, '')}`],
    ['too much padding', `data:image/png;base64,${payload}==`],
    ['padding in the middle', `data:image/png;base64,AA==${payload}`],
    ['non-zero bits under the padding', 'data:image/png;base64,iVBORw0KGgB='],
    ['non-base64 text', 'data:image/png;base64,<html>hello</html>!!'],
    ['a charset parameter', `data:image/png;charset=utf-8;base64,${payload}`],
    ['no ;base64 marker', `data:image/png,${payload}`],
    ['no type', `data:;base64,${payload}`],
    ['an empty payload', 'data:image/png;base64,'],
    ['leading whitespace', ` data:image/png;base64,${payload}`],
    ['a plain string', 'hello'],
  ])('refuses %s with a validation error on input_image', (_, text) => {
    const error = catchError(() => parseDataUrl(text));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'input_image', status: 400 });
  });

  it('refuses a type that is not JPEG, PNG or WebP with 415', () => {
    for (const type of ['text/html', 'image/svg+xml', 'image/gif']) {
      expect(() => parseDataUrl(`data:${type};base64,${payload}`)).toThrow(UnsupportedMediaTypeError);
    }
  });

  it('caps the encoded length before decoding anything', () => {
    const huge = `data:image/png;base64,${'A'.repeat(Math.ceil((1024 * 1024) / 3) * 4 + 4)}`;
    expect(() => parseDataUrl(huge, { maxBytes: 1024 * 1024 })).toThrow(PayloadTooLargeError);
    // Invalid characters past the cap do not matter: the length alone decides.
    expect(() => parseDataUrl(`${huge}!!!!`, { maxBytes: 1024 * 1024 })).toThrow(PayloadTooLargeError);
  });

  it('encodes and decodes every byte value and every tail length like Buffer does', () => {
    const all = new Uint8Array(259).map((_, i) => (i * 7) & 255);
    for (let n = 0; n < 7; n++) {
      const bytes = all.slice(0, all.length - n);
      expect(encodeBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      expect(Buffer.from(decodeBase64Strict(Buffer.from(bytes).toString('base64')) as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
    }
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
