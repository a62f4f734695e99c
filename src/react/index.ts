/**
 * imagegen-kit/react: hooks over the typed client of `imagegen-kit/client`, for React 18 and 19.
 * Safe to import and render on the server: requests start in effects, which run in the browser only.
 */
export { ImageGenProvider, useImageGenClient, type ImageGenProviderProps, type ClientHookOptions } from './context.js';
export { useBatch, type UseBatchOptions, type BatchState } from './use-batch.js';
export { useSubmitBatch, type SubmitBatchState } from './use-submit-batch.js';
export {
  useImageToImage,
  type ImageToImageState,
  type ImageToImageStage,
  type TransformRequest,
} from './use-image-to-image.js';
export { useCredits, type UseCreditsOptions, type CreditsState } from './use-credits.js';
export { useRecords, type UseRecordsOptions, type RecordsState } from './use-records.js';
export type { ActionState, ActionStatus } from './use-action.js';
