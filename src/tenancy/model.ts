import { z } from 'zod';

/** The owner label key when the config names none. */
export const DEFAULT_OWNER_LABEL = 'io.portcullis.owner';

/** `tenancy` of a policy as written in the config: every key optional, merged along `extends`. */
export interface TenancyOverrides {
  /** true turns ownership on: objects are labelled with, and visible only to, the client that created them */
  readonly ownership?: boolean;
  /** the owner label key (default `io.portcullis.owner`) */
  readonly label?: string;
  readonly quotas?: { readonly containers?: number };
  /** `prefix` (default): each client's names get a hidden `<client>.` prefix; `shared`: one namespace, clashes refused */
  readonly names?: 'prefix' | 'shared';
  /** label selectors (`key` or `key=value`) that make an object visible to every client of the policy */
  readonly shared?: { readonly labels?: readonly string[] };
}

/** The merged tenancy settings of a policy whose ownership is on. */
export interface Tenancy {
  readonly label: string;
  readonly quotas: { readonly containers: number | null };
  readonly names: 'prefix' | 'shared';
  /** selectors of shared objects: `[key, value]`, value null for "has the key" */
  readonly shared: readonly (readonly [string, string | null])[];
}

/**
 * A label key dockerd's `label=<key>=<value>` filter splits unambiguously: the filter splits at
 * the first `=`, so the key cannot hold one; no whitespace or control characters either.
 */
const labelKey = z
  .string()
  .min(1)
  .regex(/^[^=\s\u0000-\u001f\u007f]+$/, 'a label key without "=", whitespace or control characters');

/** The loader hands every scalar over as the text in the file; typed values (from code) are accepted too. */
const asText = (v: unknown): unknown => (typeof v === 'boolean' || typeof v === 'number' ? String(v) : v);
const bool = z.preprocess(asText, z.enum(['true', 'True', 'TRUE', 'false', 'False', 'FALSE'], 'must be true or false').transform((s) => s.toLowerCase() === 'true'));
const count = z.preprocess(
  asText,
  z.string('must be a non-negative integer').regex(/^[0-9]+$/, 'must be a non-negative integer').transform(Number),
);

/** `key` or `key=value`; the key as the owner label's, the value free. */
const labelSelector = z.string().regex(/^[^=\s\u0000-\u001f\u007f]+(=.*)?$/s, 'a label selector: key or key=value');

export const tenancySchema = z.strictObject({
  ownership: bool.optional(),
  label: labelKey.optional(),
  quotas: z.strictObject({ containers: count.optional() }).optional(),
  names: z.enum(['prefix', 'shared'], 'must be prefix or shared').optional(),
  shared: z.strictObject({ labels: z.array(labelSelector).optional() }).optional(),
});

function selector(s: string): readonly [string, string | null] {
  const eq = s.indexOf('=');
  return eq === -1 ? [s, null] : [s.slice(0, eq), s.slice(eq + 1)];
}

/**
 * Overlays the `tenancy` of a policy chain, base first: a child's keys override its base's
 * (`quotas` key by key). Null when ownership is not on at the end.
 */
export function mergeTenancy(...overrides: readonly TenancyOverrides[]): Tenancy | null {
  let ownership = false;
  let label = DEFAULT_OWNER_LABEL;
  let containers: number | null = null;
  let names: Tenancy['names'] = 'prefix';
  let shared: readonly string[] = [];
  for (const o of overrides) {
    if (o.ownership !== undefined) ownership = o.ownership;
    if (o.label !== undefined) label = o.label;
    if (o.quotas?.containers !== undefined) containers = o.quotas.containers;
    if (o.names !== undefined) names = o.names;
    if (o.shared?.labels !== undefined) shared = o.shared.labels;
  }
  return ownership ? { label, quotas: { containers }, names, shared: shared.map(selector) } : null;
}
