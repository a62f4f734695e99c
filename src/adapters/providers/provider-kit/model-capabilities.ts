import { ValidationError } from '../../../core/errors/validation-error.js';
import type { Logger } from '../../../core/options.js';
import type { GenerationInput, PollPolicy, ProviderAdapter } from '../../../core/ports/provider-adapter.js';
import { ASPECT_RATIOS, OUTPUT_FORMATS, type AspectRatio, type OutputFormat } from '../../../core/schemas/params.js';

/** Width and height on a grid: multiples of `multiple`, each side within `min`–`max`, about `megapixels`. */
export interface SizeGrid {
  multiple: number;
  min: number;
  max: number;
  megapixels: number;
}

/** How a model family takes the shape of its image. */
export type SizeSpec =
  /** An `aspect_ratio` field with these ratios. */
  | { kind: 'aspect_ratio'; ratios: readonly AspectRatio[] }
  /** `width` and `height` on a grid. */
  | { kind: 'grid'; grid: SizeGrid }
  /** A `size` field with these `WxH` values only; the nearest ratio is taken. */
  | { kind: 'fixed'; sizes: readonly string[] }
  /** fal's `image_size`: a preset name for some ratios, `{ width, height }` on a grid for the rest. */
  | { kind: 'image_size'; presets: Partial<Record<AspectRatio, string>>; grid: SizeGrid }
  /** No size field: the result takes the input image's shape. */
  | { kind: 'match_input' };

/** A parameter of the port that a model family may not take. */
export type PortParameter = 'aspect_ratio' | 'seed' | 'output_format' | 'input_image' | 'image_prompt_strength';

/** What happens to a parameter the family does not take: a 400 naming it before anything is charged, or a logged warning. */
export type UnsupportedHandling = 'refused' | 'dropped';

/** The parameters one model family takes, from which its adapter shapes the request. */
export interface ModelCapabilities {
  /** A person's name for the family, e.g. `FLUX.1 Kontext`. */
  family: string;
  /** Which model ids belong to it. */
  matches: RegExp;
  size: SizeSpec;
  seed: boolean;
  outputFormats: readonly OutputFormat[];
  /** The strength field, if any: `keep` when 1 keeps the input image, `change` when 1 replaces it. */
  strength: { field: string; scale: 'keep' | 'change' } | null;
  /** Takes OpenAI's `input_fidelity` (derived from the strength). */
  inputFidelity: boolean;
  /** How an input image is sent; null when the family does not edit. */
  inputImage: { field: string; encoding: 'base64' | 'data-url' | 'multipart' } | null;
  /** How the result comes back (for the README and the smoke run). */
  result: string;
  /** The budget the engine uses unless the host sets its own. */
  pollPolicy: PollPolicy & { submitTimeoutMs?: number };
  /** For each parameter the family does not take, whether it is refused or dropped. */
  unsupported: Partial<Record<PortParameter, UnsupportedHandling>>;
}

/** The family of `model` in `table`: the first that matches, else the last (the catch-all). */
export function familyOf<T extends ModelCapabilities>(table: readonly T[], model: string): T {
  return table.find((family) => family.matches.test(model)) ?? table[table.length - 1]!;
}

/** Width and height for a ratio on a grid, the longer side shrunk to fit `max` first. */
export function gridSize(aspectRatio: AspectRatio, grid: SizeGrid): { width: number; height: number } {
  const [w, h] = ratioOf(aspectRatio);
  const pixels = grid.megapixels * 1024 * 1024;
  let height = Math.sqrt((pixels * h) / w);
  let width = (height * w) / h;
  const scale = Math.min(1, grid.max / Math.max(width, height));
  width *= scale;
  height *= scale;
  const top = Math.floor(grid.max / grid.multiple) * grid.multiple;
  const bottom = Math.ceil(grid.min / grid.multiple) * grid.multiple;
  const round = (n: number) => Math.min(top, Math.max(bottom, Math.round(n / grid.multiple) * grid.multiple));
  return { width: round(width), height: round(height) };
}

/** The `WxH` of `sizes` whose ratio is nearest to `aspectRatio`. */
export function nearestSize(aspectRatio: AspectRatio, sizes: readonly string[]): string {
  const [w, h] = ratioOf(aspectRatio);
  const distance = (size: string) => {
    const [sw, sh] = size.split('x').map(Number) as [number, number];
    return Math.abs(Math.log(sw / sh) - Math.log(w / h));
  };
  return sizes.reduce((best, size) => (distance(size) < distance(best) ? size : best));
}

