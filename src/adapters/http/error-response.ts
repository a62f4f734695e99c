import { isImageGenError } from '../../core/errors/image-gen-error.js';
import { json } from './json.js';

/**
 * The one place where errors become responses: a library error keeps its status and its JSON body
 * `{ error, code, ...details }` (its `request_id` made public by `publicBody`); anything else is a
 * 500 that reveals nothing.
 */
export function errorResponse(error: unknown, report: (error: unknown) => void, publicBody: <T>(body: T) => T = (body) => body): Response {
  if (isImageGenError(error)) {
    const headers: Record<string, string> = {};
    const retryAfter = error.details.retry_after;
    if (error.status === 429 && typeof retryAfter === 'number') headers['Retry-After'] = String(Math.ceil(retryAfter));
    if (error.status === 401) headers['WWW-Authenticate'] = 'Bearer';
    return json(publicBody(error.toJSON()), error.status, headers);
  }
  report(error);
  return json({ error: 'Something went wrong on our side; try again later', code: 'internal' }, 500);
}
