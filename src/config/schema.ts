import { z } from 'zod';
import { BUILTIN_POLICY_NAMES } from '../policy/builtin.js';
import { constraintsSchema } from '../policy/constraints.js';
import type { PolicySpec } from '../policy/types.js';
import { tenancySchema } from '../tenancy/model.js';
import { redactionSchema } from '../filter/redact.js';
import { visibilitySchema } from '../visibility/model.js';
import { mutationSchema } from '../mutate/create.js';
import { imagesSchema } from '../images/model.js';
import { parseSanSpec } from '../identity/certificate.js';
import { parseSourceEntry, SourceError } from '../identity/source.js';
import { parseTokenHash, TOKEN_PATTERN, tokenDigestHex } from '../identity/token.js';
import { AddressError, parseAddress, type Address, type AddressPurpose } from './address.js';

export interface ListenerConfig {
  name: string;
  address: Address;
  /**
   * Whoever connects here and is recognised by nothing else (docs/identities.md) is the client
   * named after the listener, with this policy. Optional when clients can recognise them.
   */
  policy?: string;
  /** tcp listeners only: serve TLS; with clientCA, require and verify client certificates */
  tls?: ListenerTls;
  /** permission bits of the unix socket */
  mode?: number;
  /** group name or numeric gid that owns the unix socket */
  group?: string;
}

export interface ListenerTls {
  /** file paths */
  cert: string;
  key: string;
  /** CA bundle that client certificates must chain to: mutual TLS */
  clientCA?: string;
}

/** A client and how it is recognised (docs/identities.md); any one recogniser suffices. */
export interface ClientConfig {
  name: string;
  policy: string;
  /** lower-case hex SHA-256 of the bearer token (from token, tokenFile or tokenHash); the token itself is not kept */
  tokenSha256?: string;
  /** on mutual-TLS listeners: the subject CN, and/or SANs written `dns:…`, `email:…`, `uri:…` */
  cert?: { cn?: string; san?: string[] };
  /** IP addresses, CIDR blocks and hostnames */
  source?: string[];
  /** everyone connecting to this listener */
  listener?: string;
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
  /** in config order, which is the order of matching within each kind of recogniser */
  clients: ClientConfig[];
  /** the client of requests nothing else recognises */
  defaultClient?: string;
  limits: { minApiVersion: string; maxHeaderBytes: number; maxBodyBytes: number; shutdownGraceMs: number };
  /** decisions: which requests get a decision line; file: where all lines go instead of stdout */
  log: { decisions: 'all' | 'denied' | 'none'; level: 'debug' | 'info' | 'warn' | 'error'; file?: string };
  /** the operator's listener (metrics, health, readiness, policy); never the Docker API */
  admin?: AdminConfig;
  /** the mode of policies that do not set one (docs/operations.md) */
  mode: 'enforce' | 'audit';
}

