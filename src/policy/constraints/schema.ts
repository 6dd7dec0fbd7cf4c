import { z } from 'zod';
import { parseGoIp } from '../../inspect/go-parse/ip.js';
import { NAMESPACES, type ConstraintOverrides } from './model.js';
import { parseBytes } from './util.js';

/*
 * The `constraints` block of a policy in the config file. The loader hands every scalar over as
 * the text written in the file, so booleans and sizes are parsed from strings (typed values are
 * accepted too, for policies written in code). Every key is optional: what a policy leaves out it
 * takes from the policy it extends, and finally from the hardened defaults.
 */

// Typed values (policies written in code) are read as the text the loader would hand over.
export const asText = (v: unknown): unknown => (typeof v === 'boolean' || typeof v === 'number' ? String(v) : v);

export const bool = z.preprocess(
  asText,
  z.enum(['true', 'True', 'TRUE', 'false', 'False', 'FALSE'], 'must be true or false').transform((s) => s.toLowerCase() === 'true'),
);

export const bytes = z.preprocess(
  asText,
  z.string('must be a size').transform((s, ctx) => {
    const n = parseBytes(s);
    if (n === null) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(s)} is not a size: bytes, or a number with k, m, g or t` });
      return z.NEVER;
    }
    return n;
  }),
);

export const count = z.preprocess(asText, z.string('must be a non-negative integer').regex(/^[0-9]+$/, 'must be a non-negative integer').transform(Number));

const nonEmpty = z.string().min(1, 'must not be empty');
const list = z.array(nonEmpty);
const absolutePaths = z.array(z.string().startsWith('/', 'must be an absolute path'));

const capability = nonEmpty.transform((s) => {
  const upper = s.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
});

const bound = (value: typeof bytes | typeof count) => z.strictObject({ max: value.nullable().optional(), required: bool.optional() });

const ip = z.string().refine((s) => parseGoIp(s.replace(/^\[(.*)\]$/, '$1')) !== null, 'must be an IP address');
const portRange = z.string().regex(/^[0-9]{1,5}(-[0-9]{1,5})?$/, 'must be a port or a range such as 8000-8999');

export const constraintsSchema: z.ZodType<ConstraintOverrides> = z.strictObject({
  privileged: bool.optional(),
  capAdd: z
    .array(capability)
    .refine((caps) => !caps.includes('ALL'), 'ALL can never be allowed: list the capabilities one by one')
    .optional(),
  devices: absolutePaths.optional(),
  deviceCgroupRules: list.optional(),
  deviceRequests: list.optional(),
  hostNamespaces: z.array(z.enum(NAMESPACES)).optional(),
  containerNamespaces: bool.optional(),
  cgroupParent: bool.optional(),
  securityOpt: list.optional(),
  maskedPaths: bool.optional(),
  runtimes: list.optional(),
  sysctls: list.optional(),
  volumesFrom: bool.optional(),
  volumeDrivers: list.optional(),
  oomKillDisable: bool.optional(),
  memory: bound(bytes).optional(),
  pidsLimit: bound(count).optional(),
  shmSize: bound(bytes).optional(),
  portBindings: z.strictObject({ hostIps: z.array(ip).optional(), hostPorts: z.array(portRange).optional() }).optional(),
  logDrivers: list.optional(),
  bindMounts: z.strictObject({ allow: absolutePaths.optional(), readOnly: bool.optional() }).optional(),
  volumeOptions: z.strictObject({ types: list.optional(), bind: bool.optional() }).optional(),
  tmpfs: z.strictObject({ allow: bool.optional(), maxSize: bytes.nullable().optional(), requireSize: bool.optional() }).optional(),
  exec: z.strictObject({ privileged: bool.optional(), users: list.optional(), checkContainer: bool.optional() }).optional(),
  networks: z.strictObject({ drivers: list.optional(), options: list.optional(), configFrom: bool.optional(), endpointOptions: list.optional() }).optional(),
  build: z
    .strictObject({
      networkModes: list.optional(),
      remote: bool.optional(),
      cgroupParent: bool.optional(),
      extraHosts: bool.optional(),
      ulimits: bool.optional(),
      entitlements: list.optional(),
    })
    .optional(),
  annotations: bool.optional(),
  legacyHostConfig: bool.optional(),
  startChecks: bool.optional(),
  accessChecks: bool.optional(),
  images: z.strictObject({ importUrl: bool.optional() }).optional(),
});
