import { z } from 'zod';
import type { Operation } from '../catalogue/operation.js';
import { parseSecurityOpt } from '../inspect/go-parse/security-opt.js';
import { isJsonObject, JsonNumber, type JsonObject, type JsonValue } from '../inspect/json-value.js';
import type { InspectRequest, InspectVerdict, Inspector } from '../inspect/types.js';
import { asText, bool, bytes, count } from '../policy/constraints/schema.js';

/**
 * Mutation of ContainerCreate bodies (docs/mutation.md): the policy forces labels and hardening
 * settings into what is forwarded, and fills in (or clamps) resource limits. It runs after
 * tenancy and before the constraints, so the constraints judge the mutated request.
 */

/** A resource limit: `default` fills an unset (absent, null, 0 or negative) field, `max` clamps a larger one. */
export interface Limit {
  readonly default: number | null;
  readonly max: number | null;
}

export interface Mutation {
  /** forced into the top-level `Labels`, overwriting the client's values */
  readonly labels: Readonly<Record<string, string>>;
  /** `no-new-privileges` in HostConfig.SecurityOpt */
  readonly noNewPrivileges: boolean;
  /** HostConfig.CapDrop = ["ALL"] */
  readonly capDropAll: boolean;
  /** HostConfig.ReadonlyRootfs = true */
  readonly readOnlyRootfs: boolean;
  /** HostConfig.Memory, bytes */
  readonly memory: Limit;
  /** HostConfig.PidsLimit */
  readonly pidsLimit: Limit;
  /** HostConfig.NanoCpus (1e9 = one CPU) */
  readonly nanoCpus: Limit;
  /** HostConfig.NetworkMode when the client gives none or `default` */
  readonly network: string | null;
  /** the top-level `User` when the client gives none */
  readonly user: string | null;
}

export interface MutationOverrides {
  readonly labels?: Readonly<Record<string, string>>;
  readonly noNewPrivileges?: boolean;
  readonly capDropAll?: boolean;
  readonly readOnlyRootfs?: boolean;
  readonly memory?: Partial<Limit>;
  readonly pidsLimit?: Partial<Limit>;
  readonly nanoCpus?: Partial<Limit>;
  readonly network?: string;
  readonly user?: string;
}

const positive = <T extends z.ZodType<number>>(s: T) => s.refine((n) => n > 0, 'must be greater than 0');
const limit = (value: z.ZodType<number>) =>
  z.strictObject({ default: positive(value).nullable().optional(), max: positive(value).nullable().optional() });
const nonEmpty = z.string().min(1, 'must not be empty');

/** The `mutate` block of a policy; the loader hands scalars over as text (typed values are accepted too). */
export const mutationSchema: z.ZodType<MutationOverrides> = z.strictObject({
  labels: z.record(nonEmpty, z.preprocess(asText, z.string('must be a string'))).optional(),
  noNewPrivileges: bool.optional(),
  capDropAll: bool.optional(),
  readOnlyRootfs: bool.optional(),
  memory: limit(bytes).optional(),
  pidsLimit: limit(count).optional(),
  nanoCpus: limit(count).optional(),
  network: nonEmpty.optional(),
  user: nonEmpty.optional(),
});

const NO_LIMIT: Limit = { default: null, max: null };

function mergeLimit(base: Limit, o: Partial<Limit> | undefined): Limit {
  if (o === undefined) return base;
  return {
    default: o.default === undefined ? base.default : o.default,
    max: o.max === undefined ? base.max : o.max,
  };
}

/** A default above the max would be clamped on every request: it is clamped once here. */
function settle(l: Limit): Limit {
  return l.default !== null && l.max !== null && l.default > l.max ? { default: l.max, max: l.max } : l;
}

const isSet = (l: Limit): boolean => l.default !== null || l.max !== null;

/**
 * Merges along `extends`, base first: a later policy's keys win, `labels` and the limits key by
 * key. Null when nothing is mutated.
 */
export function mergeMutation(...overrides: readonly MutationOverrides[]): Mutation | null {
  const labels: Record<string, string> = {};
  let noNewPrivileges = false;
  let capDropAll = false;
  let readOnlyRootfs = false;
  let memory = NO_LIMIT;
  let pidsLimit = NO_LIMIT;
  let nanoCpus = NO_LIMIT;
  let network: string | null = null;
  let user: string | null = null;
  for (const o of overrides) {
    for (const [k, v] of Object.entries(o.labels ?? {})) {
      Object.defineProperty(labels, k, { value: v, writable: true, enumerable: true, configurable: true });
    }
    if (o.noNewPrivileges !== undefined) noNewPrivileges = o.noNewPrivileges;
    if (o.capDropAll !== undefined) capDropAll = o.capDropAll;
    if (o.readOnlyRootfs !== undefined) readOnlyRootfs = o.readOnlyRootfs;
    memory = mergeLimit(memory, o.memory);
    pidsLimit = mergeLimit(pidsLimit, o.pidsLimit);
    nanoCpus = mergeLimit(nanoCpus, o.nanoCpus);
    if (o.network !== undefined) network = o.network;
    if (o.user !== undefined) user = o.user;
  }
  const m: Mutation = {
    labels,
    noNewPrivileges,
    capDropAll,
    readOnlyRootfs,
    memory: settle(memory),
    pidsLimit: settle(pidsLimit),
    nanoCpus: settle(nanoCpus),
    network,
    user,
  };
  const any =
    Object.keys(labels).length > 0 ||
    noNewPrivileges ||
    capDropAll ||
    readOnlyRootfs ||
    isSet(memory) ||
    isSet(pidsLimit) ||
    isSet(nanoCpus) ||
    network !== null ||
    user !== null;
  return any ? m : null;
}

