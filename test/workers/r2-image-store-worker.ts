// A Worker that runs the image-store suite (test/image-stores) on the R2-binding store, with
// `vitest` aliased to the shim, and answers the results as JSON.
import { createR2ImageStore, type R2BucketLike } from '../../dist/adapters/image-stores/r2/index.js';
import { runImageStoreSuite } from '../image-stores/image-store-suite.js';
import { runRegistered } from './vitest-shim.js';

let registered = false;

export default {
  async fetch(_request: Request, env: { IMAGES: R2BucketLike }): Promise<Response> {
    if (!registered) {
      registered = true;
      runImageStoreSuite('r2 binding', async () => createR2ImageStore({ bucket: env.IMAGES }));
      runImageStoreSuite('r2 binding, key prefix', async () => createR2ImageStore({ bucket: env.IMAGES, keyPrefix: 'images/' }));
    }
    return Response.json({ results: await runRegistered() });
  },
};
