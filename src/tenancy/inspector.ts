import { isJsonObject, type JsonObject, type JsonValue } from '../inspect/json-value.js';
import type { InspectRequest, InspectVerdict, Inspector } from '../inspect/types.js';
import { pinContainerReferences, rewriteNamedResources, withOwnerLabel } from './create.js';
import { pinEndpoint } from './endpoint.js';
import { scopeSharedEndpoint } from './identity.js';
import { checkBuild } from './build.js';
import { pinConfigFrom } from './network-create.js';
import { confirmContainerQuota } from './quota.js';
import { checkEvents, checkList, checkPrune, dataUsageFilter } from './lists.js';
import type { Tenancy } from './model.js';
import { Names, presentContainer, presentNetwork, presentVolume, RESTRICTED_NAME } from './names.js';
import { hidden, invalidVolumeName } from './refusal.js';
import { InspectRefusal, refusingInspector } from '../inspect/refusal.js';
import { PREDEFINED_NETWORKS, resolveContainer, resolveNetwork, resolveVolume, type ContainerEntry, type NetworkEntry } from './resolve.js';
import { containersNamed, execContainer, visibleContainers, visibleNetworks, visibleVolumes, type Owner } from './visible.js';
import { formValue, withParam } from '../routing/query.js';

/** Operations on one container, addressed by the `{id}` path parameter. */
export const CONTAINER_OPS: ReadonlySet<string> = new Set([
  'ContainerInspect', 'ContainerLogs', 'ContainerAttach', 'ContainerAttachWebsocket', 'ContainerExec', 'ContainerStats',
  'ContainerTop', 'ContainerChanges', 'ContainerExport', 'ContainerArchive', 'ContainerArchiveInfo', 'PutContainerArchive',
  'ContainerWait', 'ContainerKill', 'ContainerStop', 'ContainerRestart', 'ContainerPause', 'ContainerUnpause',
  'ContainerUpdate', 'ContainerRename', 'ContainerDelete', 'ContainerResize', 'ContainerStart',
  'CheckpointList', 'CheckpointCreate', 'CheckpointDelete',
]);
export const EXEC_OPS: ReadonlySet<string> = new Set(['ExecStart', 'ExecInspect', 'ExecResize']);
/** Lists, events and prunes: confined through their `filters`. */
export const FILTERED_OPS: ReadonlySet<string> = new Set([
  'ContainerList', 'VolumeList', 'NetworkList', 'SystemEvents', 'ContainerPrune', 'VolumePrune', 'NetworkPrune',
]);
/**
 * Container operations that only read: allowed on shared containers too. Everything else changes
 * the container or runs something in it, which only its owner may.
 */
const READ_CONTAINER_OPS: ReadonlySet<string> = new Set([
  'ContainerInspect', 'ContainerLogs', 'ContainerStats', 'ContainerTop', 'ContainerChanges', 'ContainerExport',
  'ContainerArchive', 'ContainerArchiveInfo', 'ContainerWait', 'CheckpointList',
]);
export const VOLUME_OPS: ReadonlySet<string> = new Set(['VolumeInspect', 'VolumeDelete', 'VolumeUpdate']);
export const NETWORK_OPS: ReadonlySet<string> = new Set(['NetworkInspect', 'NetworkDelete', 'NetworkConnect', 'NetworkDisconnect']);
const OTHER_OPS = ['ContainerCreate', 'VolumeCreate', 'NetworkCreate', 'ImageCommit', 'SystemDataUsage', 'ImageBuild'];

const WANTED: ReadonlySet<string> = new Set([...CONTAINER_OPS, ...EXEC_OPS, ...FILTERED_OPS, ...VOLUME_OPS, ...NETWORK_OPS, ...OTHER_OPS]);

function conflict(name: string): never {
  throw new InspectRefusal(
    'PC_HIDDEN',
    `container name "/${name}" is taken by a container of another client`,
    409,
    `Conflict. The container name "/${name}" is already in use by another client. You have to remove (or rename) that container to be able to reuse that name.`,
  );
}

function sharedReadOnly(kind: string, ref: string, owner: Owner): never {
  throw new InspectRefusal('PC_SHARED_READ_ONLY', `${kind} "${ref}" is shared with client "${owner.client}", which may use it but not change it`);
}

