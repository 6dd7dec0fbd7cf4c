import type { KindRule, MatchMode } from './model.js';

export type Labels = Readonly<Record<string, string>>;

export type Kind = 'container' | 'network' | 'volume';

/** One kind's rule, compiled for its match mode. */
export interface Selector {
  /** `name` is a container's name without its leading "/", or a network's or volume's name */
  nameMatches(name: string): boolean;
  labelsMatch(labels: Labels): boolean;
  /** visible: any of its names matches a pattern, or its labels a selector */
  visible(names: readonly string[], labels: Labels): boolean;
  /**
   * The value of dockerd's `label` filter that selects exactly the visible objects, or null when
   * there is none (name patterns, several selectors — dockerd ANDs label filters —, substrings).
   */
  readonly pushdown: string | null;
}

interface LabelSelector {
  readonly key: string;
  /** null: the label only has to be set */
  readonly value: string | null;
}

/** `key` or `key=value`, split at the first "=" as dockerd's label filter and docker-proxy-filter both split. */
function parseLabelSelector(text: string): LabelSelector {
  const eq = text.indexOf('=');
  return eq === -1 ? { key: text, value: null } : { key: text.slice(0, eq), value: text.slice(eq + 1) };
}

/** `*` any run of characters, `?` one character; everything else is literal. */
function globRegExp(pattern: string): RegExp {
  let src = '';
  for (const ch of pattern) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 'su');
}

function exactLabel(s: LabelSelector, labels: Labels): boolean {
  return Object.hasOwn(labels, s.key) && (s.value === null || labels[s.key] === s.value);
}

/** docker-proxy-filter's `label_match`: some label's key contains the selector's key, and its value the selector's value. */
function substringLabel(s: LabelSelector, labels: Labels): boolean {
  return Object.entries(labels).some(([k, v]) => k.includes(s.key) && (s.value === null || v.includes(s.value)));
}

/**
 * Compiles one kind's rule. Container names are matched without their leading "/" in glob mode
 * (a pattern's own leading "/" is dropped, as dockerd takes `web` and `/web` alike); in
 * substring mode a pattern is looked for in `/<name>`, as docker-proxy-filter looks for it in the
 * names the daemon lists, so `/web` matches names that begin with `web`.
 */
export function compileSelector(rule: KindRule, mode: MatchMode, kind: Kind): Selector {
  const labels = rule.labels.map(parseLabelSelector);
  let nameMatches: (name: string) => boolean;
  let labelsMatch: (l: Labels) => boolean;
  if (mode === 'glob') {
    const res = rule.names.map((p) => globRegExp(kind === 'container' && p.startsWith('/') ? p.slice(1) : p));
    nameMatches = (name) => res.some((re) => re.test(name));
    labelsMatch = (l) => labels.some((s) => exactLabel(s, l));
  } else {
    const subject = kind === 'container' ? (name: string) => '/' + name : (name: string) => name;
    nameMatches = (name) => rule.names.some((p) => subject(name).includes(p));
    labelsMatch = (l) => labels.some((s) => substringLabel(s, l));
  }
  const pushdown = mode === 'glob' && rule.names.length === 0 && rule.labels.length === 1 ? (rule.labels[0] as string) : null;
  return {
    nameMatches,
    labelsMatch,
    visible: (names, l) => names.some(nameMatches) || labelsMatch(l),
    pushdown,
  };
}
