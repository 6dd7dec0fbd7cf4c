import type { HttpMethod, Operation } from '../catalogue/operation.js';
import { OPERATIONS } from '../catalogue/operations.js';
import type { Inspector } from '../inspect/types.js';
import { BUILTIN_POLICIES } from './builtin.js';
import { createInspector, HARDENED_CONSTRAINTS, mergeConstraints, type ConstraintOverrides } from './constraints.js';
import { EXPLICIT_ONLY, parseSelector } from './selectors.js';
import { chainInspectors } from '../inspect/chain.js';
import { createTenancyInspector } from '../tenancy/inspector.js';
import { mergeTenancy, type Tenancy, type TenancyOverrides } from '../tenancy/model.js';
import { createRedactionInspector, mergeRedaction, type RedactionOverrides } from '../filter/redact.js';
import { createMutationInspector, mergeMutation, type MutationOverrides } from '../mutate/create.js';
import { createVisibilityInspector } from '../visibility/inspector.js';
import { mergeVisibility, type VisibilityOverrides } from '../visibility/model.js';
import { createImageInspector } from '../images/inspector.js';
import { createTenantImagesInspector } from '../tenancy/images/inspector.js';
import { mergeImages, type ImageOverrides } from '../images/model.js';
import type { CompiledPolicy, Decision, PolicySpec, RequestFacts, RuleSpec } from './types.js';

