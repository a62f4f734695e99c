import { ValidationError } from '../errors/validation-error.js';
import type { ProviderAdapter } from '../ports/provider-adapter.js';
import type { AspectRatio, OutputFormat } from '../schemas/params.js';

/**
 * Rejects, before anything is charged, a request the configured provider cannot make: an output
 * format it does not produce, an input image when it has no image-to-image, or an aspect ratio it
 * refuses (`capabilities.aspectRatios`). What it drops instead, the adapter logs.
 */
export function assertProviderSupports(
  provider: Pick<ProviderAdapter, 'name' | 'capabilities'>,
  request: { outputFormat: OutputFormat; imageToImage?: boolean; aspectRatio?: AspectRatio },
): void {
  const formats = provider.capabilities.outputFormats;
  if (!formats.includes(request.outputFormat)) {
    throw new ValidationError(
      'output_format',
      `the ${provider.name} provider cannot make ${request.outputFormat} images; use ${formats.join(', ')}`,
    );
  }
  if (request.imageToImage && !provider.capabilities.imageToImage) {
    throw new ValidationError('input_image', `the ${provider.name} provider does not support image-to-image`);
  }
  const ratios = provider.capabilities.aspectRatios;
  if (request.aspectRatio && ratios && !ratios.includes(request.aspectRatio)) {
    throw new ValidationError(
      'aspect_ratio',
      `the ${provider.name} provider cannot make ${request.aspectRatio} images; use ${ratios.join(', ')}`,
    );
  }
}
