import type { HttpMethod } from '../catalogue/operation.js';
import { GROUPS, OPERATIONS, OPERATIONS_BY_ID } from '../catalogue/operations.js';

/**
 * What a selector of a rule's `allow`/`deny` list stands for.
 *
 * - `ops`: a fixed set of operationIds, from `*`, a group (`containers:read`), a family
 *   (`volumes:*` or `volumes`) or an operationId. Decided from the operation alone.
 * - `path`: `METHOD /path/pattern`, matched against the request's method and canonical decoded
 *   path (no version prefix). `*` stands for exactly one segment, so it never matches an image
 *   name with a slash in it (`library/busybox`); `**` stands for one or more segments. Other
 *   segments compare literally with the decoded segments. A path selector only ever sees
 *   requests the router already resolved to a catalogued operation: it narrows operations down
 *   by their parameters, it can never reach an endpoint the catalogue does not know.
 */
export type Selector =
  | { readonly kind: 'ops'; readonly ops: ReadonlySet<string> }
  | { readonly kind: 'path'; readonly method: HttpMethod; readonly re: RegExp };

export type ParsedSelector = { ok: true; selector: Selector } | { ok: false; reason: string };

const METHODS: ReadonlySet<string> = new Set<HttpMethod>(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']);
/**
 * BuildKit's raw channels (Session, GRPC) hand over an API Portcullis cannot inspect, so only
 * a selector that names them (`buildkit`, `buildkit:write`, `Session`, `GRPC`) allows them:
 * not `*`, and not a path pattern.
 */
export const EXPLICIT_ONLY: ReadonlySet<string> = new Set(OPERATIONS.filter((o) => o.group.startsWith('buildkit:')).map((o) => o.id));
const ALL: ReadonlySet<string> = new Set(OPERATIONS.filter((o) => !EXPLICIT_ONLY.has(o.id)).map((o) => o.id));

function familyOps(family: string): ReadonlySet<string> | undefined {
  const ops = new Set<string>();
  for (const [group, ids] of GROUPS) {
    if (group.slice(0, group.indexOf(':')) === family) for (const id of ids) ops.add(id);
  }
  return ops.size === 0 ? undefined : ops;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function parsePathSelector(method: string, pattern: string): ParsedSelector {
  if (!METHODS.has(method)) return { ok: false, reason: `unknown method "${method}" in path selector` };
  if (!pattern.startsWith('/') || pattern === '/') {
    return { ok: false, reason: `path pattern "${pattern}" must start with "/" and name at least one segment` };
  }
  let source = '^';
  for (const segment of pattern.slice(1).split('/')) {
    if (segment === '') return { ok: false, reason: `path pattern "${pattern}" has an empty segment` };
    if (segment === '*') source += '/[^/]+';
    else if (segment === '**') source += '(?:/[^/]+)+';
    else if (segment.includes('*')) {
      return { ok: false, reason: `path pattern "${pattern}": "*" and "**" must be a whole segment` };
    } else source += '/' + escapeRegExp(segment);
  }
  return { ok: true, selector: { kind: 'path', method: method as HttpMethod, re: new RegExp(source + '$') } };
}

export function parseSelector(text: string): ParsedSelector {
  if (text === '*') return { ok: true, selector: { kind: 'ops', ops: ALL } };
  const space = text.indexOf(' ');
  if (space !== -1) return parsePathSelector(text.slice(0, space), text.slice(space + 1));
  const colon = text.indexOf(':');
  if (colon !== -1) {
    const family = text.slice(0, colon);
    const access = text.slice(colon + 1);
    const ops = access === '*' ? familyOps(family) : GROUPS.has(text) ? new Set(GROUPS.get(text)) : undefined;
    if (ops === undefined) return { ok: false, reason: `unknown group "${text}"` };
    return { ok: true, selector: { kind: 'ops', ops } };
  }
  const family = familyOps(text);
  if (family !== undefined) return { ok: true, selector: { kind: 'ops', ops: family } };
  if (OPERATIONS_BY_ID.has(text)) return { ok: true, selector: { kind: 'ops', ops: new Set([text]) } };
  return { ok: false, reason: `unknown selector "${text}": not an operationId, group, family, "*" or "METHOD /path"` };
}
