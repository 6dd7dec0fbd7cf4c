import type { Config } from '../config/schema.js';
import { mergeRedaction } from '../filter/redact.js';
import { mergeImages } from '../images/model.js';
import { mergeMutation } from '../mutate/create.js';
import { BUILTIN_POLICIES } from '../policy/builtin.js';
import type { PolicySpec } from '../policy/types.js';
import { mergeTenancy } from '../tenancy/model.js';
import { mergeVisibility } from '../visibility/model.js';
import { anonymousIdentity } from './identity.js';

/**
 * What an authorization plugin cannot do. dockerd lets a plugin allow or deny; it forwards the
 * client's own bytes and hands the answer back untouched. Every policy feature that works by
 * rewriting a request or an answer is therefore impossible there, and a policy relying on one
 * is refused rather than enforced halfway.
 */
const FEATURES: ReadonlyArray<{ key: 'tenancy' | 'mutate' | 'redact' | 'visibility' | 'images'; on: (specs: PolicySpec[]) => boolean; why: string }> = [
  {
    key: 'tenancy',
    on: (s) => mergeTenancy(...s.flatMap((p) => (p.tenancy === undefined ? [] : [p.tenancy]))) !== null,
    why: 'tenancy labels new objects, pins references, prefixes names and filters lists, events and prunes: all rewrites, which an authorization plugin cannot make',
  },
  {
    key: 'mutate',
    on: (s) => mergeMutation(...s.flatMap((p) => (p.mutate === undefined ? [] : [p.mutate]))) !== null,
    why: 'mutation changes the create body dockerd reads, and an authorization plugin can only allow or deny it',
  },
  {
    key: 'redact',
    on: (s) => mergeRedaction(...s.flatMap((p) => (p.redact === undefined ? [] : [p.redact]))) !== null,
    why: 'redaction rewrites inspect answers, and dockerd hands an authorization plugin\'s answer back unchanged',
  },
  {
    key: 'visibility',
    on: (s) => mergeVisibility(...s.flatMap((p) => (p.visibility === undefined ? [] : [p.visibility]))) !== null,
    why: 'visibility filters lists and events and pins references to the objects it checked: an authorization plugin can neither filter an answer nor pin a reference',
  },
  {
    key: 'images',
    on: (s) => mergeImages(...s.flatMap((p) => (p.images === undefined ? [] : [p.images]))) !== null,
    why: 'the image allowlist pins references to the image it checked and filters image lists: an authorization plugin can do neither',
  },
];

export interface SupportProblem {
  /** where in the config the feature is written, e.g. ['policies','tenants','tenancy'] */
  readonly path: (string | number)[];
  readonly message: string;
}

/** The policies a plugin can hand out: the anonymous client's and those of the `cert:` clients. */
export function pluginPolicies(config: Pick<Config, 'listeners' | 'clients' | 'defaultClient'>, anonymousClient?: string): string[] {
  const names = new Set<string>();
  try {
    names.add(anonymousIdentity(config as Config, anonymousClient).policy);
  } catch {
    // reported by the identity check
  }
  for (const c of config.clients) if (c.cert !== undefined) names.add(c.policy);
  return [...names];
}

function chainOf(name: string, specs: ReadonlyMap<string, PolicySpec>): string[] {
  const chain: string[] = [];
  for (let n: string | undefined = name; n !== undefined && specs.has(n) && !chain.includes(n); n = specs.get(n)!.extends) chain.push(n);
  return chain;
}

/** Every feature a plugin-mode policy relies on that a plugin cannot provide, at the key that turns it on. */
export function unsupportedInPlugin(policies: Readonly<Record<string, PolicySpec>>, used: readonly string[]): SupportProblem[] {
  const specs = new Map<string, PolicySpec>(Object.entries(BUILTIN_POLICIES));
  for (const [n, spec] of Object.entries(policies)) specs.set(n, spec);
  const problems: SupportProblem[] = [];
  const reported = new Set<string>();
  for (const name of used) {
    const chain = chainOf(name, specs);
    const baseFirst = [...chain].reverse().map((n) => specs.get(n)!);
    for (const f of FEATURES) {
      if (!f.on(baseFirst)) continue;
      // The nearest policy of the chain that writes the key is the one to change.
      const at = chain.find((n) => specs.get(n)![f.key] !== undefined)!;
      if (reported.has(`${at}.${f.key}`)) continue;
      reported.add(`${at}.${f.key}`);
      const via = at === name ? '' : ` (policy "${name}" extends it)`;
      problems.push({ path: ['policies', at, f.key], message: `not available in plugin mode${via}: ${f.why}` });
    }
  }
  return problems;
}

/** Everything that keeps a config from being served as a plugin (`check --mode plugin`, `plugin`). */
export function pluginModeProblems(
  config: Pick<Config, 'listeners' | 'clients' | 'defaultClient' | 'policies'>,
  anonymousClient?: string,
): SupportProblem[] {
  const problems: SupportProblem[] = [];
  try {
    anonymousIdentity(config as Config, anonymousClient);
  } catch (error) {
    problems.push({ path: ['listeners', 0], message: `plugin mode: ${(error as Error).message}` });
  }
  return [...problems, ...unsupportedInPlugin(config.policies, pluginPolicies(config, anonymousClient))];
}