export interface AdminConfig {
  address: Address;
  /** how long /readyz waits for the daemon's answer to _ping */
  readyTimeoutMs: number;
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
    policy: nonEmpty.optional(),
    mode: mode.optional(),
    group: nonEmpty.optional(),
    tls: z.strictObject({ cert: nonEmpty, key: nonEmpty, clientCA: nonEmpty.optional() }).optional(),
  })
  .superRefine((l, ctx) => {
    if (l.address.kind === 'unix') {
      if (l.tls !== undefined) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'applies to tcp listeners only' });
      return;
    }
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
  .strictObject({ extends: nonEmpty.optional(), rules: z.array(rule).default([]), constraints: constraintsSchema.optional(), tenancy: tenancySchema.optional(), redact: redactionSchema.optional(), mutate: mutationSchema.optional(), visibility: visibilitySchema.optional(), images: imagesSchema.optional(), mode: z.enum(['enforce', 'audit']).optional() })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id "${r.id}"` });
      seen.add(r.id);
    });
  });

const policyName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'policy names are letters, digits, "_", "." and "-"');

/*
 * Clients (docs/identities.md). A token given inline is replaced by its SHA-256 digest right
 * here; tokenFile is read by the loader. Messages never quote a token.
 */
const token = z
  .string()
  .min(1, 'must not be empty')
  .regex(TOKEN_PATTERN, 'must be printable ASCII without spaces (it is sent as "Authorization: Bearer <token>")');

const tokenHash = z.string().transform((text, ctx) => {
  const hex = parseTokenHash(text);
  if (hex === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be "sha256:" followed by 64 hexadecimal digits (e.g. printf %s "$TOKEN" | sha256sum)' });
    return z.NEVER;
  }
  return hex;
});

const sanSpec = z.string().superRefine((text, ctx) => {
  try {
    parseSanSpec(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const sourceSpec = z.string().superRefine((text, ctx) => {
  try {
    parseSourceEntry(text);
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
});

const client = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]*$/, 'client names are letters, digits, "_", ".", "@" and "-"'),
    policy: nonEmpty,
    token: token.optional(),
    tokenFile: nonEmpty.optional(),
    tokenHash: tokenHash.optional(),
    cert: z
      .strictObject({ cn: nonEmpty.optional(), san: z.array(sanSpec).min(1, 'must list at least one name').optional() })
      .superRefine((c, ctx) => {
        if (c.cn === undefined && c.san === undefined) ctx.addIssue({ code: 'custom', path: [], message: 'needs cn or san' });
      })
      .optional(),
    source: z.array(sourceSpec).min(1, 'must list at least one address, CIDR block or hostname').optional(),
    listener: nonEmpty.optional(),
  })
  .superRefine((c, ctx) => {
    const given = (['token', 'tokenFile', 'tokenHash'] as const).filter((k) => c[k] !== undefined);
    if (given.length > 1) {
      ctx.addIssue({ code: 'custom', path: [given[1]!], message: `give at most one of token, tokenFile and tokenHash (also has ${given[0]})` });
    }
  })
  .transform(({ token, tokenHash, ...rest }) => {
    const tokenSha256 = token !== undefined ? tokenDigestHex(token) : tokenHash;
    return tokenSha256 === undefined ? rest : { ...rest, tokenSha256 };
  });

const limits = z.strictObject({
  minApiVersion: z.string().regex(/^1\.[0-9]{1,3}$/, 'must be an API version such as "1.24"').default('1.24'),
  maxHeaderBytes: integer(1024, 64 * 1024 * 1024).default(1048576),
  maxBodyBytes: integer(1024, 1024 * 1024 * 1024).default(1048576),
  shutdownGraceMs: integer(0, 24 * 60 * 60 * 1000).default(10000),
});

const log = z.strictObject({
  // true and false are the older spelling of all and none.
  decisions: z
    .enum(['all', 'denied', 'none', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE'], 'must be all, denied or none')
    .transform((s): 'all' | 'denied' | 'none' => (s === 'all' || s === 'denied' || s === 'none' ? s : s.toLowerCase() === 'true' ? 'all' : 'none'))
    .default('all'),
  level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  file: nonEmpty.optional(),
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
    clients: z.array(client).default([]),
    defaultClient: nonEmpty.optional(),
    // prefault rather than default: a default is returned as is, but the inner defaults must be filled in.
    limits: limits.prefault({}),
    log: log.prefault({}),
    admin: z.strictObject({ address: address('listen'), readyTimeoutMs: integer(1, 60_000).default(2000) }).optional(),
    mode: z.enum(['enforce', 'audit']).default('enforce'),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    const known = new Set<string>([...Object.keys(c.policies), ...BUILTIN_POLICY_NAMES]);
    c.listeners?.forEach((l, i) => {
      const name = listenerName(l.name, i);
      if (names.has(name)) ctx.addIssue({ code: 'custom', path: ['listeners', i, 'name'], message: `duplicate listener name "${name}"` });
      names.add(name);
      if (l.policy !== undefined && !known.has(l.policy)) {
        ctx.addIssue({
          code: 'custom',
          path: ['listeners', i, 'policy'],
          message: `no policy named "${l.policy}" (known: ${[...known].sort().join(', ')})`,
        });
      }
    });
    checkClients(c, known, ctx);
  })
  // Names are filled in last: zod runs the refinement above even when a nested refinement failed,
  // but skips transforms below a failure, so the refinement cannot rely on a transformed value.
  .transform((c) => ({ ...c, listeners: c.listeners?.map((l, i) => ({ ...l, name: listenerName(l.name, i) })) }));

type Refinement = z.core.$RefinementCtx;

interface UncheckedFile {
  listeners?: Array<{ name?: string; policy?: string; tls?: { clientCA?: string } }>;
  clients: Array<{ name: string; policy: string; listener?: string; tokenFile?: string; cert?: unknown; source?: unknown; tokenSha256?: string; token?: unknown; tokenHash?: unknown }>;
  defaultClient?: string;
}

/** Cross-references of clients, listeners, policies and defaultClient (docs/identities.md). */
function checkClients(c: UncheckedFile, known: ReadonlySet<string>, ctx: Refinement): void {
  const listeners = new Map<string, { policy?: string }>();
  c.listeners?.forEach((l, i) => listeners.set(listenerName(l.name, i), l));
  const names = new Set<string>();
  c.clients.forEach((cl, i) => {
    if (names.has(cl.name)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'name'], message: `duplicate client name "${cl.name}"` });
    names.add(cl.name);
    if (listeners.get(cl.name)?.policy !== undefined) {
      const message = `"${cl.name}" is also the name of a listener with a policy, whose unrecognised clients go by the listener's name; rename one`;
      ctx.addIssue({ code: 'custom', path: ['clients', i, 'name'], message });
    }
    if (!known.has(cl.policy)) {
      const message = `no policy named "${cl.policy}" (known: ${[...known].sort().join(', ')})`;
      ctx.addIssue({ code: 'custom', path: ['clients', i, 'policy'], message });
    }
    if (cl.listener !== undefined && !listeners.has(cl.listener)) {
      const message = `no listener named "${cl.listener}" (listeners: ${[...listeners.keys()].join(', ') || 'none'})`;
      ctx.addIssue({ code: 'custom', path: ['clients', i, 'listener'], message });
    }
    if (cl.cert !== undefined && !c.listeners?.some((l) => l.tls?.clientCA !== undefined)) {
      const message = 'a certificate is only seen on a mutual-TLS listener, and no listener has tls.clientCA';
      ctx.addIssue({ code: 'custom', path: ['clients', i, 'cert'], message });
    }
    const recognisers = [cl.token, cl.tokenFile, cl.tokenHash, cl.tokenSha256, cl.cert, cl.source, cl.listener];
    if (recognisers.every((r) => r === undefined) && cl.name !== c.defaultClient) {
      const message = 'recognises nobody: give token, tokenFile, tokenHash, cert, source or listener (or name it as defaultClient)';
      ctx.addIssue({ code: 'custom', path: ['clients', i], message });
    }
  });
  if (c.defaultClient !== undefined && !names.has(c.defaultClient)) {
    const message = `no client named "${c.defaultClient}" (clients: ${[...names].join(', ') || 'none'})`;
    ctx.addIssue({ code: 'custom', path: ['defaultClient'], message });
  }
  if (c.clients.length === 0) {
    c.listeners?.forEach((l, i) => {
      if (l.policy !== undefined) return;
      const message = 'needs a policy, since no clients are configured to recognise who connects';
      ctx.addIssue({ code: 'custom', path: ['listeners', i, 'policy'], message });
    });
  }
}

function listenerName(name: string | undefined, index: number): string {
  return name ?? `listener-${index}`;
}

export type FileConfig = z.output<typeof fileSchema>;
