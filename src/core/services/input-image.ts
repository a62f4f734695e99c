import { ValidationError } from '../errors/validation-error.js';
import { checkImage } from '../image-input/check.js';
import { parseDataUrl } from '../image-input/data-url.js';
import type { ImageLimits } from '../image-input/limits.js';
import type { ImageBytes } from '../ports/provider-adapter.js';
import type { InputImageFetcher } from '../ports/single-generation.js';

/**
 * Turns `input_image` into checked bytes: a strict data URL is decoded; an http(s) URL goes to the
 * host's fetcher (refused when there is none). Either way the upload check runs on the bytes.
 * Nothing is charged before this returns.
 */
export async function resolveInputImage(
  text: string,
  deps: { fetcher: InputImageFetcher | undefined; limits: ImageLimits; signal: AbortSignal },
): Promise<ImageBytes> {
  if (/^data:/i.test(text)) {
    const { type, bytes } = parseDataUrl(text, { maxBytes: deps.limits.maxBytes, field: 'input_image' });
    const image = checkImage(bytes, type, deps.limits);
    return { bytes: image.bytes, contentType: image.type };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError('input_image', 'must be a data URL (data:image/png;base64,...) or an https URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ValidationError('input_image', `must be a data URL or an https URL (${url.protocol.replace(/:$/, '')}: is not accepted)`, {
      reason: 'scheme',
    });
  }
  if (!deps.fetcher) {
    throw new ValidationError(
      'input_image',
      'URLs are not accepted by this server: send the image as a data URL (POST /api/upload-image returns one)',
      {
        reason: 'urls_disabled',
      },
    );
  }
  const fetched = await deps.fetcher(url.href, { signal: deps.signal });
  const image = checkImage(fetched.bytes, fetched.contentType, deps.limits);
  return { bytes: image.bytes, contentType: image.type };
}
