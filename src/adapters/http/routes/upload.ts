import { uploadImage } from '../../../core/image-input/index.js';
import { uploadImageFormSchema } from '../../../core/schemas/requests.js';
import { type UploadResponse, uploadResponseSchema } from '../../../core/schemas/responses.js';
import { json } from '../json.js';
import { readMultipartFile } from '../read-body.js';
import type { Route } from '../route-context.js';

export const uploadRoutes: Route[] = [
  {
    method: 'POST',
    path: '/upload-image',
    doc: {
      summary: 'Upload an image (JPEG, PNG or WebP, decided by its bytes) and get it back as a data URL',
      body: { multipart: uploadImageFormSchema },
      responses: { 200: { description: 'The image as a data URL', json: uploadResponseSchema } },
      errors: [400, 413, 415],
    },
    handle: async (ctx) => {
      const { maxImageBytes, engine, messages } = ctx.settings;
      const file = await readMultipartFile(ctx.request, 'image', maxImageBytes);
      // The type is decided by the bytes; a declared type that disagrees is refused.
      const uploaded = uploadImage(file.bytes, file.type || null, { ...engine.imageLimits, maxBytes: maxImageBytes });
      const response: UploadResponse = { message: messages.upload, ...uploaded };
      return json(response);
    },
  },
];
