import { decodeBase64Loose } from '../../../core/image-input/base64.js';

export { sniffImageType } from '../../../core/image-input/sniff.js';
export { toDataUrl } from '../../../core/image-input/data-url.js';

/** The bytes of a `data:` URL or of plain base64 text from a provider; empty when it is not base64. */
export function fromBase64(text: string): Uint8Array {
  const comma = text.startsWith('data:') ? text.indexOf(',') : -1;
  return decodeBase64Loose(comma >= 0 ? text.slice(comma + 1) : text) ?? new Uint8Array();
}
