import assert from 'node:assert/strict';
import type { InspectVerdict, Inspector } from '../../src/inspect/types.js';
import { createTenancyInspector } from '../../src/tenancy/inspector.js';
import { mergeTenancy } from '../../src/tenancy/model.js';
import { fakeLookup, inspectWith, j, type LookupAnswer } from '../policy/constraints/helpers.js';

export { fakeLookup, j };

export const LABEL = 'io.portcullis.owner';
export const enc = (v: unknown): string => encodeURIComponent(JSON.stringify(v));
export const ownedPath = (client: string): string => `/containers/json?all=1&filters=${enc({ label: { [`${LABEL}=${client}`]: true } })}`;

export const A1 = 'a1' + '0'.repeat(62);
export const A2 = 'a2' + '0'.repeat(62);
export const B1 = 'b1' + '0'.repeat(62);
/** shares the prefix "ab" with AB_A */
export const AB_A = 'ab' + '1'.repeat(62);
export const AB_B = 'ab' + '2'.repeat(62);

/** alice owns web (A1), db (A2), x (AB_A); bob owns api (B1), y (AB_B). */
export function daemon(extra: Record<string, LookupAnswer> = {}): ReturnType<typeof fakeLookup> {
  return fakeLookup({
    [ownedPath('alice')]: { status: 200, body: [{ Id: A1, Names: ['/web'] }, { Id: A2, Names: ['/db'] }, { Id: AB_A, Names: ['/x'] }] },
    [ownedPath('bob')]: { status: 200, body: [{ Id: B1, Names: ['/api'] }, { Id: AB_B, Names: ['/y'] }] },
    ...extra,
  });
}

export interface Req {
  op: string;
  params?: Record<string, string>;
  query?: Record<string, string[]>;
  body?: unknown;
  client?: string;
  lookup?: ReturnType<typeof fakeLookup>;
}

export async function run(r: Req, inspector: Inspector = createTenancyInspector(mergeTenancy({ ownership: true })!)): Promise<InspectVerdict> {
  return inspectWith(inspector, { ...r, client: r.client ?? 'alice', lookup: r.lookup ?? daemon() });
}

export function expectHidden(v: InspectVerdict, message: string, status = 404): void {
  assert.equal(v.allowed, false);
  if (v.allowed) return;
  assert.equal(v.rule, 'PC_HIDDEN');
  assert.equal(v.status, status);
  assert.equal(v.message, message);
}

export function expectRule(v: InspectVerdict, rule: string): void {
  assert.equal(v.allowed, false, 'expected a refusal');
  if (v.allowed) return;
  assert.equal(v.rule, rule, v.reason);
}
