import type { Operation } from '../catalogue/operation.js';
import type { JsonObject } from '../inspect/json-value.js';
import { JsonNumber } from '../inspect/json-value.js';
import type { InspectRequest, InspectVerdict, Inspector } from '../inspect/types.js';
import { checkNamedResources, pinContainerReferences, withOwnerLabel } from './create.js';
import { withOwnerFilter } from './filters.js';
import type { Tenancy } from './model.js';
import { hidden, TenancyRefusal, unsupported } from './refusal.js';
import { resolveContainer, resolveNetwork, resolveVolume } from './resolve.js';
import { containersNamed, execContainer, ownedContainers, ownedNetworks, ownedVolumes, type Owner } from './visible.js';

/** Operations on one container, addressed by the `{id}` path parameter. */
export const CONTAINER_OPS: ReadonlySet<string> = new Set([
  'ContainerInspect', 'ContainerLogs', 'ContainerAttach', 'ContainerAttachWebsocket', 'ContainerExec', 'ContainerStats',
  'ContainerTop', 'ContainerChanges', 'ContainerExport', 'ContainerArchive', 'ContainerArchiveInfo', 'PutContainerArchive',
  'ContainerWait', 'ContainerKill', 'ContainerStop', 'ContainerRestart', 'ContainerPause', 'ContainerUnpause',
  'ContainerUpdate', 'ContainerRename', 'ContainerDelete', 'ContainerResize', 'ContainerStart',
  'CheckpointList', 'CheckpointCreate', 'CheckpointDelete',
]);
export const EXEC_OPS: ReadonlySet<string> = new Set(['ExecStart', 'ExecInspect', 'ExecResize']);
/** Lists, events and prunes: confined by merging the owner label into `filters`. */
export const FILTERED_OPS: ReadonlySet<string> = new Set([
  'ContainerList', 'VolumeList', 'NetworkList', 'SystemEvents', 'ContainerPrune', 'VolumePrune', 'NetworkPrune',
]);
export const VOLUME_OPS: ReadonlySet<string> = new Set(['VolumeInspect', 'VolumeDelete', 'VolumeUpdate']);
export const NETWORK_OPS: ReadonlySet<string> = new Set(['NetworkInspect', 'NetworkDelete', 'NetworkConnect', 'NetworkDisconnect']);
const OTHER_OPS = ['ContainerCreate', 'VolumeCreate', 'NetworkCreate', 'ImageCommit', 'SystemDataUsage'];

const WANTED: ReadonlySet<string> = new Set([...CONTAINER_OPS, ...EXEC_OPS, ...FILTERED_OPS, ...VOLUME_OPS, ...NETWORK_OPS, ...OTHER_OPS]);

