import assert from 'node:assert/strict';
import type { InspectVerdict, Inspector } from '../../src/inspect/types.js';
import { createTenancyInspector } from '../../src/tenancy/inspector.js';
import { mergeTenancy, type TenancyOverrides } from '../../src/tenancy/model.js';
import { fakeLookup, inspectWith, j, type LookupAnswer } from '../policy/constraints/helpers.js';

export { fakeLookup, j, type LookupAnswer };

export const LABEL = 'io.portcullis.owner';
export const enc = (v: unknown): string => encodeURIComponent(JSON.stringify(v));

/** The look-up path of one label-filtered list, as the visible sets ask for it. */
export function labelPath(kind: 'containers' | 'volumes' | 'networks', selector: string): string {
  const filters = enc({ label: { [selector]: true } });
  return kind === 'containers' ? `/containers/json?all=1&filters=${filters}` : `/${kind}?filters=${filters}`;
}
export const ownedPath = (client: string): string => labelPath('containers', `${LABEL}=${client}`);
export const ownedVolumesPath = (client: string): string => labelPath('volumes', `${LABEL}=${client}`);
export const ownedNetworksPath = (client: string): string => labelPath('networks', `${LABEL}=${client}`);

/** The look-up of containers named exactly `/<raw>` (a daemon name) that a create or rename makes. */
export const namePath = (raw: string): string =>
  `/containers/json?all=1&filters=${enc({ name: { [`^/${raw.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`]: true } })}`;

export const A1 = 'a1' + '0'.repeat(62);
export const A2 = 'a2' + '0'.repeat(62);
export const B1 = 'b1' + '0'.repeat(62);
/** shares the prefix "ab" with AB_A */
export const AB_A = 'ab' + '1'.repeat(62);
export const AB_B = 'ab' + '2'.repeat(62);

/**
 * alice owns web (A1), db (A2), x (AB_A); bob owns api (B1), y (AB_B). With `prefix` (the
 * default) the daemon knows them as `/alice.web`, …; with `shared` as `/web`, ….
 */
export function daemon(extra: Record<string, LookupAnswer> = {}, names: 'prefix' | 'shared' = 'prefix'): ReturnType<typeof fakeLookup> {
  const n = (client: string, name: string): string => (names === 'prefix' ? `/${client}.${name}` : `/${name}`);
  return fakeLookup({
    [ownedPath('alice')]: { status: 200, body: [{ Id: A1, Names: [n('alice', 'web')] }, { Id: A2, Names: [n('alice', 'db')] }, { Id: AB_A, Names: [n('alice', 'x')] }] },
    [ownedPath('bob')]: { status: 200, body: [{ Id: B1, Names: [n('bob', 'api')] }, { Id: AB_B, Names: [n('bob', 'y')] }] },
    ...extra,
  });
}

/** The inspector of a policy with ownership on and `overrides` on top. */
export const tenancy = (overrides: TenancyOverrides = {}): Inspector => createTenancyInspector(mergeTenancy({ ownership: true, ...overrides })!);
/** The old single name space: no prefixes, clashes refused. */
export const SHARED_NAMES = tenancy({ names: 'shared' });

export interface Req {
  op: string;
  params?: Record<string, string>;
  query?: Record<string, string[]>;
  body?: unknown;
  client?: string;
  lookup?: ReturnType<typeof fakeLookup>;
}

export async function run(r: Req, inspector: Inspector = tenancy()): Promise<InspectVerdict> {
  return inspectWith(inspector, { ...r, client: r.client ?? 'alice', lookup: r.lookup ?? daemon() });
}

export type Allowed = Extract<InspectVerdict, { allowed: true }>;

/** Asserts the verdict allows and returns it. */
export function allowed(v: InspectVerdict): Allowed {
  assert.equal(v.allowed, true, v.allowed ? '' : `${v.rule}: ${v.reason}`);
  if (!v.allowed) throw new Error('unreachable');
  return v;
}

/** The verdict without its `response`/`events` functions, asserting which of them it has. */
export function bare(v: InspectVerdict, has: { response?: boolean; events?: boolean } = {}): Omit<Allowed, 'response' | 'events'> {
  const { response, events, ...rest } = allowed(v);
  assert.equal(typeof response === 'function', has.response ?? false, 'response');
  assert.equal(typeof events === 'function', has.events ?? false, 'events');
  return rest;
}

/** The verdict's answer rewrite applied to `body` (plain data). */
export function respond(v: InspectVerdict, body: unknown): unknown {
  const r = allowed(v).response;
  assert.equal(typeof r, 'function', 'the verdict rewrites the answer');
  return r!(j(body));
}

/** The query the verdict forwards, as a plain object. */
export function queryOf(v: InspectVerdict): Record<string, readonly string[]> {
  const q = allowed(v).query;
  assert.ok(q !== undefined, 'the verdict changes the query');
  return Object.fromEntries(q);
}

/** The forwarded `filters`, parsed. */
export function filtersOf(v: InspectVerdict): unknown {
  const f = queryOf(v)['filters'];
  assert.equal(f?.length, 1);
  return JSON.parse(f![0]!);
}

export function expectHidden(v: InspectVerdict, message: string, status = 404): void {
  assert.equal(v.allowed, false, 'expected a refusal');
  if (v.allowed) return;
  assert.equal(v.rule, 'PC_HIDDEN', v.reason);
  assert.equal(v.status, status);
  assert.equal(v.message, message);
}

export function expectRule(v: InspectVerdict, rule: string): void {
  assert.equal(v.allowed, false, 'expected a refusal');
  if (v.allowed) return;
  assert.equal(v.rule, rule, v.reason);
}
