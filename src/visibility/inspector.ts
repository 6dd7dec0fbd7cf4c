import { isJsonObject, type JsonObject, type JsonValue } from '../inspect/json-value.js';
import type { InspectRequest, InspectVerdict, Inspector } from '../inspect/types.js';
import { parseApiVersion, compareApiVersions } from '../routing/version.js';
import { pinContainerReferences } from '../tenancy/create.js';
import { addLabel, queryFilters, withFilters, type FilterMap } from '../tenancy/filters.js';
import { CONTAINER_OPS, EXEC_OPS, NETWORK_OPS, VOLUME_OPS } from '../tenancy/inspector.js';
import { hidden } from '../tenancy/refusal.js';
import { InspectRefusal, refusingInspector } from '../inspect/refusal.js';
import { PREDEFINED_NETWORKS, resolveContainer, resolveNetwork, resolveVolume } from '../tenancy/resolve.js';
import { eventFilter } from './events.js';
import { containerListFilter, dataUsageFilter, networkInspectFilter, networkListFilter, volumeListFilter } from './lists.js';
import type { Visibility } from './model.js';
import {
  containersNamed,
  containerVisible,
  execContainer,
  labelsOf,
  namedVisible,
  visibleContainers,
  visibleNetworks,
  visibleVolumes,
  volumeNamed,
  type VisibleContainer,
} from './objects.js';
import { compileSelector, type Labels, type Selector } from './selector.js';
import { formValue, withParam } from '../routing/query.js';

interface Selectors {
  readonly containers: Selector | null;
  readonly networks: Selector | null;
  readonly volumes: Selector | null;
  /** labels the mutation stage will force into a created container (they count for its visibility) */
  readonly forcedLabels: Labels;
}

/** From API 1.28 on NetworkList no longer lists the containers attached to each network. */
const LIST_WITHOUT_ENDPOINTS = [1, 28];

function outside(reason: string): never {
  throw new InspectRefusal('PC_VISIBILITY_OUTSIDE', reason);
}

function malformed(reason: string): never {
  throw new InspectRefusal('PC_DENIED_MALFORMED_BODY', reason);
}

function str(o: JsonObject, key: string): string | null {
  const v = Object.hasOwn(o, key) ? o[key] : undefined;
  return typeof v === 'string' && v !== '' ? v : null;
}

function bodyObject(body: JsonValue | null): JsonObject | null {
  if (body !== null && !isJsonObject(body)) malformed('the body is not a JSON object');
  return body;
}

function noSuchContainer(ref: string, client: string, where = 'container'): never {
  hidden(`No such container: ${ref}`, `${where} "${ref}" is not visible to client "${client}"`);
}

function resolveVisible(visible: readonly VisibleContainer[], ref: string, client: string, where?: string): VisibleContainer {
  const found = resolveContainer(visible, ref);
  const c = found === null ? undefined : visible.find((v) => v.id === found.id);
  if (c === undefined) noSuchContainer(ref, client, where);
  return c;
}

/**
 * A container name the client gives (create, rename) that a hidden container holds would get
 * dockerd's 409, which names that container's ID: refuse it here without the ID.
 */
async function checkNameFree(req: InspectRequest, sel: Selector, name: string): Promise<void> {
  const taken = await containersNamed(req.lookup, name);
  if (taken.every((c) => containerVisible(c, sel))) return;
  throw new InspectRefusal(
    'PC_HIDDEN',
    `container name "/${name}" is taken by a container client "${req.client}" cannot see`,
    409,
    `Conflict. The container name "/${name}" is already in use. You have to remove (or rename) that container to be able to reuse that name.`,
  );
}

