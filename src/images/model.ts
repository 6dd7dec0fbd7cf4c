import { z } from 'zod';
import { compilePattern, ImageAllowlist } from './pattern.js';

/** `images` of a policy as written in the config (docs/images.md). */
export interface ImageOverrides {
  /** reference patterns; the nearest policy along `extends` that lists some decides */
  readonly allow?: readonly string[];
}

const pattern = z.string().superRefine((text, ctx) => {
  try {
    compilePattern(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

export const imagesSchema: z.ZodType<ImageOverrides> = z.strictObject({
  allow: z.array(pattern).optional(),
});

/**
 * Merges along `extends`, base first: a later `allow` replaces the list (an empty list allows no
 * image). Null when no policy of the chain has one: images are then not restricted.
 *
 * @throws Error for a pattern that is not a reference (the config schema reports it first).
 */
export function mergeImages(...overrides: readonly ImageOverrides[]): ImageAllowlist | null {
  let allow: readonly string[] | null = null;
  for (const o of overrides) if (o.allow !== undefined) allow = o.allow;
  return allow === null ? null : new ImageAllowlist(allow.map(compilePattern));
}
