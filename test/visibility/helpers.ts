import assert from 'node:assert/strict';
import type { InspectVerdict } from '../../src/inspect/types.js';
import { createVisibilityInspector } from '../../src/visibility/inspector.js';
import { mergeVisibility, type VisibilityOverrides } from '../../src/visibility/model.js';
import { fakeLookup, inspectWith, j, type LookupAnswer } from '../policy/constraints/helpers.js';
import { expectHidden, expectRule } from '../tenancy/helpers.js';

export { expectHidden, expectRule, fakeLookup, j };

export const enc = (v: unknown): string => encodeURIComponent(JSON.stringify(v));

export const WEB1 = 'c1' + '1'.repeat(62);
/** hidden; shares the prefix "c" with WEB1 */
export const DB1 = 'c2' + '2'.repeat(62);
/** visible through its label only */
export const X = 'd1' + '3'.repeat(62);
export const WEB2 = 'e1' + '4'.repeat(62);
export const N1 = 'f1' + '5'.repeat(62);
export const N2 = 'f2' + '6'.repeat(62);

/** containers `web*` or `expose=yes`; networks `app-*`; volumes `data-*` or label `keep`. */
export const POLICY: VisibilityOverrides = {
  containers: { names: ['web*'], labels: ['expose=yes'] },
  networks: { names: ['app-*'] },
  volumes: { names: ['data-*'], labels: ['keep'] },
};

export const CONTAINERS = [
  { Id: WEB1, Names: ['/web1'], Labels: null },
  // linked into web1 as "db": the alias is web1's view of it, not a name of its own
  { Id: DB1, Names: ['/db1', '/web1/db'], Labels: {} },
  { Id: X, Names: ['/x'], Labels: { expose: 'yes' } },
  { Id: WEB2, Names: ['/web2'], Labels: { expose: 'no' } },
];
export const NETWORKS = [
  { Id: N1, Name: 'app-net', Labels: {} },
  { Id: N2, Name: 'secret-net', Labels: {} },
  { Id: 'b0' + '7'.repeat(62), Name: 'bridge', Labels: {} },
];
export const VOLUMES = {
  Volumes: [
    { Name: 'data-1', Labels: null },
    { Name: 'kept', Labels: { keep: '' } },
    { Name: 'secret', Labels: {} },
  ],
  Warnings: null,
};

export function daemon(extra: Record<string, LookupAnswer> = {}): ReturnType<typeof fakeLookup> {
  return fakeLookup({
    '/containers/json?all=1': { status: 200, body: CONTAINERS },
    '/networks': { status: 200, body: NETWORKS },
    '/volumes': { status: 200, body: VOLUMES },
    ...extra,
  });
}

export interface Req {
  op: string;
  params?: Record<string, string>;
  query?: Record<string, string[]>;
  body?: unknown;
  lookup?: ReturnType<typeof fakeLookup>;
  version?: string;
}

export async function run(r: Req, policy: VisibilityOverrides = POLICY, forcedLabels: Record<string, string> = {}): Promise<InspectVerdict> {
  const v = mergeVisibility(policy);
  assert.ok(v);
  return inspectWith(createVisibilityInspector(v, forcedLabels), { ...r, client: 'dash', lookup: r.lookup ?? daemon() });
}



/** The allowed verdict's fields (a refusal fails the test). */
export function allowed(v: InspectVerdict): Extract<InspectVerdict, { allowed: true }> {
  assert.equal(v.allowed, true, v.allowed ? '' : `${v.rule}: ${v.reason}`);
  return v as Extract<InspectVerdict, { allowed: true }>;
}
