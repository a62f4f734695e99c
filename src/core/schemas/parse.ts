import type { z } from 'zod';
import { ValidationError } from '../errors/validation-error.js';

/**
 * Parses `input` with `schema`, throwing a {@link ValidationError} that names the first bad field
 * (as a dotted path, e.g. `prompts.2`) instead of zod's own error.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  return throwValidation(field || 'body', message, result.error.issues.length);
}

function throwValidation(field: string, message: string, issueCount: number): never {
  throw new ValidationError(field, message, issueCount > 1 ? { issues: issueCount } : {});
}
