import { isJsonObject, type JsonObject, type JsonValue } from '../inspect/json-value.js';
import type { InspectRequest, InspectVerdict } from '../inspect/types.js';
import { addLabel, queryFilters, withFilters, withOwnerFilter, type FilterMap } from './filters.js';
import { presentContainerSummary, presentNetwork, presentVolume, type Names } from './names.js';
import { hidden } from './refusal.js';
import { InspectRefusal } from '../inspect/refusal.js';
import { resolveContainer } from './resolve.js';
import { visibility, visibleContainers, type Owner } from './visible.js';

/**
 * Lists, prunes, events and system df for a tenant. Without shared objects the owner label is
 * merged into the client's `filters` (label filters AND together in dockerd, so the client's own
 * filters, `all`, `limit` and `size` stay exact and the daemon does the filtering). Shared objects
 * make visibility an OR the daemon cannot express: then the answer is filtered here, and `limit`
 * is applied here, after filtering. Names are rewritten both ways when the policy prefixes them.
 */

function badFilters(reason: string): never {
  throw new InspectRefusal('PC_TENANCY_FILTERS', `the filters parameter ${reason}`);
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Name filters as the daemon must read them when names carry the client's prefix. dockerd
 * matches `name` as a regular expression against the stored names (`/alice.web` for containers):
 * an anchored pattern gets the prefix after its anchor; an unanchored one already matches inside
 * the prefixed name. Event filters match a name or an ID by prefix, so the prefixed name is added
 * beside the value the client gave.
 */
function prefixNameFilters(filters: FilterMap, names: Names, op: string): void {
  const prefix = names.prefix;
  if (prefix === null) return;
  // dockerd tries a container's name with and without its "/": `^/web` and `^web` both anchor it.
  const anchor = (p: string): string | null => (op === 'ContainerList' && p.startsWith('^/') ? '^/' : p.startsWith('^') ? '^' : null);
  const name = filters.get('name');
  if (name !== undefined && op !== 'SystemEvents') {
    filters.set(
      'name',
      new Set(
        [...name].map((p) => {
          const a = anchor(p);
          return a === null ? p : a + escapeRegExp(prefix) + p.slice(a.length);
        }),
      ),
    );
  }
  const added = op === 'SystemEvents' ? ['container', 'network', 'volume'] : op === 'ContainerList' ? ['network', 'volume'] : [];
  for (const key of added) {
    const values = filters.get(key);
    if (values !== undefined) filters.set(key, new Set([...values, ...[...values].map((v) => names.toDaemon(v))]));
  }
}

/** `before`/`since` name a container: resolved among the visible ones, as the daemon would, to its ID. */
async function pinListBounds(filters: FilterMap, owner: Owner): Promise<void> {
  for (const key of ['before', 'since']) {
    const values = filters.get(key);
    if (values === undefined) continue;
    const visible = await visibleContainers(owner);
    filters.set(
      key,
      new Set(
        [...values].map((ref) => {
          const found = resolveContainer(visible, ref);
          if (found === null) hidden(`No such container: ${ref}`, `filter ${key} names container "${ref}", which the client cannot see`);
          return found.id;
        }),
      ),
    );
  }
}

type Present = (v: JsonValue, n: Names) => JsonValue;

const PRESENT: Readonly<Record<string, Present>> = {
  ContainerList: presentContainerSummary,
  NetworkList: presentNetwork,
  VolumeList: presentVolume,
};

const ownerSelector = (owner: Owner): string => `${owner.label}=${owner.client}`;

/** Keeps the visible entries of a list (all of them when the daemon already filtered) and presents them. */
function listFilter(owner: Owner, op: string, filtered: boolean, limit: number | null): (body: JsonValue) => JsonValue {
  const present = PRESENT[op]!;
  const keep = (e: JsonValue): boolean => !filtered || visibility(owner, isJsonObject(e) ? e['Labels'] : undefined).visible;
  const entries = (list: JsonValue): JsonValue => {
    if (!Array.isArray(list)) return list;
    const kept = list.filter(keep);
    return (limit === null ? kept : kept.slice(0, limit)).map((e) => present(e, owner.names));
  };
  if (op !== 'VolumeList') return entries;
  return (body) => (isJsonObject(body) && Object.hasOwn(body, 'Volumes') ? { ...body, Volumes: entries(body['Volumes'] ?? null) } : body);
}

/** ContainerList, NetworkList, VolumeList. */
export async function checkList(req: InspectRequest, owner: Owner): Promise<InspectVerdict> {
  const op = req.op.id;
  const filters = queryFilters(req.query);
  await pinListBounds(filters, owner);
  prefixNameFilters(filters, owner.names, op);
  const needsFilter = owner.shared.length > 0;
  if (!needsFilter) {
    const query = withFilters(req.query, addLabel(filters, ownerSelector(owner)));
    return owner.names.prefix === null ? { allowed: true, query } : { allowed: true, query, response: listFilter(owner, op, false, null) };
  }
  let limit: number | null = null;
  if (op === 'ContainerList') {
    // dockerd's `limit` counts what it lists, and a positive one lists every state (daemon/list.go).
    const given = req.query.get('limit') ?? [];
    if (given.length > 1) badFilters('comes with limit given more than once');
    const text = given[0] ?? '';
    if (text !== '' && !/^-?[0-9]+$/.test(text)) throw new InspectRefusal('PC_TENANCY_FILTERS', `limit "${text}" is not an integer`);
    const n = text === '' ? 0 : Number.parseInt(text, 10);
    if (n > 0) limit = n;
  }
  const query = withFilters(req.query, filters, limit === null ? [] : ['limit', 'all']);
  if (limit !== null) query.set('all', ['1']);
  return { allowed: true, query, response: listFilter(owner, op, true, limit) };
}

/** The list of removed names in a prune's answer. */
const PRUNED_NAMES: Readonly<Record<string, string>> = { VolumePrune: 'VolumesDeleted', NetworkPrune: 'NetworksDeleted' };

/** Prunes remove only the client's own objects, never shared ones; the names they report are the client's. */
export function checkPrune(req: InspectRequest, owner: Owner): InspectVerdict {
  const query = withOwnerFilter(req.query, owner.label, owner.client);
  const key = PRUNED_NAMES[req.op.id];
  if (key === undefined || owner.names.prefix === null) return { allowed: true, query };
  const response = (body: JsonValue): JsonValue => {
    const names = isJsonObject(body) && Object.hasOwn(body, key) ? body[key] : undefined;
    if (!isJsonObject(body) || !Array.isArray(names)) return body;
    return { ...body, [key]: names.map((s) => (typeof s === 'string' ? owner.names.toClient(s) : s)) };
  };
  return { allowed: true, query, response };
}

function attributes(ev: JsonObject): JsonObject | null {
  const actor = Object.hasOwn(ev, 'Actor') ? ev['Actor'] : undefined;
  if (!isJsonObject(actor)) return null;
  const attrs = Object.hasOwn(actor, 'Attributes') ? actor['Attributes'] : undefined;
  return isJsonObject(attrs) ? attrs : null;
}

function withActor(ev: JsonObject, change: (actor: JsonObject) => JsonObject): JsonObject {
  return { ...ev, Actor: change(ev['Actor'] as JsonObject) };
}

/**
 * One event as the client may see it, or null. Container events carry the container's labels:
 * own and shared containers show. Network and volume events carry no labels, only the name
 * (`Attributes.name`, the volume's `Actor.ID`): with name prefixes, those in the client's name
 * space are its own; without, none can be attributed and none show. Other types (images, the
 * daemon, plugins, builds) are not the client's business.
 */
export function eventFor(owner: Owner, ev: JsonValue): JsonValue | null {
  if (!isJsonObject(ev)) return null;
  const type = Object.hasOwn(ev, 'Type') ? ev['Type'] : undefined;
  const attrs = attributes(ev);
  const n = owner.names;
  if (type === 'container') {
    const seen = visibility(owner, attrs ?? undefined);
    if (!seen.visible || attrs === null) return null;
    const name = attrs['name'];
    if (!seen.owned || typeof name !== 'string') return ev;
    return withActor(ev, (a) => ({ ...a, Attributes: { ...attrs, name: n.pathToClient(name) } }));
  }
  if (type === 'network') {
    const name = attrs?.['name'];
    if (typeof name !== 'string' || !n.inSpace(name)) return null;
    return withActor(ev, (a) => ({ ...a, Attributes: { ...attrs!, name: n.toClient(name) } }));
  }
  if (type === 'volume') {
    const actor = ev['Actor'];
    const id = isJsonObject(actor) ? actor['ID'] : undefined;
    if (typeof id !== 'string' || !n.inSpace(id)) return null;
    const out = withActor(ev, (a) => ({ ...a, ID: n.toClient(id) }));
    // Events of the legacy format repeat the actor as `id`.
    return Object.hasOwn(out, 'id') && out['id'] === id ? { ...out, id: n.toClient(id) } : out;
  }
  return null;
}

/**
 * SystemEvents. Without prefixes or shared objects the owner label filter is enough and the
 * daemon does all the work (volume and network events, which carry no labels, then never show);
 * otherwise each event is judged, and renamed, on its way through.
 */
export function checkEvents(req: InspectRequest, owner: Owner): InspectVerdict {
  if (owner.names.prefix === null && owner.shared.length === 0) return { allowed: true, query: withOwnerFilter(req.query, owner.label, owner.client) };
  const filters = queryFilters(req.query);
  prefixNameFilters(filters, owner.names, 'SystemEvents');
  return { allowed: true, query: withFilters(req.query, filters), events: (ev) => eventFor(owner, ev) };
}

/**
 * `system df`: only what the client may see of containers and volumes; images are shared by
 * every client (their sizes are not secret), the build cache is not shown.
 */
export function dataUsageFilter(owner: Owner): (body: JsonValue) => JsonValue {
  const keep = (e: JsonValue): boolean => visibility(owner, isJsonObject(e) ? e['Labels'] : undefined).visible;
  return (body) => {
    if (!isJsonObject(body)) return body;
    const out: JsonObject = { ...body };
    const containers = out['Containers'];
    if (Array.isArray(containers)) out['Containers'] = containers.filter(keep).map((c) => presentContainerSummary(c, owner.names));
    const volumes = out['Volumes'];
    if (Array.isArray(volumes)) out['Volumes'] = volumes.filter(keep).map((v) => presentVolume(v, owner.names));
    if (Object.hasOwn(out, 'BuildCache')) out['BuildCache'] = [];
    return out;
  };
}