/** A config mistake; `path` points into the config (`['policies','ci','rules',2,'allow',1]`). */
export class PolicyError extends Error {
  constructor(
    message: string,
    public readonly path: (string | number)[],
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}

interface Rule {
  readonly id: string;
  /** operations named by `*`, groups, families and operationIds */
  readonly ops: ReadonlySet<string>;
  readonly paths: readonly { readonly method: HttpMethod; readonly re: RegExp }[];
  /** null when the rule has no query condition */
  readonly query: readonly (readonly [string, ReadonlySet<string>])[] | null;
  readonly decision: Decision;
}

/** A rule that may decide for one operation, with its path selectors narrowed to that method. */
interface Candidate {
  readonly rule: Rule;
  /** one of the rule's `ops` selectors names the operation, no path needs testing */
  readonly named: boolean;
  readonly paths: readonly RegExp[];
}

interface OperationTable {
  /** the decision when it does not depend on the request beyond its operation */
  readonly fixed: Decision | null;
  readonly candidates: readonly Candidate[];
  readonly fallback: Decision;
}

function defaultDeny(opId: string): Decision {
  return Object.freeze({ allowed: false, rule: 'PC_DENIED_DEFAULT', reason: `no rule allows ${opId}` });
}

function compileRule(spec: RuleSpec, at: (string | number)[]): Rule {
  if (spec.allow !== undefined && spec.deny !== undefined) {
    throw new PolicyError(`rule "${spec.id}" has both allow and deny; split it into two rules`, at);
  }
  const key = spec.allow !== undefined ? 'allow' : 'deny';
  const selectors = spec.allow ?? spec.deny;
  if (selectors === undefined || selectors.length === 0) {
    throw new PolicyError(`rule "${spec.id}" needs at least one selector in allow or deny`, at);
  }
  const ops = new Set<string>();
  const paths: { method: HttpMethod; re: RegExp }[] = [];
  selectors.forEach((text, i) => {
    const parsed = parseSelector(text);
    if (!parsed.ok) throw new PolicyError(parsed.reason, [...at, key, i]);
    if (parsed.selector.kind === 'ops') for (const id of parsed.selector.ops) ops.add(id);
    else paths.push({ method: parsed.selector.method, re: parsed.selector.re });
  });
  let query: [string, ReadonlySet<string>][] | null = null;
  if (spec.query !== undefined) {
    query = [];
    for (const [name, values] of Object.entries(spec.query)) {
      // An empty list can never hold (a present parameter has at least one value).
      if (values.length === 0) throw new PolicyError(`query parameter "${name}" lists no values`, [...at, 'query', name]);
      query.push([name, new Set(values)]);
    }
    if (query.length === 0) query = null;
  }
  const decision: Decision = Object.freeze(
    key === 'allow'
      ? { allowed: true, rule: spec.id, reason: `allowed by rule ${spec.id}` }
      : { allowed: false, rule: spec.id, reason: `denied by rule ${spec.id}` },
  );
  return { id: spec.id, ops, paths, query, decision };
}

function compileOwnRules(name: string, spec: PolicySpec): Rule[] {
  const seen = new Set<string>();
  return spec.rules.map((rule, i) => {
    const at = ['policies', name, 'rules', i];
    if (seen.has(rule.id)) throw new PolicyError(`rule id "${rule.id}" is used twice in policy "${name}"`, [...at, 'id']);
    seen.add(rule.id);
    return compileRule(rule, at);
  });
}

/** The policy's name, then its base's, then the base's base... */
function policyChain(name: string, specs: ReadonlyMap<string, PolicySpec>): string[] {
  const visited: string[] = [];
  let current: string | undefined = name;
  while (current !== undefined) {
    if (visited.includes(current)) {
      throw new PolicyError(`policy "${name}" extends itself: ${[...visited, current].join(' -> ')}`, ['policies', name, 'extends']);
    }
    const spec = specs.get(current);
    if (spec === undefined) {
      const from = visited[visited.length - 1] as string;
      throw new PolicyError(`policy "${from}" extends unknown policy "${current}"`, ['policies', from, 'extends']);
    }
    visited.push(current);
    current = spec.extends;
  }
  return visited;
}

/** Own rules first, then the base's, then the base's base... */
function ruleChain(chain: readonly string[], own: ReadonlyMap<string, Rule[]>): Rule[] {
  return chain.flatMap((name) => own.get(name) as Rule[]);
}

/**
 * The policy's inspector, null when it needs none. Constraints: the hardened defaults overlaid by
 * the constraints along the chain, base first (a child's keys override its base's, nested objects
 * key by key), when any policy of the chain has some. Tenancy: merged the same way, on when
 * `ownership` ends up true. With both, tenancy runs first and the constraints judge the request
 * as tenancy changed it (pinned IDs, labelled body). Mutation (`mutate`, merged the same way) runs
 * between them: what is forwarded is mutated, then checked. Visibility (merged the same way) runs
 * right after tenancy: it resolves the references the client made before mutation adds its own.
 * The image allowlist (`images.allow`, the nearest one along the chain) runs just before the
 * constraints, on the image the forwarded body names.
 *
 * @throws PolicyError when `mutate.labels` would overwrite the tenancy owner label.
 */
function inspectorFor(chain: readonly string[], specs: ReadonlyMap<string, PolicySpec>): Inspector | null {
  const overrides: ConstraintOverrides[] = [];
  const tenancyOverrides: TenancyOverrides[] = [];
  const redactOverrides: RedactionOverrides[] = [];
  const mutateOverrides: MutationOverrides[] = [];
  const visibilityOverrides: VisibilityOverrides[] = [];
  const imageOverrides: ImageOverrides[] = [];
  for (const name of [...chain].reverse()) {
    const spec = specs.get(name);
    if (spec?.constraints !== undefined) overrides.push(spec.constraints);
    if (spec?.tenancy !== undefined) tenancyOverrides.push(spec.tenancy);
    if (spec?.redact !== undefined) redactOverrides.push(spec.redact);
    if (spec?.mutate !== undefined) mutateOverrides.push(spec.mutate);
    if (spec?.visibility !== undefined) visibilityOverrides.push(spec.visibility);
    if (spec?.images !== undefined) imageOverrides.push(spec.images);
  }
  const tenancy = mergeTenancy(...tenancyOverrides);
  const redaction = mergeRedaction(...redactOverrides);
  const mutation = mergeMutation(...mutateOverrides);
  const visibility = mergeVisibility(...visibilityOverrides);
  const images = mergeImages(...imageOverrides);
  if (tenancy !== null && mutation !== null && Object.hasOwn(mutation.labels, tenancy.label)) {
    // The nearest policy of the chain that forces the label is the one to fix.
    const name = chain.find((n) => Object.hasOwn(specs.get(n)?.mutate?.labels ?? {}, tenancy.label)) as string;
    throw new PolicyError(`mutate.labels must not set the tenancy owner label "${tenancy.label}"`, ['policies', name, 'mutate', 'labels', tenancy.label]);
  }
  // Tenancy first (it pins references and labels bodies), then visibility, then mutation, then
  // redaction, then the image allowlist, then the constraints, which judge the request as it
  // will be forwarded.
  const stages = [
    tenancy === null ? null : createTenancyInspector(tenancy),
    visibility === null ? null : createVisibilityInspector(visibility, mutation?.labels ?? {}),
    mutation === null ? null : createMutationInspector(mutation),
    redaction === null ? null : createRedactionInspector(redaction),
    images === null ? null : createImageInspector(images),
    // After the allowlist, which judges the names the client wrote, tenancy maps them into its image tag space.
    tenancy === null ? null : createTenantImagesInspector(),
    overrides.length === 0 ? null : createInspector(mergeConstraints(HARDENED_CONSTRAINTS, ...overrides)),
  ].filter((s): s is Inspector => s !== null);
  return stages.length === 0 ? null : stages.reduce((a, b) => chainInspectors(a, b));
}

/**
 * Both readings fail closed: an allow rule needs every value of a named parameter listed, a
 * deny rule needs only one, so repeating a parameter can neither widen an allow nor dodge a deny.
 */
function queryHolds(condition: readonly (readonly [string, ReadonlySet<string>])[], query: RequestFacts['query'], allow: boolean): boolean {
  for (const [name, listed] of condition) {
    const values = query.get(name);
    if (values === undefined || values.length === 0) return false;
    if (allow ? !values.every((v) => listed.has(v)) : !values.some((v) => listed.has(v))) return false;
  }
  return true;
}

function tableFor(op: Operation, rules: readonly Rule[]): OperationTable {
  const fallback = defaultDeny(op.id);
  const candidates: Candidate[] = [];
  for (const rule of rules) {
    const named = rule.ops.has(op.id);
    const paths = named || EXPLICIT_ONLY.has(op.id) ? [] : rule.paths.filter((p) => p.method === op.method).map((p) => p.re);
    if (!named && paths.length === 0) continue;
    if (named && rule.query === null) {
      // This rule always decides when reached: later rules are unreachable for this operation,
      // and if it is the first candidate the decision needs nothing but the operation.
      if (candidates.length === 0) return { fixed: rule.decision, candidates: [], fallback };
      candidates.push({ rule, named, paths });
      return { fixed: null, candidates, fallback };
    }
    candidates.push({ rule, named, paths });
  }
  return { fixed: candidates.length === 0 ? fallback : null, candidates, fallback };
}

function compilePolicy(name: string, chain: readonly string[], rules: readonly Rule[], inspector: Inspector | null): CompiledPolicy {
  const tables = new Map<string, OperationTable>();
  for (const op of OPERATIONS) tables.set(op.id, tableFor(op, rules));
  return {
    name,
    chain,
    inspector,
    decide(req: RequestFacts): Decision {
      const table = tables.get(req.op.id);
      // Only catalogued operations come out of the router; anything else is refused.
      if (table === undefined) return defaultDeny(req.op.id);
      if (table.fixed !== null) return table.fixed;
      for (const { rule, named, paths } of table.candidates) {
        if (!named && !paths.some((re) => re.test(req.path))) continue;
        if (rule.query !== null && !queryHolds(rule.query, req.query, rule.decision.allowed)) continue;
        return rule.decision;
      }
      return table.fallback;
    },
  };
}

/**
 * The merged tenancy of policy `name` (null when ownership is off or the policy is unknown), for
 * checks that need the clients of a policy, which compilation does not see.
 */
export function tenancyOf(specs: Record<string, PolicySpec>, name: string): Tenancy | null {
  const merged = new Map<string, PolicySpec>(Object.entries(BUILTIN_POLICIES));
  for (const [n, spec] of Object.entries(specs)) merged.set(n, spec);
  if (!merged.has(name)) return null;
  const chain = policyChain(name, merged);
  return mergeTenancy(...[...chain].reverse().flatMap((n) => (merged.get(n)?.tenancy === undefined ? [] : [merged.get(n)!.tenancy!])));
}

/**
 * Compiles the built-in policies and the config's `policies` (a config policy replaces a
 * built-in of the same name). Rules are tried in order, first match wins; a policy's own rules
 * come before those of the policy it extends. A rule with a query condition matches only when
 * every named parameter is present; an allow rule needs all of a parameter's values listed, a
 * deny rule any one of them. Constraints merge along the `extends` chain over the hardened
 * defaults and give the policy its inspector.
 *
 * @throws PolicyError for unknown selectors, malformed rules, unknown bases and extends cycles.
 */
export function compilePolicies(specs: Record<string, PolicySpec>): Map<string, CompiledPolicy> {
  const merged = new Map<string, PolicySpec>(Object.entries(BUILTIN_POLICIES));
  for (const [name, spec] of Object.entries(specs)) merged.set(name, spec);
  const own = new Map<string, Rule[]>();
  for (const [name, spec] of merged) own.set(name, compileOwnRules(name, spec));
  const compiled = new Map<string, CompiledPolicy>();
  for (const name of merged.keys()) {
    const chain = policyChain(name, merged);
    compiled.set(name, compilePolicy(name, chain, ruleChain(chain, own), inspectorFor(chain, merged)));
  }
  return compiled;
}
