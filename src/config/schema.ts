import { z } from 'zod';
import { BUILTIN_POLICY_NAMES } from '../policy/builtin.js';
import { constraintsSchema } from '../policy/constraints.js';
import type { PolicySpec } from '../policy/types.js';
import { AddressError, parseAddress, type Address, type AddressPurpose } from './address.js';

export interface ListenerConfig {
  name: string;
  address: Address;
  policy: string;
  /** permission bits of the unix socket */
  mode?: number;
  /** group name or numeric gid that owns the unix socket */
  group?: string;
}

export interface UpstreamTls {
  /** file paths, read when the upstream connection is set up */
  ca?: string;
  cert?: string;
  key?: string;
  serverName?: string;
}

export interface Config {
  listeners: ListenerConfig[];
  upstream: { address: Address; tls?: UpstreamTls };
  /** user policies only; compilePolicies adds the built-in ones */
  policies: Record<string, PolicySpec>;
  limits: { minApiVersion: string; maxHeaderBytes: number; maxBodyBytes: number; shutdownGraceMs: number };
  log: { decisions: boolean; level: 'debug' | 'info' | 'warn' | 'error' };
}

/*
 * The loader hands every scalar to the schema as the text written in the file (numbers and
 * booleans included), so that `1.40` stays a version rather than the float 1.4, `mode: 0660`
 * stays octal, and a value produced by ${ENV} expansion is read exactly like a literal one.
 * Hence integers and booleans are parsed from strings here.
 */

const nonEmpty = z.string().min(1, 'must not be empty');

function integer(min: number, max: number) {
  return z
    .string()
    .regex(/^[0-9]+$/, 'must be a non-negative decimal integer')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

const boolean = z.enum(['true', 'True', 'TRUE', 'false', 'False', 'FALSE'], 'must be true or false').transform((s) => s.toLowerCase() === 'true');

function address(purpose: AddressPurpose) {
  return z.string().transform((text, ctx): Address => {
    try {
      return parseAddress(text, purpose);
    } catch (error) {
      if (!(error instanceof AddressError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
      return z.NEVER;
    }
  });
}

const mode = z
  .string()
  .regex(/^(0o?)?[0-7]{3}$/, 'must be octal permission bits such as "0660"')
  .transform((s) => parseInt(s.slice(-3), 8));

const listener = z
  .strictObject({
    name: nonEmpty.optional(),
    address: address('listen'),
    policy: nonEmpty,
    mode: mode.optional(),
    group: nonEmpty.optional(),
  })
  .superRefine((l, ctx) => {
    if (l.address.kind === 'unix') return;
    for (const key of ['mode', 'group'] as const) {
      if (l[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'applies to unix socket listeners only' });
    }
  });

const tls = z
  .strictObject({ ca: nonEmpty.optional(), cert: nonEmpty.optional(), key: nonEmpty.optional(), serverName: nonEmpty.optional() })
  .superRefine((t, ctx) => {
    if ((t.cert === undefined) !== (t.key === undefined)) {
      const missing = t.cert === undefined ? 'cert' : 'key';
      ctx.addIssue({ code: 'custom', path: [], message: `cert and key must be given together (${missing} is missing)` });
    }
  });

/** `address` may be left out to take DOCKER_HOST, e.g. to give only TLS settings for a tcp DOCKER_HOST. */
const upstream = z.strictObject({ address: address('connect').optional(), tls: tls.optional() });

const rule = z
  .strictObject({
    id: nonEmpty,
    allow: z.array(nonEmpty).min(1, 'must list at least one selector').optional(),
    deny: z.array(nonEmpty).min(1, 'must list at least one selector').optional(),
    query: z.record(nonEmpty, z.array(z.string()).min(1, 'must list at least one allowed value')).optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.allow === undefined) === (r.deny === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'a rule needs exactly one of allow or deny' });
    }
  });

const policy = z
  .strictObject({ extends: nonEmpty.optional(), rules: z.array(rule).default([]), constraints: constraintsSchema.optional() })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id "${r.id}"` });
      seen.add(r.id);
    });
  });

const policyName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'policy names are letters, digits, "_", "." and "-"');

const limits = z.strictObject({
  minApiVersion: z.string().regex(/^1\.[0-9]{1,3}$/, 'must be an API version such as "1.24"').default('1.24'),
  maxHeaderBytes: integer(1024, 64 * 1024 * 1024).default(1048576),
  maxBodyBytes: integer(1024, 1024 * 1024 * 1024).default(1048576),
  shutdownGraceMs: integer(0, 24 * 60 * 60 * 1000).default(10000),
});

const log = z.strictObject({
  decisions: boolean.default(true),
  level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

/**
 * The file as written. Listeners may be absent when `--listen` replaces them, and the upstream
 * address when DOCKER_HOST supplies it, so the loader finishes what the file leaves open.
 */
export const fileSchema = z
  .strictObject({
    listeners: z.array(listener).min(1, 'at least one listener is required').optional(),
    upstream: upstream.optional(),
    policies: z.record(policyName, policy).default({}),
    // prefault rather than default: a default is returned as is, but the inner defaults must be filled in.
    limits: limits.prefault({}),
    log: log.prefault({}),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    const known = new Set<string>([...Object.keys(c.policies), ...BUILTIN_POLICY_NAMES]);
    c.listeners?.forEach((l, i) => {
      const name = listenerName(l.name, i);
      if (names.has(name)) ctx.addIssue({ code: 'custom', path: ['listeners', i, 'name'], message: `duplicate listener name "${name}"` });
      names.add(name);
      if (!known.has(l.policy)) {
        ctx.addIssue({
          code: 'custom',
          path: ['listeners', i, 'policy'],
          message: `no policy named "${l.policy}" (known: ${[...known].sort().join(', ')})`,
        });
      }
    });
  })
  // Names are filled in last: zod runs the refinement above even when a nested refinement failed,
  // but skips transforms below a failure, so the refinement cannot rely on a transformed value.
  .transform((c) => ({ ...c, listeners: c.listeners?.map((l, i) => ({ ...l, name: listenerName(l.name, i) })) }));

function listenerName(name: string | undefined, index: number): string {
  return name ?? `listener-${index}`;
}

export type FileConfig = z.output<typeof fileSchema>;