/** Ratios a family makes exactly (others are mapped to the nearest, or refused). */
export function exactRatios(family: ModelCapabilities): readonly AspectRatio[] {
  const { size } = family;
  if (size.kind === 'aspect_ratio') return size.ratios;
  if (size.kind !== 'fixed') return ASPECT_RATIOS;
  return ASPECT_RATIOS.filter((ratio) => {
    const [w, h] = ratioOf(ratio);
    const [sw, sh] = nearestSize(ratio, size.sizes).split('x').map(Number) as [number, number];
    return Math.abs(sw / sh - w / h) < 0.01;
  });
}

/**
 * The port's `capabilities` of an adapter whose text-to-image model is `text` and whose edit model
 * is `edit`: only what both honour, and the aspect ratios refused before charging.
 */
export function portCapabilities(text: ModelCapabilities, edit: ModelCapabilities | null): ProviderAdapter['capabilities'] {
  const families = edit ? [text, edit] : [text];
  const refusing = families.filter((f) => f.unsupported.aspect_ratio === 'refused');
  const aspectRatios = refusing.length
    ? ASPECT_RATIOS.filter((ratio) => refusing.every((family) => exactRatios(family).includes(ratio)))
    : undefined;
  return {
    imageToImage: edit?.inputImage != null,
    seed: families.every((f) => f.seed),
    outputFormats: text.outputFormats.filter((format) => !edit || edit.outputFormats.includes(format)),
    ...(aspectRatios ? { aspectRatios } : {}),
  };
}

/**
 * The `unsupported` list of an adapter: the parameters its text-to-image family or its edit family
 * does not take (strength only counts for the edit family), and the formats it does not make.
 */
export function unsupportedList(text: ModelCapabilities, edit: ModelCapabilities | null): string[] {
  const out = new Set<string>();
  for (const family of edit ? [text, edit] : [text]) {
    for (const parameter of Object.keys(family.unsupported) as PortParameter[]) {
      if (family === text && family !== edit && (parameter === 'image_prompt_strength' || parameter === 'input_image')) continue;
      out.add(parameter);
    }
    for (const format of OUTPUT_FORMATS) if (!family.outputFormats.includes(format)) out.add(`output_format ${format}`);
  }
  return [...out];
}

/** The longest budget of the families an adapter uses. */
export function pollPolicyOf(families: readonly ModelCapabilities[]): PollPolicy & { submitTimeoutMs?: number } {
  const longest = (policy: ModelCapabilities['pollPolicy']) => policy.maxPolls * policy.pollIntervalMs + (policy.submitTimeoutMs ?? 0);
  return families.map((f) => f.pollPolicy).reduce((a, b) => (longest(b) > longest(a) ? b : a));
}

/**
 * Refuses (a {@link ValidationError} naming the field, before any call) what the family refuses,
 * and logs once what it drops. The adapter then shapes the request without the dropped fields.
 */
export function checkInput(provider: string, family: ModelCapabilities, input: GenerationInput, warn: (what: string) => void): void {
  if (!family.outputFormats.includes(input.outputFormat)) {
    throw new ValidationError(
      'output_format',
      `${provider} ${family.family} cannot produce ${input.outputFormat}; use ${family.outputFormats.join(' or ')}`,
    );
  }
  if (input.inputImage && !family.inputImage) {
    throw new ValidationError('input_image', `${provider} ${family.family} does not edit images`);
  }
  const given: Partial<Record<PortParameter, boolean>> = {
    seed: input.seed !== null,
    aspect_ratio: !exactRatios(family).includes(input.aspectRatio) || (family.size.kind === 'match_input' && input.aspectRatio !== '1:1'),
    image_prompt_strength: input.inputImage !== undefined && input.imagePromptStrength !== undefined,
  };
  for (const parameter of ['aspect_ratio', 'seed', 'image_prompt_strength'] as const) {
    const handling = family.unsupported[parameter];
    if (!handling || !given[parameter]) continue;
    if (handling === 'refused')
      throw new ValidationError(parameter, `${provider} ${family.family} does not take ${parameter} ${describe(parameter, input)}`);
    warn(`${parameter} on ${family.family}`);
  }
}

function describe(parameter: PortParameter, input: GenerationInput): string {
  if (parameter === 'aspect_ratio') return input.aspectRatio;
  if (parameter === 'seed') return String(input.seed);
  return String(input.imagePromptStrength);
}

/** A `warn` for {@link checkInput} that logs each dropped parameter once per adapter. */
export function onceWarner(logger: Logger | undefined, provider: string): (what: string) => void {
  const seen = new Set<string>();
  return (what) => {
    if (seen.has(what)) return;
    seen.add(what);
    logger?.warn(`${provider} does not honour ${what}; it is ignored`, { provider });
  };
}

function ratioOf(aspectRatio: AspectRatio): [number, number] {
  return aspectRatio.split(':').map(Number) as [number, number];
}
