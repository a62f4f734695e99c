/**
 * An S3 request that failed: a non-2xx answer (other than a missing object on read) or no answer
 * at all. The message names the operation, bucket, object and S3's error code; it never holds a
 * credential (requests carry only the access key id and a signature, never the secret).
 */
export class S3RequestError extends Error {
  /** The HTTP status, or 0 when the endpoint could not be reached. */
  readonly status: number;
  /** S3's error code from the XML body (`AccessDenied`, `NoSuchBucket`, ...), when it sent one. */
  readonly s3Code: string | undefined;
  readonly operation: string;
  readonly objectKey: string;

  constructor(
    operation: string,
    bucket: string,
    objectKey: string,
    status: number,
    detail: string,
    s3Code?: string,
    options?: { cause?: unknown },
  ) {
    super(`S3 ${operation} ${bucket}/${objectKey} failed: ${detail}`, options);
    this.name = 'S3RequestError';
    this.status = status;
    this.s3Code = s3Code;
    this.operation = operation;
    this.objectKey = objectKey;
  }

  /** From an error answer: reads `<Code>` and `<Message>` of S3's XML error body. */
  static async fromResponse(operation: string, bucket: string, objectKey: string, response: Response): Promise<S3RequestError> {
    const body = await response.text().catch(() => '');
    const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
    const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
    const detail = `HTTP ${response.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
    return new S3RequestError(operation, bucket, objectKey, response.status, detail, code);
  }

  /** From a network failure (connection refused, DNS, TLS). */
  static unreachable(operation: string, bucket: string, objectKey: string, cause: unknown): S3RequestError {
    const reason = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause);
    return new S3RequestError(operation, bucket, objectKey, 0, `endpoint not reachable (${reason})`, undefined, { cause });
  }
}
