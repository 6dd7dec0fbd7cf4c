import { z } from 'zod';

/**
 * `visibility` of a policy (docs/visibility.md): which containers, networks and volumes its
 * clients can see and act on, by name patterns and label selectors. A kind left out is not
 * restricted; an object of a restricted kind is visible when its name matches any pattern or its
 * labels any selector.
 */

/**
 * `glob`: `*` and `?` wildcards over the whole name, label selectors exact as dockerd's `label`
 * filter reads them. `substring`: docker-proxy-filter's CONTAINER_NAMES / CONTAINER_LABELS, where
 * a pattern matches anywhere inside a name, label key or label value.
 */
export type MatchMode = 'glob' | 'substring';

/** What one kind of object may be seen by. */
export interface KindRule {
  readonly names: readonly string[];
  /** `key` (the label is set) or `key=value` */
  readonly labels: readonly string[];
}

export interface Visibility {
  readonly match: MatchMode;
  /** null: every object of the kind is visible */
  readonly containers: KindRule | null;
  readonly networks: KindRule | null;
  readonly volumes: KindRule | null;
}

export interface KindOverrides {
  readonly names?: readonly string[];
  readonly labels?: readonly string[];
}

/** `visibility` as written in the config: every key optional, merged along `extends`. */
export interface VisibilityOverrides {
  readonly match?: MatchMode;
  readonly containers?: KindOverrides;
  readonly networks?: KindOverrides;
  readonly volumes?: KindOverrides;
}

// Control characters cannot occur in a name or label dockerd stores, so one in a pattern is a typo.
const printable = (what: string) =>
  z
    .string()
    .min(1, 'must not be empty')
    .regex(/^[^\u0000-\u001f\u007f]+$/, `a ${what} without control characters`);

const labelSelector = printable('label selector').refine((s) => !s.startsWith('='), 'must be "key" or "key=value" with a non-empty key');

const kind = z.strictObject({ names: z.array(printable('name pattern')).optional(), labels: z.array(labelSelector).optional() });

export const visibilitySchema: z.ZodType<VisibilityOverrides> = z.strictObject({
  match: z.enum(['glob', 'substring'], 'must be glob or substring').optional(),
  containers: kind.optional(),
  networks: kind.optional(),
  volumes: kind.optional(),
});

function rule(k: KindOverrides): KindRule {
  return { names: k.names ?? [], labels: k.labels ?? [] };
}

/**
 * Overlays the `visibility` of a policy chain, base first: `match` and each kind block of a
 * child replace its base's (a kind block wholesale, so a child can widen what its base shows).
 * Null when no kind ends up restricted.
 */
export function mergeVisibility(...overrides: readonly VisibilityOverrides[]): Visibility | null {
  let match: MatchMode = 'glob';
  let containers: KindRule | null = null;
  let networks: KindRule | null = null;
  let volumes: KindRule | null = null;
  for (const o of overrides) {
    if (o.match !== undefined) match = o.match;
    if (o.containers !== undefined) containers = rule(o.containers);
    if (o.networks !== undefined) networks = rule(o.networks);
    if (o.volumes !== undefined) volumes = rule(o.volumes);
  }
  return containers === null && networks === null && volumes === null ? null : { match, containers, networks, volumes };
}