function isObj(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

function conflict(name: string): never {
  throw new TenancyRefusal(
    'PC_HIDDEN',
    `container name "/${name}" is taken by a container of another client`,
    409,
    `Conflict. The container name "/${name}" is already in use by another client. You have to remove (or rename) that container to be able to reuse that name.`,
  );
}

/** The first value of a query parameter, as Go's `r.Form.Get` reads it; null when absent or empty. */
function queryValue(req: InspectRequest, name: string): string | null {
  const v = req.query.get(name)?.[0];
  return v === undefined || v === '' ? null : v;
}

/** A container name the client asks for must not be one another client's container holds. */
async function checkNameFree(owner: Owner, given: string | null): Promise<void> {
  if (given === null) return;
  const name = given.startsWith('/') ? given.slice(1) : given;
  const taken = await containersNamed(owner, name);
  if (taken.length === 0) return;
  const mine = new Set((await ownedContainers(owner)).map((c) => c.id));
  // A clash with one of the client's own containers is left to dockerd (its 409 names the client's own ID).
  if (taken.some((c) => !mine.has(c.id))) conflict(name);
}

async function pinContainer(owner: Owner, ref: string): Promise<string> {
  const found = resolveContainer(await ownedContainers(owner), ref);
  if (found === null) hidden(`No such container: ${ref}`, `container "${ref}" is not visible to client "${owner.client}"`);
  return found.id;
}

async function checkContainerCreate(req: InspectRequest, owner: Owner, t: Tenancy): Promise<InspectVerdict> {
  const visible = await ownedContainers(owner);
  const max = t.quotas.containers;
  if (max !== null && visible.length >= max) {
    throw new TenancyRefusal('PC_QUOTA_CONTAINERS', `client "${owner.client}" owns ${visible.length} containers, the quota is ${max}`);
  }
  await checkNameFree(owner, queryValue(req, 'name'));
  const labelled = withOwnerLabel(req.body, t.label, owner.client);
  await checkNamedResources(labelled, owner);
  return { allowed: true, body: pinContainerReferences(labelled, visible) };
}

async function checkVolumeCreate(req: InspectRequest, owner: Owner, t: Tenancy): Promise<InspectVerdict> {
  const body = withOwnerLabel(req.body, t.label, owner.client);
  // dockerd answers a create of an existing name with that volume: refuse when another client owns it.
  const name = body['Name'];
  if (typeof name === 'string' && name !== '') {
    const res = await owner.lookup(`/volumes/${encodeURIComponent(name)}`);
    if (res.status === 200 && !(await ownedVolumes(owner)).includes(name)) {
      throw new TenancyRefusal('PC_HIDDEN', `volume "${name}" belongs to another client`, 409, `volume name "${name}" is already in use by another client`);
    }
  }
  return { allowed: true, body };
}

async function checkNetworkConnect(req: InspectRequest, owner: Owner, networkId: string): Promise<InspectVerdict> {
  const body = req.body;
  if (!isObj(body)) return { allowed: true, params: { id: networkId } };
  const ref = Object.hasOwn(body, 'Container') ? body['Container'] : undefined;
  if (typeof ref !== 'string') return { allowed: true, params: { id: networkId } };
  const id = await pinContainer(owner, ref);
  return { allowed: true, params: { id: networkId }, body: { ...body, Container: id } };
}

async function checkRequest(req: InspectRequest, t: Tenancy): Promise<InspectVerdict> {
  const owner: Owner = { label: t.label, client: req.client, lookup: req.lookup };
  const opId = req.op.id;
  if (CONTAINER_OPS.has(opId)) {
    const ref = req.params['id'] ?? '';
    const id = await pinContainer(owner, ref);
    if (opId === 'ContainerRename') await checkNameFree(owner, queryValue(req, 'name'));
    return { allowed: true, params: { id } };
  }
  if (EXEC_OPS.has(opId)) {
    const execId = req.params['id'] ?? '';
    const container = execId === '' ? null : await execContainer(owner, execId);
    const visible = container !== null && (await ownedContainers(owner)).some((c) => c.id === container);
    if (!visible) hidden(`No such exec instance: ${execId}`, `exec instance "${execId}" is not visible to client "${owner.client}"`);
    return { allowed: true };
  }
  if (FILTERED_OPS.has(opId)) return { allowed: true, query: withOwnerFilter(req.query, t.label, owner.client) };
  if (VOLUME_OPS.has(opId)) {
    const ref = req.params['name'] ?? '';
    const name = resolveVolume(await ownedVolumes(owner), ref);
    if (name === null) hidden(`get ${ref}: no such volume`, `volume "${ref}" is not visible to client "${owner.client}"`);
    return { allowed: true, params: { name } };
  }
  if (NETWORK_OPS.has(opId)) {
    const ref = req.params['id'] ?? '';
    const found = resolveNetwork(await ownedNetworks(owner), ref);
    if (found === null) hidden(`network ${ref} not found`, `network "${ref}" is not visible to client "${owner.client}"`);
    if (opId === 'NetworkConnect' || opId === 'NetworkDisconnect') return checkNetworkConnect(req, owner, found.id);
    return { allowed: true, params: { id: found.id } };
  }
  switch (opId) {
    case 'ContainerCreate':
      return checkContainerCreate(req, owner, t);
    case 'VolumeCreate':
      return checkVolumeCreate(req, owner, t);
    case 'NetworkCreate':
      return { allowed: true, body: withOwnerLabel(req.body, t.label, owner.client) };
    case 'ImageCommit': {
      const ref = queryValue(req, 'container');
      if (ref === null) return { allowed: true };
      const id = await pinContainer(owner, ref);
      const query = new Map(req.query);
      query.set('container', [id]);
      return { allowed: true, query };
    }
    case 'SystemDataUsage':
      unsupported('system df lists every container, image, volume and build cache of the daemon, which tenancy cannot filter yet');
  }
  return { allowed: true };
}

/**
 * The inspector of a policy with `tenancy.ownership`: objects the client creates get the owner
 * label, references resolve only within the objects the client owns (and are pinned to full
 * IDs), lists and events get the owner label filter, and what cannot be confined is refused.
 * Every check is a fresh look-up through `req.lookup`; a look-up that fails refuses.
 */
export function createTenancyInspector(t: Tenancy): Inspector {
  return {
    wants(op: Operation): boolean {
      return WANTED.has(op.id);
    },
    async check(req: InspectRequest): Promise<InspectVerdict> {
      if (!WANTED.has(req.op.id)) return { allowed: true };
      try {
        return await checkRequest(req, t);
      } catch (error) {
        if (error instanceof TenancyRefusal) return error.verdict();
        throw error;
      }
    },
  };
}
