export { DEFAULT_IMAGE_LIMITS, IMAGE_TYPES, resolveImageLimits, type ImageLimits, type ImageType } from './limits.js';
export { sniffImageType } from './sniff.js';
export { readImageDimensions, type ImageDimensions } from './dimensions.js';
export { decodeBase64Strict, encodeBase64, type Base64Problem } from './base64.js';
export { checkImage, isImageType, normaliseDeclaredType, type CheckedImage } from './check.js';
export { parseDataUrl, toDataUrl } from './data-url.js';
export { uploadImage, type UploadedImage } from './upload.js';