class Malformed extends Error {}

function malformed(reason: string): never {
  throw new Malformed(reason);
}

function own(o: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function put(o: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

function optString(v: JsonValue | undefined, label: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') malformed(`${label} is not a string`);
  return v;
}

/** Whether a SecurityOpt item is `no-new-privileges` as dockerd reads it, and if so whether it turns it on. */
function noNewPrivilegesItem(item: string): { on: boolean } | null {
  const opt = parseSecurityOpt(item);
  return opt?.key === 'no-new-privileges' ? { on: opt.on } : null;
}

/** Keeps the client's `no-new-privileges` items that turn it on, drops those that do not, adds one if none is left. */
function withNoNewPrivileges(v: JsonValue | undefined): JsonValue[] {
  if (v !== undefined && v !== null && !Array.isArray(v)) malformed('HostConfig.SecurityOpt is not a list');
  const items = (v ?? []) as JsonValue[];
  const out: JsonValue[] = [];
  let present = false;
  for (const item of items) {
    if (typeof item !== 'string') malformed('HostConfig.SecurityOpt holds an item that is not a string');
    const nnp = noNewPrivilegesItem(item);
    if (nnp === null) out.push(item);
    else if (nnp.on) {
      out.push(item);
      present = true;
    }
  }
  if (!present) out.push('no-new-privileges');
  return out;
}

/** The number in a limit field, or null when it is unset (absent, null, 0 or negative: unlimited). */
function current(v: JsonValue | undefined, label: string): number | null {
  if (v === undefined || v === null) return null;
  if (!(v instanceof JsonNumber)) malformed(`${label} is not a number`);
  return v.value > 0 ? v.value : null;
}

/** Applies a limit to `hc[key]`; true when it wrote a value. The client's own value within the max is kept as sent. */
function applyLimit(hc: JsonObject, key: string, l: Limit): boolean {
  if (!isSet(l)) return false;
  const n = current(own(hc, key), `HostConfig.${key}`);
  let target: number | null = null;
  if (n === null) target = l.default ?? l.max;
  else if (l.max !== null && n > l.max) target = l.max;
  if (target === null) return false;
  put(hc, key, new JsonNumber(String(target)));
  return true;
}

/** A mutated copy of a ContainerCreate body (null is read as `{}`); the client's body is not changed. */
export function mutateCreate(body: JsonValue | null, m: Mutation): JsonObject {
  if (body !== null && !isJsonObject(body)) malformed('the body is not a JSON object');
  const out: JsonObject = { ...(body ?? {}) };

  if (Object.keys(m.labels).length > 0) {
    const given = own(out, 'Labels');
    if (given !== undefined && given !== null && !isJsonObject(given)) malformed('Labels is not an object');
    const labels: JsonObject = { ...(given ?? {}) };
    for (const [k, v] of Object.entries(m.labels)) put(labels, k, v);
    put(out, 'Labels', labels);
  }
  if (m.user !== null && !optString(own(out, 'User'), 'User')) put(out, 'User', m.user);

  const given = own(out, 'HostConfig');
  if (given !== undefined && given !== null && !isJsonObject(given)) malformed('HostConfig is not an object');
  const touchesHostConfig =
    m.noNewPrivileges || m.capDropAll || m.readOnlyRootfs || isSet(m.memory) || isSet(m.pidsLimit) || isSet(m.nanoCpus) || m.network !== null;
  // A legacy body (HostConfig fields at the top level) keeps its shape unless HostConfig is needed.
  if (!touchesHostConfig) return out;
  const hc: JsonObject = { ...(given ?? {}) };
  if (m.noNewPrivileges) put(hc, 'SecurityOpt', withNoNewPrivileges(own(hc, 'SecurityOpt')));
  if (m.capDropAll) put(hc, 'CapDrop', ['ALL']);
  if (m.readOnlyRootfs) put(hc, 'ReadonlyRootfs', true);
  applyLimit(hc, 'Memory', m.memory);
  applyLimit(hc, 'PidsLimit', m.pidsLimit);
  if (applyLimit(hc, 'NanoCpus', m.nanoCpus)) {
    // dockerd refuses NanoCpus next to a CPU quota or period, and those would dodge the cap.
    delete hc['CpuQuota'];
    delete hc['CpuPeriod'];
  }
  if (m.network !== null) {
    const mode = optString(own(hc, 'NetworkMode'), 'HostConfig.NetworkMode');
    if (mode === null || mode === '' || mode === 'default') put(hc, 'NetworkMode', m.network);
  }
  put(out, 'HostConfig', hc);
  return out;
}

const MUTATED_OPS = new Set(['ContainerCreate']);

export function createMutationInspector(m: Mutation): Inspector {
  return {
    wants: (op: Operation) => MUTATED_OPS.has(op.id),
    check(req: InspectRequest): InspectVerdict {
      try {
        return { allowed: true, body: mutateCreate(req.body, m) };
      } catch (error) {
        if (!(error instanceof Malformed)) throw error;
        return { allowed: false, rule: 'PC_DENIED_MALFORMED_BODY', reason: error.message };
      }
    },
  };
}