/**
 * The daemon's name for a container name the client asks for (create, rename), checked against
 * dockerd's rule first, with no look-up (a prefix would make `x` valid).
 */
function daemonContainerName(owner: Owner, given: string | null): { name: string; raw: string } | null {
  if (given === null) return null;
  const name = given.startsWith('/') ? given.slice(1) : given;
  if (owner.names.prefix !== null && !RESTRICTED_NAME.test(name)) {
    throw new InspectRefusal('PC_HIDDEN', `container name "${name}" is not one dockerd accepts`, 400, `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return { name, raw: owner.names.toDaemon(name) };
}

/** Refuses a name another client's container holds. */
async function checkNameFree(owner: Owner, wanted: { name: string; raw: string } | null, visible: readonly ContainerEntry[]): Promise<void> {
  if (wanted === null) return;
  const taken = await containersNamed(owner, wanted.raw);
  // A clash with one of the client's own containers is left to dockerd (its 409 names the client's own ID).
  if (taken.some((c) => !visible.some((v) => v.owned && v.id === c.id))) conflict(wanted.name);
}

/** The query with `name` replaced by the daemon's name when the two differ. */
function renamed(req: InspectRequest, wanted: { raw: string } | null): { query: Map<string, readonly string[]> } | Record<string, never> {
  return wanted === null || wanted.raw === formValue(req.query, 'name') ? {} : { query: withParam(req.query, 'name', wanted.raw) };
}

async function pinContainer(owner: Owner, ref: string, visible?: readonly ContainerEntry[]): Promise<ContainerEntry> {
  const found = resolveContainer(visible ?? (await visibleContainers(owner)), ref);
  if (found === null) hidden(`No such container: ${ref}`, `container "${ref}" is not visible to client "${owner.client}"`);
  return found;
}

async function checkContainerCreate(req: InspectRequest, owner: Owner, t: Tenancy): Promise<InspectVerdict> {
  const wanted = daemonContainerName(owner, formValue(req.query, 'name'));
  // One look-up serves the quota, the name check and the references the body makes.
  const visible = await visibleContainers(owner);
  const max = t.quotas.containers;
  const owned = visible.filter((c) => c.owned).length;
  if (max !== null && owned >= max) throw new InspectRefusal('PC_QUOTA_CONTAINERS', `client "${owner.client}" owns ${owned} containers, the quota is ${max}`);
  await checkNameFree(owner, wanted, visible);
  const labelled = withOwnerLabel(req.body, t.label, owner.client);
  const named = await rewriteNamedResources(labelled, owner, wanted?.name ?? null, visible);
  const confirm = max === null ? {} : { confirm: confirmContainerQuota(owner, max) };
  return { allowed: true, body: pinContainerReferences(named, visible), ...renamed(req, wanted), ...confirm };
}

async function checkVolumeCreate(req: InspectRequest, owner: Owner, t: Tenancy): Promise<InspectVerdict> {
  let body = withOwnerLabel(req.body, t.label, owner.client);
  const response = (v: JsonValue): JsonValue => presentVolume(v, owner.names);
  const name = body['Name'];
  if (typeof name !== 'string' || name === '') return { allowed: true, body };
  if (owner.names.prefix !== null && !RESTRICTED_NAME.test(name)) invalidVolumeName(name);
  const raw = owner.names.toDaemon(name);
  body = { ...body, Name: raw };
  // dockerd answers a create of an existing name with that volume: refuse when the client cannot see it.
  const res = await owner.lookup(`/volumes/${encodeURIComponent(raw)}`);
  if (res.status === 200 && !(await visibleVolumes(owner)).some((v) => v.raw === raw && v.owned)) {
    throw new InspectRefusal('PC_HIDDEN', `volume "${name}" belongs to another client`, 409, `volume name "${name}" is already in use by another client`);
  }
  return { allowed: true, body, response };
}

async function checkNetworkCreate(req: InspectRequest, owner: Owner, t: Tenancy): Promise<InspectVerdict> {
  const body = await pinConfigFrom(withOwnerLabel(req.body, t.label, owner.client), owner);
  const name = body['Name'];
  if (typeof name !== 'string' || name === '') return { allowed: true, body };
  // With prefixes a client could otherwise hold `alice.bridge`, which dockerd would not let it name.
  if (PREDEFINED_NETWORKS.has(name)) {
    throw new InspectRefusal('PC_HIDDEN', `network name "${name}" is one of dockerd's predefined networks`, 403, `operation is not permitted on predefined ${name} network `);
  }
  return { allowed: true, body: { ...body, Name: owner.names.toDaemon(name) } };
}

async function checkNetworkConnect(req: InspectRequest, owner: Owner, network: NetworkEntry, networks: readonly NetworkEntry[]): Promise<InspectVerdict> {
  const body = req.body;
  if (!isJsonObject(body)) return { allowed: true, params: { id: network.id } };
  const ref = Object.hasOwn(body, 'Container') ? body['Container'] : undefined;
  if (typeof ref !== 'string') return { allowed: true, params: { id: network.id } };
  const containers = await visibleContainers(owner);
  const c = await pinContainer(owner, ref, containers);
  if (!c.owned) sharedReadOnly('container', ref, owner);
  const pinned: JsonObject = { ...body, Container: c.id };
  if (req.op.id !== 'NetworkConnect') return { allowed: true, params: { id: network.id }, body: pinned };
  const given = Object.hasOwn(body, 'EndpointConfig') ? body['EndpointConfig'] : undefined;
  const ctx = { owner, network, networks, containers: async () => containers, where: 'EndpointConfig' };
  const ep = given === undefined ? null : await pinEndpoint(given, ctx);
  if (ep !== null) pinned['EndpointConfig'] = ep;
  if (!network.owned) {
    // Other clients are on it: no unscoped alias (not even the container's name), no fixed addresses.
    const scoped = scopeSharedEndpoint(ep, 'EndpointConfig', owner.names);
    return { allowed: true, params: { id: network.id }, body: scoped === null ? pinned : { ...pinned, EndpointConfig: scoped } };
  }
  const name = c.names[0]?.slice(1);
  if (owner.names.prefix !== null && name !== undefined && !name.includes('/')) {
    // As on create: the container keeps answering, on this network too, to the name its client gave.
    const e: JsonObject = { ...(ep ?? {}) };
    const aliases = Object.hasOwn(e, 'Aliases') ? e['Aliases'] : undefined;
    if (aliases !== undefined && aliases !== null && !(Array.isArray(aliases) && aliases.every((a) => typeof a === 'string'))) {
      throw new InspectRefusal('PC_DENIED_MALFORMED_BODY', 'EndpointConfig.Aliases is not a list of strings');
    }
    const list = (aliases ?? []) as string[];
    if (!list.includes(name)) e['Aliases'] = [...list, name];
    pinned['EndpointConfig'] = e;
  }
  return { allowed: true, params: { id: network.id }, body: pinned };
}

/** Network inspect: a shared network lists only the attached containers the client sees. */
async function checkNetworkInspect(owner: Owner, network: NetworkEntry): Promise<InspectVerdict> {
  if (network.owned && owner.names.prefix === null) return { allowed: true, params: { id: network.id } };
  const seen = network.owned ? null : new Set((await visibleContainers(owner)).map((c) => c.id));
  const response = (b: JsonValue): JsonValue => {
    const shown = presentNetwork(b, owner.names);
    if (seen === null || !isJsonObject(shown) || !isJsonObject(shown['Containers'])) return shown;
    const containers = Object.fromEntries(Object.entries(shown['Containers']).filter(([id]) => seen.has(id)));
    return { ...shown, Containers: containers };
  };
  return { allowed: true, params: { id: network.id }, response };
}

async function checkContainerRoute(req: InspectRequest, owner: Owner): Promise<InspectVerdict> {
  const opId = req.op.id;
  const ref = req.params['id'] ?? '';
  const visible = await visibleContainers(owner);
  const c = await pinContainer(owner, ref, visible);
  if (!c.owned && !READ_CONTAINER_OPS.has(opId)) sharedReadOnly('container', ref, owner);
  if (opId === 'ContainerRename') {
    const wanted = daemonContainerName(owner, formValue(req.query, 'name'));
    await checkNameFree(owner, wanted, visible);
    return { allowed: true, params: { id: c.id }, ...renamed(req, wanted) };
  }
  if (opId === 'ContainerInspect' && owner.names.prefix !== null) {
    return { allowed: true, params: { id: c.id }, response: (v) => presentContainer(v, owner.names) };
  }
  return { allowed: true, params: { id: c.id } };
}

async function checkRequest(req: InspectRequest, t: Tenancy): Promise<InspectVerdict> {
  const owner: Owner = { label: t.label, client: req.client, lookup: req.lookup, names: new Names(req.client, t.names), shared: t.shared };
  const opId = req.op.id;
  if (CONTAINER_OPS.has(opId)) return checkContainerRoute(req, owner);
  if (EXEC_OPS.has(opId)) {
    const execId = req.params['id'] ?? '';
    const container = execId === '' ? null : await execContainer(owner, execId);
    const c = container === null ? undefined : (await visibleContainers(owner)).find((e) => e.id === container);
    if (c === undefined) hidden(`No such exec instance: ${execId}`, `exec instance "${execId}" is not visible to client "${owner.client}"`);
    if (!c.owned && opId !== 'ExecInspect') sharedReadOnly('exec instance', execId, owner);
    return { allowed: true };
  }
  switch (opId) {
    case 'ContainerList':
    case 'NetworkList':
    case 'VolumeList':
      return checkList(req, owner);
    case 'ContainerPrune':
    case 'NetworkPrune':
    case 'VolumePrune':
      return checkPrune(req, owner);
    case 'SystemEvents':
      return checkEvents(req, owner);
  }
  if (VOLUME_OPS.has(opId)) {
    const ref = req.params['name'] ?? '';
    const v = resolveVolume(await visibleVolumes(owner), ref);
    if (v === null) hidden(`get ${ref}: no such volume`, `volume "${ref}" is not visible to client "${owner.client}"`);
    if (!v.owned && opId !== 'VolumeInspect') sharedReadOnly('volume', ref, owner);
    const response = opId === 'VolumeInspect' && owner.names.prefix !== null ? { response: (b: JsonValue) => presentVolume(b, owner.names) } : {};
    return { allowed: true, params: { name: v.raw }, ...response };
  }
  if (NETWORK_OPS.has(opId)) {
    const ref = req.params['id'] ?? '';
    const networks = await visibleNetworks(owner);
    const found = resolveNetwork(networks, ref);
    if (found === null) hidden(`network ${ref} not found`, `network "${ref}" is not visible to client "${owner.client}"`);
    // Joining a shared network is using it; removing it is not.
    if (!found.owned && opId === 'NetworkDelete') sharedReadOnly('network', ref, owner);
    if (opId === 'NetworkConnect' || opId === 'NetworkDisconnect') return checkNetworkConnect(req, owner, found, networks);
    if (opId === 'NetworkInspect') return checkNetworkInspect(owner, found);
    return { allowed: true, params: { id: found.id } };
  }
  switch (opId) {
    case 'ContainerCreate':
      return checkContainerCreate(req, owner, t);
    case 'VolumeCreate':
      return checkVolumeCreate(req, owner, t);
    case 'NetworkCreate':
      return checkNetworkCreate(req, owner, t);
    case 'ImageCommit': {
      const ref = formValue(req.query, 'container');
      if (ref === null) return { allowed: true };
      const c = await pinContainer(owner, ref);
      // A commit pauses the container while it runs.
      if (!c.owned) sharedReadOnly('container', ref, owner);
      return { allowed: true, query: withParam(req.query, 'container', c.id) };
    }
    case 'SystemDataUsage':
      return { allowed: true, response: dataUsageFilter(owner) };
    case 'ImageBuild':
      return checkBuild(req, owner);
  }
  return { allowed: true };
}

/**
 * The inspector of a policy with `tenancy.ownership`: objects the client creates get the owner
 * label (and, with name prefixes, a name in the client's name space), references resolve only
 * within the objects the client sees (its own and shared ones) and are pinned to full IDs, lists
 * and events show only those, and answers carry the names the client gave. Every check is a
 * fresh look-up through `req.lookup`; a look-up that fails refuses.
 */
export function createTenancyInspector(t: Tenancy): Inspector {
  return refusingInspector(WANTED, (req) => checkRequest(req, t));
}
