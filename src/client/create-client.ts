import type { PublicBatch, PublicTask } from '../core/schemas/public.js';
import type { BatchCancelResponse } from '../core/schemas/cancel.js';
import type { BatchGenerateRequest, GenerateRequest, ImageToImageRequest } from '../core/schemas/requests.js';
import type {
  BatchCreatedResponse,
  BatchListResponse,
  CreditsResponse,
  GenerateResponse,
  ImageToImageResponse,
  UploadResponse,
} from '../core/schemas/responses.js';
import type { RecordListResponse, RetryResponse } from '../core/schemas/wire.js';
import { waitForBatch, watchBatch, type WaitForBatchOptions, type WatchBatchOptions } from './batch-watch.js';
import { newIdempotencyKey } from './idempotency-key.js';
import { toApiError, Transport } from './transport.js';
import type { WireSchema } from './wire-check.js';
import {
  batchCancelResponseWire,
  batchCreatedResponseWire,
  batchListResponseWire,
  creditsResponseWire,
  generateResponseWire,
  imageToImageResponseWire,
  publicBatchWire,
  publicTaskWire,
  recordListResponseWire,
  retryResponseWire,
  uploadResponseWire,
} from './wire-schemas.js';

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** Where the API lives. @default '/api' (same origin, in a browser) */
  baseUrl?: string;
  /** The bearer token, or a function that returns the current one. */
  token?: string | (() => string | null | undefined | Promise<string | null | undefined>);
  /** A `fetch` to use instead of the global one (tests pass the handler itself). */
  fetch?: typeof fetch;
  /** Per request, in ms. @default 120000 */
  timeout?: number;
  /** Retries of a request that met a network error, 408, 500 or 503 (charging calls keep their Idempotency-Key). @default 2 */
  retries?: number;
}

