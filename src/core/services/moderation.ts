import { ValidationError } from '../errors/validation-error.js';
import type { PromptModerator } from '../options.js';

/**
 * Runs the host's prompt filter over every prompt before anything is charged. A rejection is a
 * {@link ValidationError} on the prompt's field with the filter's reason.
 */
export async function moderatePrompts(
  moderator: PromptModerator | undefined,
  prompts: readonly string[],
  field: 'prompts' | 'prompt',
  username: string,
): Promise<void> {
  if (!moderator) return;
  const checked = field === 'prompt' ? prompts.slice(0, 1) : prompts;
  for (const [index, prompt] of checked.entries()) {
    const reason = await moderator(prompt, { username });
    if (reason) throw new ValidationError(field === 'prompt' ? 'prompt' : `prompts.${index}`, `rejected: ${reason}`);
  }
}
