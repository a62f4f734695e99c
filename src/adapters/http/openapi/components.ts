import { creditGrantViewSchema } from '../../../core/schemas/grants.js';
import {
  publicBatchSchema,
  publicBatchSummarySchema,
  publicGenerationRecordSchema,
  publicTaskSchema,
} from '../../../core/schemas/public.js';
import { ledgerEntrySchema } from '../../../core/schemas/records.js';
import {
  batchGenerateRequestSchema,
  generateRequestSchema,
  imageToImageRequestSchema,
  taskRefRequestSchema,
  uploadImageFormSchema,
} from '../../../core/schemas/requests.js';
import {
  batchCreatedResponseSchema,
  batchListResponseSchema,
  creditsResponseSchema,
  errorBodySchema,
  generateResponseSchema,
  imageToImageResponseSchema,
  uploadResponseSchema,
  webhookAckSchema,
} from '../../../core/schemas/responses.js';
import { progressEventSchema, recordListResponseSchema, retryResponseSchema } from '../../../core/schemas/wire.js';
import { IDEMPOTENCY_KEY_PATTERN } from '../idempotency.js';
import type { DocOptions, DocSchema, ErrorStatus } from './route-doc.js';

/** `POST /batch/generate`'s body under the handler's batch limit. */
export const batchGenerateRequestDoc = (options: DocOptions) => batchGenerateRequestSchema(options.maxTasksPerBatch);

/**
 * Schemas that become named components (`#/components/schemas/{name}`) when a route uses them,
 * directly or nested. Requests are described as the client sends them (zod's input side).
 */
export const REQUEST_COMPONENTS: ReadonlyMap<DocSchema, string> = new Map<DocSchema, string>([
  [uploadImageFormSchema, 'UploadImageForm'],
  [imageToImageRequestSchema, 'ImageToImageRequest'],
  [generateRequestSchema, 'GenerateRequest'],
  [batchGenerateRequestDoc, 'BatchGenerateRequest'],
  [taskRefRequestSchema, 'TaskRef'],
]);

/** Responses and the public records, described as the handler sends them (zod's output side). */
export const RESPONSE_COMPONENTS: ReadonlyMap<DocSchema, string> = new Map<DocSchema, string>([
  [errorBodySchema, 'Error'],
  [uploadResponseSchema, 'UploadResponse'],
  [imageToImageResponseSchema, 'ImageToImageResponse'],
  [generateResponseSchema, 'GenerateResponse'],
  [batchCreatedResponseSchema, 'BatchCreatedResponse'],
  [publicBatchSchema, 'BatchRecord'],
  [publicTaskSchema, 'BatchTask'],
  [publicBatchSummarySchema, 'BatchSummary'],
  [batchListResponseSchema, 'BatchListResponse'],
  [retryResponseSchema, 'RetryResponse'],
  [progressEventSchema, 'ProgressEvent'],
  [creditsResponseSchema, 'CreditsResponse'],
  [ledgerEntrySchema, 'LedgerEntry'],
  [creditGrantViewSchema, 'CreditGrant'],
  [publicGenerationRecordSchema, 'GenerationRecord'],
  [recordListResponseSchema, 'RecordListResponse'],
  [webhookAckSchema, 'WebhookAck'],
]);

/** What each error status means across the API; `code` in the body says which case it is. */
export const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'Validation failed; `field` names the bad input',
  401: 'No or invalid bearer token',
  402: 'Not enough credits; `required` and `available` say how many',
  404: 'Unknown, or not yours',
  409: 'Conflict (an Idempotency-Key reused with another body, a task not in the expected state)',
  413: 'Too large',
  415: 'Not a JPEG, PNG or WebP image',
  429: 'Rate limited; see Retry-After',
  501: 'Not supported by this engine',
  502: 'The image provider failed (credits refunded)',
  503: 'Temporarily unavailable; retry later',
  504: 'The image provider timed out (credits refunded)',
};

/** The header parameter of every charging `POST`. */
/** The `ETag` header of a conditional read's answers (`RouteDoc.conditional`). */
export const ETAG_HEADER = {
  ETag: {
    description: 'The version of what the body shows (not a hash of it); send it back in `If-None-Match`',
    schema: { type: 'string' },
  },
};

/** The 304 of a conditional read. */
export const NOT_MODIFIED_RESPONSE = {
  description:
    'Not modified: the request sent `If-None-Match` with the `ETag` of an earlier answer, which is still current; no body (ownership is checked first: a batch of another user is a 404)',
  headers: ETAG_HEADER,
};

export const IDEMPOTENCY_KEY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Same key + same body replays the first response without charging again; same key + another body is a 409.',
  schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source },
};