async function checkContainerRoute(req: InspectRequest, sel: Selector): Promise<InspectVerdict> {
  const ref = req.params['id'] ?? '';
  const c = resolveVisible(await visibleContainers(req.lookup, sel), ref, req.client);
  if (req.op.id === 'ContainerRename') {
    const given = formValue(req.query, 'name');
    if (given !== null) {
      const name = given.replace(/^\//, '');
      if (!sel.visible([name], c.labels)) outside(`renamed to "${name}", container "${ref}" would no longer be visible to client "${req.client}"`);
      await checkNameFree(req, sel, name);
    }
  }
  return { allowed: true, params: { id: c.id } };
}

async function checkExec(req: InspectRequest, sel: Selector): Promise<InspectVerdict> {
  const execId = req.params['id'] ?? '';
  const container = execId === '' ? null : await execContainer(req.lookup, execId);
  const visible = container !== null && (await visibleContainers(req.lookup, sel)).some((c) => c.id === container);
  if (!visible) hidden(`No such exec instance: ${execId}`, `exec instance "${execId}" is not visible to client "${req.client}"`);
  return { allowed: true };
}

/** The named volumes a create body mounts (`name:/path` binds and `volume` mounts). */
function namedVolumes(hc: JsonObject | null): string[] {
  const out: string[] = [];
  const binds = hc !== null && Object.hasOwn(hc, 'Binds') ? hc['Binds'] : null;
  if (Array.isArray(binds)) {
    for (const b of binds) {
      if (typeof b !== 'string') continue;
      const colon = b.indexOf(':');
      if (colon > 0 && !b.startsWith('/')) out.push(b.slice(0, colon));
    }
  }
  const mounts = hc !== null && Object.hasOwn(hc, 'Mounts') ? hc['Mounts'] : null;
  if (Array.isArray(mounts)) {
    for (const m of mounts) if (isJsonObject(m) && m['Type'] === 'volume' && str(m, 'Source') !== null) out.push(m['Source'] as string);
  }
  return out;
}

/** The networks a create body joins by reference (mode and endpoint keys), predefined ones aside. */
function namedNetworks(body: JsonObject, hc: JsonObject | null): string[] {
  const out: string[] = [];
  const mode = hc === null ? null : str(hc, 'NetworkMode');
  if (mode !== null && !mode.startsWith('container:') && !PREDEFINED_NETWORKS.has(mode)) out.push(mode);
  const nc = Object.hasOwn(body, 'NetworkingConfig') ? body['NetworkingConfig'] : null;
  const endpoints = isJsonObject(nc) && Object.hasOwn(nc, 'EndpointsConfig') ? nc['EndpointsConfig'] : null;
  if (isJsonObject(endpoints)) for (const key of Object.keys(endpoints)) if (!PREDEFINED_NETWORKS.has(key)) out.push(key);
  return out;
}

/**
 * ContainerCreate: the new container must be one the client can see (by the name it asks for, or
 * by its labels with those the policy forces), and every container, network and volume the body
 * names must be visible. Container references are pinned to full IDs. A named volume that does not
 * exist yet is created by dockerd: its name must match a pattern, so it is visible too.
 */
async function checkContainerCreate(req: InspectRequest, s: Selectors): Promise<InspectVerdict> {
  let body = bodyObject(req.body);
  const hcValue = body !== null && Object.hasOwn(body, 'HostConfig') ? body['HostConfig'] : null;
  const hc = isJsonObject(hcValue) ? hcValue : null;
  if (s.containers !== null) {
    const given = formValue(req.query, 'name');
    const name = given === null ? null : given.replace(/^\//, '');
    const labels = { ...labelsOf(body === null ? undefined : body['Labels']), ...s.forcedLabels };
    if (!s.containers.visible(name === null ? [] : [name], labels)) {
      outside(`the container ${name === null ? 'has no name' : `"${name}"`} and its labels would not be visible to client "${req.client}"`);
    }
    if (name !== null) await checkNameFree(req, s.containers, name);
    if (body !== null) body = pinContainerReferences(body, await visibleContainers(req.lookup, s.containers));
  }
  if (body === null) return { allowed: true };
  if (s.networks !== null) {
    const refs = namedNetworks(body, hc);
    const visible = refs.length === 0 ? [] : await visibleNetworks(req.lookup, s.networks);
    for (const ref of refs) {
      if (resolveNetwork(visible, ref) === null) hidden(`network ${ref} not found`, `the body joins network "${ref}", which client "${req.client}" cannot see`);
    }
  }
  if (s.volumes !== null) {
    const sel = s.volumes;
    const names = namedVolumes(hc).filter((n) => !sel.nameMatches(n));
    const visible = names.length === 0 ? [] : await visibleVolumes(req.lookup, sel);
    for (const name of names) {
      if (resolveVolume(visible, name) === null) hidden(`get ${name}: no such volume`, `the body mounts volume "${name}", which client "${req.client}" cannot see`);
    }
  }
  return s.containers === null ? { allowed: true } : { allowed: true, body };
}

async function checkNetworkRoute(req: InspectRequest, s: Selectors): Promise<InspectVerdict> {
  const ref = req.params['id'] ?? '';
  let id = ref;
  if (s.networks !== null) {
    const found = resolveNetwork(await visibleNetworks(req.lookup, s.networks), ref);
    if (found === null) hidden(`network ${ref} not found`, `network "${ref}" is not visible to client "${req.client}"`);
    id = found.id;
  }
  const pinned: InspectVerdict = s.networks === null ? { allowed: true } : { allowed: true, params: { id } };
  if (s.containers === null) return pinned;
  const op = req.op.id;
  if (op === 'NetworkInspect') {
    const ids = new Set((await visibleContainers(req.lookup, s.containers)).map((c) => c.id));
    return { ...pinned, response: networkInspectFilter(ids) };
  }
  if (op !== 'NetworkConnect' && op !== 'NetworkDisconnect') return pinned;
  const body = bodyObject(req.body);
  const container = body === null ? null : str(body, 'Container');
  if (body === null || container === null) return pinned;
  const c = resolveVisible(await visibleContainers(req.lookup, s.containers), container, req.client);
  return { ...pinned, body: { ...body, Container: c.id } };
}

async function checkVolumeRoute(req: InspectRequest, sel: Selector): Promise<InspectVerdict> {
  const ref = req.params['name'] ?? '';
  const found = resolveVolume(await visibleVolumes(req.lookup, sel), ref);
  if (found === null) hidden(`get ${ref}: no such volume`, `volume "${ref}" is not visible to client "${req.client}"`);
  return { allowed: true, params: { name: found.raw } };
}

function checkNetworkCreate(req: InspectRequest, sel: Selector): InspectVerdict {
  const body = bodyObject(req.body);
  const name = body === null ? null : str(body, 'Name');
  if (!sel.visible(name === null ? [] : [name], labelsOf(body?.['Labels']))) {
    outside(`network ${name === null ? 'without a name' : `"${name}"`} and its labels would not be visible to client "${req.client}"`);
  }
  return { allowed: true };
}

/**
 * VolumeCreate: the volume must be visible. dockerd answers a create of an existing name with that
 * volume, so a name that is visible only through the labels asked for must not be a hidden volume's.
 */
async function checkVolumeCreate(req: InspectRequest, sel: Selector): Promise<InspectVerdict> {
  const body = bodyObject(req.body);
  const name = body === null ? null : str(body, 'Name');
  if (!sel.visible(name === null ? [] : [name], labelsOf(body?.['Labels']))) {
    outside(`volume ${name === null ? 'without a name' : `"${name}"`} and its labels would not be visible to client "${req.client}"`);
  }
  if (name !== null && !sel.nameMatches(name)) {
    const existing = await volumeNamed(req.lookup, name);
    if (existing !== null && !namedVisible(existing, sel)) {
      throw new InspectRefusal('PC_HIDDEN', `volume "${name}" exists and client "${req.client}" cannot see it`, 409, `volume name "${name}" is already in use`);
    }
  }
  return { allowed: true };
}

/** Go's strconv.Atoi on a 64-bit platform; null when dockerd would reject the value. */
function atoi(text: string): number | null {
  if (!/^[+-]?[0-9]+$/.test(text)) return null;
  const n = BigInt(text);
  return n < -(2n ** 63n) || n >= 2n ** 63n ? null : Number(n);
}

/**
 * `before`/`since` (filters, and the legacy query parameters) name a container that dockerd
 * resolves among all of them: resolve it among the visible ones and pin its ID, or answer as
 * dockerd would for a missing one. Returns whether anything changed.
 */
async function pinListBounds(req: InspectRequest, sel: Selector, filters: FilterMap, query: Map<string, readonly string[]>): Promise<boolean> {
  const keys = ['before', 'since'];
  const fromFilters = keys.filter((k) => filters.has(k));
  const fromQuery = keys.filter((k) => formValue(query, k) !== null);
  if (fromFilters.length === 0 && fromQuery.length === 0) return false;
  const visible = await visibleContainers(req.lookup, sel);
  const pin = (ref: string, key: string): string => resolveVisible(visible, ref, req.client, `${key} container`).id;
  for (const k of fromFilters) filters.set(k, new Set([...(filters.get(k) as Set<string>)].map((ref) => pin(ref, k))));
  for (const k of fromQuery) query.set(k, [pin(formValue(query, k) as string, k)]);
  return fromFilters.length > 0;
}

/**
 * ContainerList. An exact label selector goes into the client's filters (label filters AND in
 * dockerd), so `limit`, `all` and `size` stay exact. Otherwise the answer is filtered here, and a
 * positive `limit` — which in dockerd also lists every state (daemon/list.go) — is taken off the
 * forwarded query (with `all=1` in its place) and applied after filtering.
 */
async function checkContainerList(req: InspectRequest, sel: Selector): Promise<InspectVerdict> {
  const filters = queryFilters(req.query);
  let query = new Map(req.query);
  let filtersChanged = await pinListBounds(req, sel, filters, query);
  if (sel.pushdown !== null) {
    addLabel(filters, sel.pushdown);
    filtersChanged = true;
  }
  if (filtersChanged) query = withFilters(query, filters);
  if (sel.pushdown !== null) return { allowed: true, query };
  const given = formValue(query, 'limit');
  const limit = given === null ? null : atoi(given);
  if (limit === null || limit <= 0) return { allowed: true, query, response: containerListFilter(sel, null) };
  query.delete('limit');
  query.set('all', ['1']);
  return { allowed: true, query, response: containerListFilter(sel, limit) };
}

async function checkNetworkList(req: InspectRequest, s: Selectors): Promise<InspectVerdict> {
  const version = req.version === null ? null : parseApiVersion(req.version);
  const endpointsListed = version !== null && compareApiVersions(version, LIST_WITHOUT_ENDPOINTS) < 0;
  const ids = s.containers !== null && endpointsListed ? new Set((await visibleContainers(req.lookup, s.containers)).map((c) => c.id)) : null;
  const sel = s.networks;
  const pushed = sel?.pushdown ?? null;
  const query = pushed === null ? undefined : withFilters(req.query, addLabel(queryFilters(req.query), pushed));
  const response = sel === null || pushed !== null ? (ids === null ? undefined : networkListFilter(null, ids)) : networkListFilter(sel, ids);
  return { allowed: true, ...(query === undefined ? {} : { query }), ...(response === undefined ? {} : { response }) };
}

function checkVolumeList(req: InspectRequest, sel: Selector): InspectVerdict {
  if (sel.pushdown !== null) return { allowed: true, query: withFilters(req.query, addLabel(queryFilters(req.query), sel.pushdown)) };
  return { allowed: true, response: volumeListFilter(sel) };
}

/** Prunes remove what they match: confined to the visible objects only when the selector is one exact label. */
function checkPrune(req: InspectRequest, sel: Selector, kind: string): InspectVerdict {
  if (sel.pushdown === null) {
    throw new InspectRefusal(
      'PC_VISIBILITY_UNSUPPORTED',
      `a prune would remove ${kind} client "${req.client}" cannot see, and its visibility is not a single label selector the prune can be narrowed by`,
    );
  }
  return { allowed: true, query: withFilters(req.query, addLabel(queryFilters(req.query), sel.pushdown)) };
}

async function checkEvents(req: InspectRequest, s: Selectors): Promise<InspectVerdict> {
  const seed = s.containers === null ? null : new Set((await visibleContainers(req.lookup, s.containers)).map((c) => c.id));
  return { allowed: true, events: eventFilter(s, seed) };
}

async function checkRequest(req: InspectRequest, s: Selectors): Promise<InspectVerdict> {
  const op = req.op.id;
  if (CONTAINER_OPS.has(op)) return checkContainerRoute(req, s.containers as Selector);
  if (EXEC_OPS.has(op)) return checkExec(req, s.containers as Selector);
  if (NETWORK_OPS.has(op)) return checkNetworkRoute(req, s);
  if (VOLUME_OPS.has(op)) return checkVolumeRoute(req, s.volumes as Selector);
  switch (op) {
    case 'ContainerCreate':
      return checkContainerCreate(req, s);
    case 'NetworkCreate':
      return checkNetworkCreate(req, s.networks as Selector);
    case 'VolumeCreate':
      return checkVolumeCreate(req, s.volumes as Selector);
    case 'ContainerList':
      return checkContainerList(req, s.containers as Selector);
    case 'NetworkList':
      return checkNetworkList(req, s);
    case 'VolumeList':
      return checkVolumeList(req, s.volumes as Selector);
    case 'ContainerPrune':
      return checkPrune(req, s.containers as Selector, 'containers');
    case 'NetworkPrune':
      return checkPrune(req, s.networks as Selector, 'networks');
    case 'VolumePrune':
      return checkPrune(req, s.volumes as Selector, 'volumes');
    case 'SystemEvents':
      return checkEvents(req, s);
    case 'SystemDataUsage':
      return { allowed: true, response: dataUsageFilter(s.containers, s.volumes) };
    case 'ImageCommit': {
      const ref = formValue(req.query, 'container');
      if (ref === null) return { allowed: true };
      const c = resolveVisible(await visibleContainers(req.lookup, s.containers as Selector), ref, req.client);
      return { allowed: true, query: withParam(req.query, 'container', c.id) };
    }
  }
  return { allowed: true };
}

/** The operations a policy's visibility has to look at: those that touch a restricted kind. */
function wantedOps(s: Selectors): ReadonlySet<string> {
  const ops = new Set<string>(['SystemEvents', 'ContainerCreate']);
  if (s.containers !== null) {
    for (const op of [...CONTAINER_OPS, ...EXEC_OPS]) ops.add(op);
    for (const op of ['ContainerList', 'ContainerPrune', 'ImageCommit', 'NetworkInspect', 'NetworkList', 'NetworkConnect', 'NetworkDisconnect', 'SystemDataUsage']) ops.add(op);
  }
  if (s.networks !== null) for (const op of [...NETWORK_OPS, 'NetworkList', 'NetworkPrune', 'NetworkCreate']) ops.add(op);
  if (s.volumes !== null) for (const op of [...VOLUME_OPS, 'VolumeList', 'VolumePrune', 'VolumeCreate', 'SystemDataUsage']) ops.add(op);
  return ops;
}

/**
 * The inspector of a policy with `visibility` (docs/visibility.md): references to containers,
 * exec instances, networks and volumes resolve only among the visible ones (and are pinned), what
 * a client creates must be visible to it, lists and system df keep the visible entries, the
 * events stream is filtered event by event, and prunes are confined or refused. `forcedLabels`
 * are the labels the mutation stage adds to a created container after this stage has run.
 */
export function createVisibilityInspector(v: Visibility, forcedLabels: Labels = {}): Inspector {
  const s: Selectors = {
    containers: v.containers === null ? null : compileSelector(v.containers, v.match, 'container'),
    networks: v.networks === null ? null : compileSelector(v.networks, v.match, 'network'),
    volumes: v.volumes === null ? null : compileSelector(v.volumes, v.match, 'volume'),
    forcedLabels,
  };
  return refusingInspector(wantedOps(s), (req) => checkRequest(req, s));
}
