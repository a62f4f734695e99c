import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ChargeCallOptions } from '../client/create-client.js';
import type { ImageToImageRequest } from '../core/schemas/requests.js';
import type { ImageToImageResponse, UploadResponse } from '../core/schemas/responses.js';
import { type ClientHookOptions, useImageGenClient } from './context.js';
import { announce } from './refresh-bus.js';

/** Where an image-to-image stands. */
export type ImageToImageStage = 'idle' | 'uploading' | 'uploaded' | 'transforming' | 'done' | 'error';

/** What to transform: the request without `input_image`, which defaults to the uploaded file. */
export type TransformRequest = Omit<ImageToImageRequest, 'input_image'> & { input_image?: string };

/** What {@link useImageToImage} returns. */
export interface ImageToImageState {
  stage: ImageToImageStage;
  /** Steps done of upload-then-transform, in percent: 0, 50 once uploaded, 100 with the result. */
  progress: number;
  /** The checked upload (`data_url`, `type`, `size`); `null` before one. */
  upload: UploadResponse | null;
  /** The answer of the transform: `image_url` to show with `<img src>`, `credits_remaining`. */
  result: ImageToImageResponse | null;
  /** Why the last step failed (`unsupported_media_type`, `payload_too_large`, `insufficient_credits`…). */
  error: unknown;
  /** `POST /upload-image`: checks the file (JPEG, PNG or WebP, 10 MiB at most). */
  uploadFile(file: Blob, options?: { filename?: string }): Promise<UploadResponse | undefined>;
  /** `POST /image-to-image` of the uploaded file (2 credits, refunded if it fails). */
  transform(request: TransformRequest, call?: ChargeCallOptions): Promise<ImageToImageResponse | undefined>;
  /** Upload, then transform. */
  run(file: Blob, request: TransformRequest, call?: ChargeCallOptions): Promise<ImageToImageResponse | undefined>;
  reset(): void;
}

interface Step {
  stage: ImageToImageStage;
  upload: UploadResponse | null;
  result: ImageToImageResponse | null;
  error: unknown;
}

const IDLE: Step = { stage: 'idle', upload: null, result: null, error: null };
const PROGRESS: Record<ImageToImageStage, number> = { idle: 0, uploading: 0, uploaded: 50, transforming: 50, done: 100, error: 0 };

/**
 * Upload-then-transform form state. Each step resolves with its answer, or `undefined` when it
 * failed (see `error`); a newer call or `reset` makes an older one's answer no longer count. The
 * charge (and the refund of a failed transform) refreshes every `useCredits` on the same client,
 * the new record every `useRecords`.
 */
export function useImageToImage(options: ClientHookOptions = {}): ImageToImageState {
  const client = useImageGenClient(options);
  const [step, setStep] = useState<Step>(IDLE);
  // The latest upload, read by `transform` in the same tick as `uploadFile` resolved (`run`).
  const uploaded = useRef<UploadResponse | null>(null);
  const callId = useRef(0);
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const doUpload = useCallback(
    async (file: Blob, upload: { filename?: string }, id: number) => {
      const live = () => id === callId.current && mounted.current;
      setStep((s) => ({ ...s, stage: 'uploading', error: null, result: null }));
      try {
        const answer = await client.uploadImage(file, upload);
        if (!live()) return undefined;
        uploaded.current = answer;
        setStep({ stage: 'uploaded', upload: answer, result: null, error: null });
        return answer;
      } catch (error) {
        if (live()) setStep((s) => ({ ...s, stage: 'error', error }));
        return undefined;
      }
    },
    [client],
  );

  const doTransform = useCallback(
    async (request: TransformRequest, call: ChargeCallOptions | undefined, id: number) => {
      const live = () => id === callId.current && mounted.current;
      const input = request.input_image ?? uploaded.current?.data_url;
      if (!input) {
        const error = new TypeError('imagegen-kit/react: upload an image first (or pass input_image)');
        setStep((s) => ({ ...s, stage: 'error', error }));
        return undefined;
      }
      setStep((s) => ({ ...s, stage: 'transforming', error: null, result: null }));
      try {
        const answer = await client.imageToImage({ ...request, input_image: input }, call);
        announce(client, 'credits', { balance: answer.credits_remaining });
        announce(client, 'records');
        if (live()) setStep((s) => ({ ...s, stage: 'done', result: answer }));
        return answer;
      } catch (error) {
        // Charged then refunded, or not charged at all: either way the balance is worth reading.
        announce(client, 'credits');
        if (live()) setStep((s) => ({ ...s, stage: 'error', error }));
        return undefined;
      }
    },
    [client],
  );

  const calls = useMemo(
    () => ({
      uploadFile: (file: Blob, upload: { filename?: string } = {}) => doUpload(file, upload, ++callId.current),
      transform: (request: TransformRequest, call?: ChargeCallOptions) => doTransform(request, call, ++callId.current),
      run: async (file: Blob, request: TransformRequest, call?: ChargeCallOptions) => {
        const id = ++callId.current;
        const upload = await doUpload(file, {}, id);
        if (!upload || id !== callId.current) return undefined;
        return doTransform({ ...request, input_image: upload.data_url }, call, id);
      },
      reset: () => {
        callId.current++;
        uploaded.current = null;
        setStep(IDLE);
      },
    }),
    [doUpload, doTransform],
  );

  return { ...step, progress: PROGRESS[step.stage], ...calls };
}
