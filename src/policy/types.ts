import type { Operation } from '../catalogue/operation.js';
import type { Inspector } from '../inspect/types.js';
import type { TenancyOverrides } from '../tenancy/model.js';
import type { RedactionOverrides } from '../filter/redact.js';
import type { VisibilityOverrides } from '../visibility/model.js';
import type { MutationOverrides } from '../mutate/create.js';
import type { ImageOverrides } from '../images/model.js';
import type { ConstraintOverrides } from './constraints/model.js';

/** A rule as written in the config file (after schema validation, before compilation). */
export interface RuleSpec {
  readonly id: string;
  /** selectors: an operationId, a group (`containers:read`, `volumes:*`, `exec`), `*`, or `METHOD /path/pattern` */
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
  /** each named query parameter must be present and every one of its values must be listed */
  readonly query?: Readonly<Record<string, readonly string[]>>;
}

export interface PolicySpec {
  /** name of another policy (or built-in) whose rules are tried after this policy's own rules */
  readonly extends?: string;
  readonly rules: readonly RuleSpec[];
  /**
   * Body and pre-flight checks of the requests the rules allow (docs/constraints.md). Keys left
   * out come from the policy this one extends, and finally from the hardened defaults; a policy
   * with no constraints anywhere along its chain has no inspector.
   */
  readonly constraints?: ConstraintOverrides;
  /**
   * Multi-tenancy (docs/tenancy.md): ownership labels, visibility and quotas. Keys left out come
   * from the policy this one extends; ownership is on when `ownership` ends up true.
   */
  readonly tenancy?: TenancyOverrides;
  /** Redaction of container inspect answers (README, "Tenants"): keys left out come from the base. */
  readonly redact?: RedactionOverrides;
  /**
   * Which containers, networks and volumes the clients see, by name patterns and label selectors
   * (docs/visibility.md): `match` and each kind block left out come from the base.
   */
  readonly visibility?: VisibilityOverrides;
  /**
   * Mutation of ContainerCreate bodies (docs/mutation.md): forced labels and hardening, resource
   * defaults and caps. Keys left out come from the base (`labels` and the limits key by key).
   */
  readonly mutate?: MutationOverrides;
  /** Image reference allowlist (docs/images.md): the nearest policy along the chain with `allow` decides. */
  readonly images?: ImageOverrides;
  /** audit forwards what enforce would refuse and logs it as would_deny (docs/operations.md); default: the config's `mode` */
  readonly mode?: 'enforce' | 'audit';
}

/** What the policy engine sees of a request. */
export interface RequestFacts {
  readonly op: Operation;
  readonly method: string;
  /** canonical, percent-decoded path without the version prefix */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  /** query parameters decoded as Go's url.ParseQuery decodes them */
  readonly query: ReadonlyMap<string, readonly string[]>;
}

export interface Decision {
  readonly allowed: boolean;
  /** id of the rule that decided, or the error code of the built-in default deny */
  readonly rule: string;
  /** human-readable reason, used in the denial message */
  readonly reason: string;
}

export interface CompiledPolicy {
  readonly name: string;
  /** this policy and the policies it extends, in the order their rules are tried */
  readonly chain: readonly string[];
  decide(req: RequestFacts): Decision;
  /** body and pre-flight checks of allowed requests; null when the policy has no constraints */
  readonly inspector: Inspector | null;
}
