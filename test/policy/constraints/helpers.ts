import assert from 'node:assert/strict';
import { OPERATIONS_BY_ID } from '../../../src/catalogue/operations.js';
import { JsonNumber, type JsonObject, type JsonValue } from '../../../src/inspect/json-value.js';
import type { InspectRequest, InspectVerdict, Inspector } from '../../../src/inspect/types.js';
import { createInspector, HARDENED_CONSTRAINTS, mergeConstraints, type ConstraintOverrides } from '../../../src/policy/constraints.js';

/** Plain data to a canonical decoded body: numbers become JsonNumber, as the Go-style decoder gives them. */
export function j(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return new JsonNumber(String(v));
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof JsonNumber) return v;
  if (Array.isArray(v)) return v.map(j);
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = j(x);
  return out;
}

export type LookupAnswer = { status: number; body: unknown } | Error;

/** A fake daemon for lookups: path -> answer; unknown paths are 404. Records the paths asked for. */
export function fakeLookup(answers: Record<string, LookupAnswer> = {}): InspectRequest['lookup'] & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (path: string): Promise<{ status: number; body: JsonValue | null }> => {
    calls.push(path);
    const a = answers[path];
    if (a === undefined) return { status: 404, body: j({ message: 'No such object' }) };
    if (a instanceof Error) throw a;
    return { status: a.status, body: a.body === null ? null : j(a.body) };
  };
  return Object.assign(fn, { calls });
}

export interface Req {
  op: string;
  body?: unknown;
  params?: Record<string, string>;
  query?: Record<string, string[]>;
  lookup?: InspectRequest['lookup'];
  constraints?: ConstraintOverrides;
}

/** Runs `inspector` on a request to `op` as the proxy would hand it over. */
export async function inspectWith(
  inspector: Inspector,
  r: { op: string; params?: Record<string, string>; query?: Record<string, string[]>; body?: unknown; version?: string | null; client: string; lookup: InspectRequest['lookup'] },
): Promise<InspectVerdict> {
  const op = OPERATIONS_BY_ID.get(r.op);
  assert.ok(op, r.op);
  assert.ok(inspector.wants(op), `inspector should want ${r.op}`);
  return inspector.check({
    op,
    method: op.method,
    path: op.path,
    params: r.params ?? {},
    query: new Map(Object.entries(r.query ?? {})),
    version: r.version ?? null,
    client: r.client,
    body: r.body === undefined ? null : j(r.body),
    lookup: r.lookup,
  });
}

export async function check(r: Req): Promise<InspectVerdict> {
  const inspector = createInspector(mergeConstraints(HARDENED_CONSTRAINTS, r.constraints ?? {}));
  return inspectWith(inspector, { ...r, client: 'test', lookup: r.lookup ?? fakeLookup() });
}

/** Expects the request to pass; a check on an existing container also pins its ID (see pins). */
export async function allows(r: Req): Promise<void> {
  const v = await check(r);
  assert.equal(v.allowed, true, v.allowed ? '' : `${v.rule}: ${v.reason}`);
  assert.deepEqual(Object.keys(v).filter((k) => k !== 'allowed' && k !== 'params'), []);
}

/** Expects the request to pass with its `id` path parameter replaced by the checked container's full ID. */
export async function pins(r: Req, id: string): Promise<void> {
  const v = await check(r);
  assert.deepEqual(v, { allowed: true, params: { id } });
}

/** Expects a refusal with `rule` whose reason contains every `parts` string. Returns the reason. */
export async function denies(r: Req, rule: string, ...parts: string[]): Promise<string> {
  const v = await check(r);
  assert.equal(v.allowed, false, `expected ${rule}, got allowed`);
  if (v.allowed) throw new Error('unreachable');
  assert.equal(v.rule, rule, `reason: ${v.reason}`);
  for (const p of parts) assert.ok(v.reason.includes(p), `reason ${JSON.stringify(v.reason)} should contain ${JSON.stringify(p)}`);
  return v.reason;
}

/** ContainerCreate with the given HostConfig (the rest as a minimal client sends it). */
export function create(hostConfig: Record<string, unknown>, extra: Record<string, unknown> = {}): Req {
  return { op: 'ContainerCreate', body: { Image: 'busybox', Cmd: ['true'], HostConfig: hostConfig, ...extra } };
}

export function withConstraints(r: Req, constraints: ConstraintOverrides): Req {
  return { ...r, constraints };
}
