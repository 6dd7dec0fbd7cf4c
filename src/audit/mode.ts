import { admit, type Admission, type HeadFacts, type Refusal } from '../proxy/authorize.js';
import type { CompiledPolicy } from '../policy/types.js';

export type PolicyMode = 'enforce' | 'audit';

/**
 * Refusals that audit mode never relaxes: they are about reading the request the way dockerd
 * will (routing, framing, JSON, upgrades, form bodies, sizes) or about who is asking, not about
 * what the policy allows. Forwarding such a request would forward bytes nobody interpreted.
 */
const PROTOCOL = new Set([
  'PC_UNKNOWN_ENDPOINT',
  'PC_BAD_PATH',
  'PC_BAD_QUERY',
  'PC_API_VERSION',
  'PC_BAD_TARGET',
  'PC_UPGRADE_REFUSED',
  'PC_FORM_BODY',
  'PC_BODY_TOO_LARGE',
  'PC_BAD_JSON',
  'PC_BAD_FRAMING',
  'PC_HEADERS_TOO_LARGE',
  'PC_UNKNOWN_TOKEN',
  'PC_UNKNOWN_CLIENT',
  'PC_UPSTREAM_UNAVAILABLE',
]);

/** Whether audit mode forwards what `r` refuses (a decision of the policy: rules, constraints, tenancy, images...). */
export function auditable(r: Refusal): boolean {
  return !PROTOCOL.has(r.rule);
}

export interface AuditAdmission extends Admission {
  /** what enforce mode would have answered; the request is forwarded anyway */
  readonly wouldDeny: Refusal | null;
}

/**
 * admit() for a policy in audit mode: the same decision, but a policy refusal becomes an
 * admission carrying it, once the checks that do not depend on the policy have passed.
 */
export function auditAdmit(head: HeadFacts, policy: CompiledPolicy, minVersion: string): AuditAdmission | Refusal {
  const a = admit(head, policy, minVersion);
  if (a.allowed) return { ...a, wouldDeny: null };
  if (!auditable(a) || a.operation === null) return a;
  const permissive: CompiledPolicy = { ...policy, decide: () => ({ allowed: true, rule: a.rule, reason: '' }) };
  const again = admit(head, permissive, minVersion);
  if (!again.allowed) return again;
  return { ...again, inspect: false, wouldDeny: a };
}
