import type { Operation } from '../catalogue/operation.js';
import { Errors, type ErrorCode } from '../errors.js';
import { decodeGoJson, serializeJson } from '../inspect/go-json.js';
import { schemaFor } from '../inspect/schemas.js';
import type { JsonValue } from '../inspect/json-value.js';
import type { Confirm, InspectVerdict } from '../inspect/types.js';
import type { CompiledPolicy } from '../policy/types.js';
import { retarget, route, type RouteMatch } from '../routing/router.js';
import type { Lookup } from '../upstream/lookup.js';

/**
 * The decision about one request, shared by the proxy and `portcullis explain` so that
 * what explain reports is what the proxy does.
 */

/** What of a request head the decision depends on. */
export interface HeadFacts {
  readonly method: string;
  readonly target: string;
  /** the Upgrade protocol the client asked for, or null */
  readonly upgrade: string | null;
  readonly hasBody: boolean;
  /** every Content-Type value sent */
  readonly contentTypes: readonly string[];
}

export interface Refusal {
  readonly allowed: false;
  readonly status: number;
  readonly rule: string;
  /** `portcullis: <label> denied: <reason> (rule <rule>)` */
  readonly message: string;
  /** the operationId, when routing got that far */
  readonly operation: string | null;
  /** the canonical request target, when routing got that far (for the decision log) */
  readonly target: string | null;
}

export interface Admission {
  readonly allowed: true;
  readonly match: RouteMatch;
  readonly rule: string;
  /** the policy's inspector must see this request (and its whole body, for JSON operations) */
  readonly inspect: boolean;
}

export function refusal(status: number, label: string, reason: string, rule: string, m: RouteMatch | null): Refusal {
  return {
    allowed: false,
    status,
    rule,
    message: `portcullis: ${label} denied: ${reason} (rule ${rule})`,
    operation: m === null ? null : m.op.id,
    target: m === null ? null : m.target,
  };
}

function refuse(code: ErrorCode, label: string, reason: string, m: RouteMatch | null): Refusal {
  return refusal(Errors[code].status, label, reason, code, m);
}

/**
 * Go's Request.ParseForm merges a form-encoded body into r.Form, and FormValue also reads
 * multipart forms: dockerd reads its parameters from r.Form, so such a body could override
 * the query parameters the policy checked. No Docker client sends one. Matching on a
 * substring, not a parsed media type, keeps odd spellings from slipping past.
 */
function isFormBody(contentTypes: readonly string[]): boolean {
  return contentTypes.some((v) => {
    const lower = v.toLowerCase();
    return lower.includes('x-www-form-urlencoded') || lower.includes('multipart/');
  });
}

/** Everything that can be decided from the head alone. */
export function admit(head: HeadFacts, policy: CompiledPolicy, minVersion: string): Admission | Refusal {
  const routed = route(head.method, head.target, { minVersion });
  if (!routed.ok) {
    const shown = head.target.length > 512 ? `${head.target.slice(0, 512)}...` : head.target;
    return refuse(routed.code, `${head.method} ${shown}`, routed.reason, null);
  }
  const m = routed.match;
  const op: Operation = m.op;
  const decision = policy.decide({ op, method: head.method, path: m.path, params: m.params, query: m.query });
  if (!decision.allowed) {
    const status = Errors[decision.rule === 'PC_DENIED_DEFAULT' ? 'PC_DENIED_DEFAULT' : 'PC_DENIED_RULE'].status;
    return refusal(status, op.id, decision.reason, decision.rule, m);
  }
  if (head.upgrade !== null && head.upgrade.toLowerCase() !== op.upgrade) {
    const why = op.upgrade === null ? `${op.id} does not switch protocols` : `${op.id} switches to "${op.upgrade}" only`;
    return refuse('PC_UPGRADE_REFUSED', op.id, `protocol upgrade to "${head.upgrade}" refused: ${why}`, m);
  }
  if (head.hasBody && isFormBody(head.contentTypes)) {
    return refuse('PC_FORM_BODY', op.id, 'form-encoded bodies are refused: dockerd merges them into the query parameters', m);
  }
  const inspector = policy.inspector;
  return { allowed: true, match: m, rule: decision.rule, inspect: inspector !== null && inspector.wants(op) };
}

export type Inspected =
  | {
      readonly allowed: true;
      /** the checked, re-serialised body to forward, or null to forward the request's own (streamed) body */
      readonly body: Buffer | null;
      /** the request target to forward: the routed one, or one pinned to the checked object */
      readonly target: string;
      /** rewrites a successful JSON answer before the client sees it, or null */
      readonly response: ((body: JsonValue) => JsonValue) | null;
      /** filters a successful answer's stream of JSON values (the events stream) one at a time, or null */
      readonly events: ((event: JsonValue) => JsonValue | null) | null;
      /** judges the daemon's answer before the client gets it (may undo and refuse), or null */
      readonly confirm: Confirm | null;
    }
  | Refusal;

/**
 * Runs the policy's inspector. `raw` is the whole body of a JSON operation, or null when the
 * operation has none (or streams one the inspector does not read). Anything that cannot be
 * completed is a refusal: an undecodable body, a look-up that fails, a check that throws.
 */
export async function inspect(
  policy: CompiledPolicy,
  method: string,
  m: RouteMatch,
  raw: Buffer | null,
  client: string,
  lookup: Lookup,
): Promise<Inspected> {
  const op = m.op;
  let body = null;
  if (raw !== null) {
    const decoded = decodeGoJson(raw, schemaFor(op.id));
    if (!decoded.ok) {
      return refuse('PC_BAD_JSON', op.id, `the body is not JSON dockerd would read unambiguously: ${decoded.reason}`, m);
    }
    body = decoded.value;
  }
  let verdict: InspectVerdict;
  try {
    verdict = await policy.inspector!.check({ op, method, path: m.path, params: m.params, query: m.query, version: m.version, client, body, lookup });
  } catch (err) {
    return refuse('PC_INSPECT_FAILED', op.id, `the check could not be completed: ${(err as Error).message}`, m);
  }
  if (!verdict.allowed) {
    const r = refusal(verdict.status ?? 403, op.id, verdict.reason, verdict.rule, m);
    return verdict.message === undefined ? r : { ...r, message: verdict.message };
  }
  let target = m.target;
  if (verdict.params !== undefined || verdict.query !== undefined) {
    const pinned = retarget(m, verdict.params ?? {}, verdict.query);
    if (pinned === null) return refuse('PC_INSPECT_FAILED', op.id, 'the checked object cannot be addressed unambiguously', m);
    target = pinned;
  }
  const response = verdict.response ?? null;
  const events = verdict.events ?? null;
  if (response !== null && events !== null) {
    // A held answer never ends for a stream, and a streamed one skips the held filter: neither
    // would apply what was asked.
    return refuse('PC_INSPECT_FAILED', op.id, 'the answer cannot be both held whole and filtered as a stream', m);
  }
  const confirm = verdict.confirm ?? null;
  if (confirm !== null && events !== null) {
    return refuse('PC_INSPECT_FAILED', op.id, 'a stream cannot be held whole to be confirmed', m);
  }
  if (raw === null) return { allowed: true, body: null, target, response, events, confirm };
  const forwarded = verdict.body ?? body;
  return { allowed: true, body: forwarded === null ? Buffer.alloc(0) : Buffer.from(serializeJson(forwarded), 'utf8'), target, response, events, confirm };
}
