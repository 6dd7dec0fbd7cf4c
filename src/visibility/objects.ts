import { isJsonObject, type JsonObject, type JsonValue } from '../inspect/json-value.js';
import type { InspectRequest } from '../inspect/types.js';
import { serializeFilters } from '../tenancy/filters.js';
import { lookupFailed } from '../tenancy/refusal.js';
import type { ContainerEntry, NetworkEntry, VolumeEntry } from '../tenancy/resolve.js';
import type { Labels, Selector } from './selector.js';

/**
 * Objects as the daemon lists them, judged by a selector, and the visible sets that references
 * resolve within. Every set is a fresh look-up (no cache); one that fails refuses.
 */

export type Lookup = InspectRequest['lookup'];

function field(o: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** The string-valued entries of a `Labels` object (dockerd lists null for none). */
export function labelsOf(v: JsonValue | undefined): Labels {
  const out: Record<string, string> = {};
  if (!isJsonObject(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') Object.defineProperty(out, k, { value: x, enumerable: true });
  return out;
}

/**
 * A container's own names from a list entry's `Names`, without the leading "/". Legacy links add
 * `/<other>/<alias>` to the linked container's names: those are the other container's view of it,
 * not names it was given, so they do not make it visible.
 */
function ownNames(names: JsonValue | undefined): string[] {
  if (!Array.isArray(names)) return [];
  return names.filter((n): n is string => typeof n === 'string' && n.startsWith('/') && n.indexOf('/', 1) === -1).map((n) => n.slice(1));
}

/** A container list entry (ContainerList, system df): by its own names and labels. */
export function containerVisible(entry: JsonValue, sel: Selector): boolean {
  return isJsonObject(entry) && sel.visible(ownNames(field(entry, 'Names')), labelsOf(field(entry, 'Labels')));
}

/** A network or volume as listed or inspected: by `Name` and `Labels`. */
export function namedVisible(entry: JsonValue, sel: Selector): boolean {
  if (!isJsonObject(entry)) return false;
  const name = field(entry, 'Name');
  return sel.visible(typeof name === 'string' ? [name] : [], labelsOf(field(entry, 'Labels')));
}

/** A visible container; visibility knows no owners, so whatever is visible is the client's to act on. */
export interface VisibleContainer extends ContainerEntry {
  readonly labels: Labels;
}

async function list(lookup: Lookup, path: string, what: string): Promise<JsonValue> {
  let res: Awaited<ReturnType<Lookup>>;
  try {
    res = await lookup(path);
  } catch (error) {
    lookupFailed(`cannot list ${what}: ${(error as Error).message ?? String(error)}`);
  }
  if (res.status !== 200) lookupFailed(`cannot list ${what}: the daemon answered ${res.status}`);
  return res.body;
}

/** `?filters=…` (after `sep`) narrowing a look-up to the selector's label when that is exact, else nothing. */
function pushdownQuery(sel: Selector, sep: '?' | '&'): string {
  if (sel.pushdown === null) return '';
  return `${sep}filters=${encodeURIComponent(serializeFilters(new Map([['label', new Set([sel.pushdown])]])))}`;
}

function entries(body: JsonValue, what: string): JsonObject[] {
  if (!Array.isArray(body)) lookupFailed(`cannot list ${what}: the daemon's answer is not a list`);
  return body.map((e) => {
    if (!isJsonObject(e)) lookupFailed(`cannot list ${what}: an entry is not an object`);
    return e;
  });
}

function text(o: JsonObject, key: string, what: string): string {
  const v = field(o, key);
  if (typeof v !== 'string') lookupFailed(`cannot list ${what}: an entry has no ${key}`);
  return v;
}

/** Every container the selector shows, in any state. */
export async function visibleContainers(lookup: Lookup, sel: Selector): Promise<VisibleContainer[]> {
  const what = 'the visible containers';
  const out: VisibleContainer[] = [];
  for (const c of entries(await list(lookup, `/containers/json?all=1${pushdownQuery(sel, '&')}`, what), what)) {
    const names = field(c, 'Names');
    const labels = labelsOf(field(c, 'Labels'));
    if (!sel.visible(ownNames(names), labels)) continue;
    const all = Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
    out.push({ id: text(c, 'Id', what), names: all, owned: true, labels });
  }
  return out;
}

export async function visibleNetworks(lookup: Lookup, sel: Selector): Promise<NetworkEntry[]> {
  const what = 'the visible networks';
  return entries(await list(lookup, `/networks${pushdownQuery(sel, '?')}`, what), what)
    .filter((n) => namedVisible(n, sel))
    .map((n) => {
      const name = text(n, 'Name', what);
      return { id: text(n, 'Id', what), name, raw: name, owned: true };
    });
}

export async function visibleVolumes(lookup: Lookup, sel: Selector): Promise<VolumeEntry[]> {
  const what = 'the visible volumes';
  const body = await list(lookup, `/volumes${pushdownQuery(sel, '?')}`, what);
  const volumes = isJsonObject(body) ? field(body, 'Volumes') : undefined;
  if (volumes === null) return [];
  if (volumes === undefined) lookupFailed(`cannot list ${what}: the daemon's answer has no Volumes list`);
  return entries(volumes, what)
    .filter((v) => namedVisible(v, sel))
    .map((v) => {
      const name = text(v, 'Name', what);
      return { name, raw: name, owned: true };
    });
}

/** Every container, visible or not, whose own name is exactly `name`, with what judges its visibility. */
export async function containersNamed(lookup: Lookup, name: string): Promise<JsonObject[]> {
  const anchored = '^/' + name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$';
  const what = `containers named "${name}"`;
  const body = await list(lookup, `/containers/json?all=1&filters=${encodeURIComponent(serializeFilters(new Map([['name', new Set([anchored])]])))}`, what);
  // dockerd's name filter is a regular expression: match exactly here whatever it returned.
  return entries(body, what).filter((c) => ownNames(field(c, 'Names')).includes(name));
}

/** The container an exec instance runs in, or null when dockerd knows no such exec (exact IDs only). */
export async function execContainer(lookup: Lookup, execId: string): Promise<string | null> {
  let res: Awaited<ReturnType<Lookup>>;
  try {
    res = await lookup(`/exec/${encodeURIComponent(execId)}/json`);
  } catch (error) {
    lookupFailed(`cannot look up exec instance: ${(error as Error).message ?? String(error)}`);
  }
  if (res.status === 404) return null;
  const id = res.status === 200 && isJsonObject(res.body) ? field(res.body, 'ContainerID') : undefined;
  if (typeof id !== 'string') lookupFailed(`cannot look up exec instance: the daemon answered ${res.status} without a ContainerID`);
  return id;
}

/** A volume by its exact name: its list-shaped document, or null when there is none. */
export async function volumeNamed(lookup: Lookup, name: string): Promise<JsonValue | null> {
  let res: Awaited<ReturnType<Lookup>>;
  try {
    res = await lookup(`/volumes/${encodeURIComponent(name)}`);
  } catch (error) {
    lookupFailed(`cannot look up volume "${name}": ${(error as Error).message ?? String(error)}`);
  }
  if (res.status === 404) return null;
  if (res.status !== 200) lookupFailed(`cannot look up volume "${name}": the daemon answered ${res.status}`);
  return res.body;
}
