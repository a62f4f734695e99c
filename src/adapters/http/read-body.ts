import { PayloadTooLargeError } from '../../core/errors/payload-too-large-error.js';
import { ValidationError } from '../../core/errors/validation-error.js';
import { readCapped, StreamTooLargeError } from '../../core/streams/read-capped.js';

/**
 * Reads the body into memory and stops as soon as it passes `limit` bytes, so a client cannot make
 * the server buffer more than the limit (a lying or missing `Content-Length` changes nothing).
 */
export async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  try {
    return await readCapped(request.body, limit);
  } catch (error) {
    if (error instanceof StreamTooLargeError) throw tooLarge(limit);
    throw error;
  }
}

/** Parses JSON bytes; an empty or malformed body is a 400 naming `body`. */
export function parseJson(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) throw new ValidationError('body', 'is required (a JSON object)');
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ValidationError('body', 'must be valid JSON');
  }
}

/** The file in a multipart field, read under a limit while streaming. */
export async function readMultipartFile(
  request: Request,
  field: string,
  limit: number,
): Promise<{ bytes: Uint8Array; type: string; name: string }> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data/i.test(contentType)) {
    throw new ValidationError(field, 'send the file as multipart/form-data in the field "image"');
  }
  // Room for the multipart framing around the file.
  const raw = await readLimited(request, limit + 64 * 1024);
  let form: FormData;
  try {
    form = await new Response(raw as Uint8Array<ArrayBuffer>, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new ValidationError('body', 'is not valid multipart/form-data');
  }
  const file = form.get(field);
  if (file === null || typeof file === 'string') throw new ValidationError(field, 'is required (a file)');
  if (file.size > limit) throw tooLarge(limit);
  return { bytes: new Uint8Array(await file.arrayBuffer()), type: file.type, name: file.name };
}

function tooLarge(limit: number): PayloadTooLargeError {
  return new PayloadTooLargeError(limit, `The request body is too large: the limit is ${limit} bytes`);
}