/** Options of a call that charges credits. */
export interface ChargeCallOptions {
  /** @default a new random key per call, reused by its retries */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/** Paging of list calls. */
export interface PageOptions {
  /** @default 20 */
  limit?: number;
  cursor?: string | null;
  signal?: AbortSignal;
}

const pageQuery = (page: PageOptions) => {
  const query = new URLSearchParams();
  if (page.limit !== undefined) query.set('limit', String(page.limit));
  if (page.cursor) query.set('cursor', page.cursor);
  const text = query.toString();
  return text ? `?${text}` : '';
};

/**
 * A typed client of the imagegen-kit HTTP API, for browsers and Node. Every answer is checked
 * against the API's schemas; every failure is an `ImageGenApiError`.
 *
 * @example
 * const api = createClient({ baseUrl: 'https://example.com/api', token });
 * const { batch_id } = await api.submitBatch({ prompt: 'a red fox', count: 3 });
 * for await (const batch of api.watchBatch(batch_id)) render(batch);
 */
export function createClient(options: ClientOptions = {}) {
  const transport = new Transport({ ...options, baseUrl: options.baseUrl ?? '/api' });
  const signalOf = (signal?: AbortSignal) => (signal ? { signal } : {});

  const charge = <S extends WireSchema>(schema: S, path: string, body: unknown, call: ChargeCallOptions = {}) =>
    transport.json(schema, transport.url(path), {
      method: 'post',
      json: body,
      headers: { 'Idempotency-Key': call.idempotencyKey ?? newIdempotencyKey() },
      // Safe to retry: the server replays the first answer for the same key.
      retry: {
        limit: options.retries ?? 2,
        methods: ['post'],
        statusCodes: [408, 500, 503],
        afterStatusCodes: [503],
        maxRetryAfter: 10_000,
      },
      ...signalOf(call.signal),
    });

  const batchStatus = (batchId: string, signal?: AbortSignal): Promise<PublicBatch> =>
    transport.conditionalJson(publicBatchWire, transport.url(`/batch/status?batch_id=${encodeURIComponent(batchId)}`), signalOf(signal));

  return {
    /** `POST /upload-image`: checks a JPEG, PNG or WebP file (10 MiB at most) and returns it as a data URL. */
    uploadImage(file: Blob, options: { filename?: string; signal?: AbortSignal } = {}): Promise<UploadResponse> {
      const form = new FormData();
      form.append('image', file, options.filename ?? ((file as { name?: string }).name || 'image'));
      return transport.json(uploadResponseWire, transport.url('/upload-image'), {
        method: 'post',
        body: form,
        ...signalOf(options.signal),
      });
    },
    /** `POST /image-to-image` (2 credits, refunded if it fails). */
    imageToImage(body: ImageToImageRequest, call?: ChargeCallOptions): Promise<ImageToImageResponse> {
      return charge(imageToImageResponseWire, '/image-to-image', body, call);
    },
    /** `POST /generate`: text-to-image (1 credit, refunded if it fails). */
    generate(body: GenerateRequest, call?: ChargeCallOptions): Promise<GenerateResponse> {
      return charge(generateResponseWire, '/generate', body, call);
    },
    /** `POST /batch/generate`: `{ prompts }` or `{ prompt, count }`, 1 credit per task charged now. */
    submitBatch(body: BatchGenerateRequest, call?: ChargeCallOptions): Promise<BatchCreatedResponse> {
      return charge(batchCreatedResponseWire, '/batch/generate', body, call);
    },
    /** `GET /batch/status`. */
    batchStatus,
    /** `GET /batch/list`, newest first. */
    listBatches(page: PageOptions = {}): Promise<BatchListResponse> {
      return transport.conditionalJson(batchListResponseWire, transport.url(`/batch/list${pageQuery(page)}`), signalOf(page.signal));
    },
    /** `POST /batch/process`: runs one task now and returns it. */
    processTask(batchId: string, taskIndex: number, call: { signal?: AbortSignal } = {}): Promise<PublicTask> {
      return transport.json(publicTaskWire, transport.url('/batch/process'), {
        method: 'post',
        json: { batch_id: batchId, task_index: taskIndex },
        ...signalOf(call.signal),
      });
    },
    /** `POST /batch/retry`: queues a failed task again (1 credit). */
    retryTask(batchId: string, taskIndex: number, call?: ChargeCallOptions): Promise<RetryResponse> {
      return charge(retryResponseWire, '/batch/retry', { batch_id: batchId, task_index: taskIndex }, call);
    },
    /**
     * `POST /batch/cancel`: the whole batch, or one task with `taskIndex`. Waiting tasks end
     * `cancelled` and are refunded once; running ones are stopped. Cancelling again answers the same.
     */
    cancelBatch(batchId: string, call: { taskIndex?: number; signal?: AbortSignal } = {}): Promise<BatchCancelResponse> {
      return transport.json(batchCancelResponseWire, transport.url('/batch/cancel'), {
        method: 'post',
        json: { batch_id: batchId, ...(call.taskIndex === undefined ? {} : { task_index: call.taskIndex }) },
        ...signalOf(call.signal),
      });
    },
    /** `GET /credits`: the balance, the live grants (in draw order) and ledger entries, newest first. */
    credits(page: PageOptions = {}): Promise<CreditsResponse> {
      return transport.json(creditsResponseWire, transport.url(`/credits${pageQuery(page)}`), signalOf(page.signal));
    },
    /** `GET /records`: single generations, newest first. */
    records(page: PageOptions = {}): Promise<RecordListResponse> {
      return transport.conditionalJson(recordListResponseWire, transport.url(`/records${pageQuery(page)}`), signalOf(page.signal));
    },
    /**
     * Downloads an image by a URL from a response (`imageUrl` / `image_url`), for scripts that want
     * the bytes. Those URLs are signed or presigned: no token is sent (the URL may be a bucket's or a
     * CDN's), and a page shows them directly with `<img src>`. An expired URL is a 404: read the
     * record again for a fresh one.
     */
    async image(url: string, call: { signal?: AbortSignal } = {}): Promise<Blob> {
      try {
        return await transport.anonymous(transport.resolve(url), signalOf(call.signal)).blob();
      } catch (error) {
        throw await toApiError(error);
      }
    },
    /** Polls the status every `interval` (2.5 s) until every task has ended. */
    waitForBatch(batchId: string, wait: WaitForBatchOptions = {}): Promise<PublicBatch> {
      return waitForBatch(batchStatus, batchId, wait);
    },
    /** The batch after each change, from the event stream (polling if it fails), until it completes. */
    watchBatch(batchId: string, watch: WatchBatchOptions = {}): AsyncGenerator<PublicBatch, PublicBatch> {
      return watchBatch(transport, batchStatus, batchId, watch);
    },
  };
}

/** A client made by {@link createClient}. */
export type ImageGenClient = ReturnType<typeof createClient>;
