import { isJsonObject, type JsonObject, type JsonValue } from '../inspect/json-value.js';
import { RESTRICTED_NAME } from './names.js';
import { hidden, invalidVolumeName } from './refusal.js';
import { InspectRefusal } from '../inspect/refusal.js';
import { pinEndpoint } from './endpoint.js';
import { checkSharedMac, scopeSharedEndpoint } from './identity.js';
import { PREDEFINED_NETWORKS, resolveContainer, resolveNetwork, resolveVolume, type ContainerEntry, type NetworkEntry, type VolumeEntry } from './resolve.js';
import { visibleNetworks, visibleVolumes, type Owner } from './visible.js';

function malformed(reason: string): never {
  throw new InspectRefusal('PC_DENIED_MALFORMED_BODY', reason);
}

/** A copy of `body` (an object, or null for none) with `Labels[label] = owner`, overwriting a client's value. */
export function withOwnerLabel(body: JsonValue | null, label: string, owner: string): JsonObject {
  if (body !== null && !isJsonObject(body)) malformed('the body is not a JSON object');
  const out: JsonObject = { ...(body ?? {}) };
  const labels = Object.hasOwn(out, 'Labels') ? out['Labels'] : null;
  if (labels !== null && labels !== undefined && !isJsonObject(labels)) malformed('Labels is not an object');
  const copy: JsonObject = { ...(labels ?? {}) };
  Object.defineProperty(copy, label, { value: owner, writable: true, enumerable: true, configurable: true });
  out['Labels'] = copy;
  return out;
}

function noSuchContainer(ref: string, where: string): never {
  hidden(`No such container: ${ref}`, `${where} names container "${ref}", which the client cannot see`);
}

/**
 * The full ID of a visible container. `own` when the reference reaches into the container (its
 * namespaces, its volumes): a shared container may be looked at, not entered, since sharing its
 * PID namespace could signal its processes and read their files.
 */
function pin(visible: readonly ContainerEntry[], ref: string, where: string, own: boolean): string {
  const found = resolveContainer(visible, ref);
  if (found === null) noSuchContainer(ref, where);
  if (own && !found.owned) {
    throw new InspectRefusal('PC_SHARED_READ_ONLY', `${where} names container "${ref}", which is shared with the client but not its own`);
  }
  return found.id;
}

/** `container:<ref>` modes point at the full ID of an own container; other modes pass. */
function pinMode(hc: JsonObject, key: string, visible: readonly ContainerEntry[]): void {
  const mode = Object.hasOwn(hc, key) ? hc[key] : undefined;
  if (typeof mode !== 'string' || !mode.startsWith('container:')) return;
  const ref = mode.slice('container:'.length);
  hc[key] = 'container:' + pin(visible, ref, `HostConfig.${key}`, true);
}

/**
 * Rewrites the references a create body makes to other containers (`container:<ref>` network,
 * PID and IPC modes, VolumesFrom, Links) to the full IDs of containers the client can see;
 * refuses with dockerd's 404 when one is not visible. Returns a changed copy.
 */
export function pinContainerReferences(body: JsonObject, visible: readonly ContainerEntry[]): JsonObject {
  const given = Object.hasOwn(body, 'HostConfig') ? body['HostConfig'] : undefined;
  if (given === undefined || given === null) return body;
  if (!isJsonObject(given)) malformed('HostConfig is not an object');
  const hc: JsonObject = { ...given };
  for (const key of ['NetworkMode', 'PidMode', 'IpcMode']) pinMode(hc, key, visible);
  const from = Object.hasOwn(hc, 'VolumesFrom') ? hc['VolumesFrom'] : null;
  if (from !== null && from !== undefined) {
    if (!Array.isArray(from) || !from.every((v) => typeof v === 'string')) malformed('HostConfig.VolumesFrom is not a list of strings');
    hc['VolumesFrom'] = (from as string[]).map((spec) => {
      // `<ref>` or `<ref>:ro|rw`: container names hold no colon.
      const colon = spec.indexOf(':');
      const ref = colon === -1 ? spec : spec.slice(0, colon);
      return pin(visible, ref, 'HostConfig.VolumesFrom', true) + (colon === -1 ? '' : spec.slice(colon));
    });
  }
  const links = Object.hasOwn(hc, 'Links') ? hc['Links'] : null;
  if (links !== null && links !== undefined) {
    if (!Array.isArray(links) || !links.every((v) => typeof v === 'string')) malformed('HostConfig.Links is not a list of strings');
    hc['Links'] = (links as string[]).map((spec) => {
      // `<ref>[:<alias>]`; the alias defaults to the name given, so keep it when pinning to the ID.
      const colon = spec.indexOf(':');
      const ref = colon === -1 ? spec : spec.slice(0, colon);
      const alias = colon === -1 ? ref.replace(/^\//, '') : spec.slice(colon + 1);
      return `${pin(visible, ref, 'HostConfig.Links', false)}:${alias}`;
    });
  }
  return { ...body, HostConfig: hc };
}

function strings(v: JsonValue | undefined, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) malformed(`${where} is not a list of strings`);
  return v as string[];
}

function own<T>(o: JsonObject, key: string): T | undefined {
  return Object.hasOwn(o, key) ? (o[key] as T) : undefined;
}

/**
 * The daemon's name for a volume a create body mounts: one the client sees (its own, by the name
 * it knows, or a shared one), or, for a volume that does not exist yet, a new name in the client's
 * name space (dockerd creates it for the mount). Null when it does not exist yet; another
 * client's volume is hidden.
 */
async function volumeFor(owner: Owner, visible: readonly VolumeEntry[], name: string): Promise<{ raw: string; exists: boolean }> {
  const seen = resolveVolume(visible, name);
  if (seen !== null) return { raw: seen.raw, exists: true };
  const raw = owner.names.toDaemon(name);
  const res = await owner.lookup(`/volumes/${encodeURIComponent(raw)}`);
  if (res.status !== 404) hidden(`get ${name}: no such volume`, `the body mounts volume "${name}", which the client cannot see`);
  if (!RESTRICTED_NAME.test(name)) invalidVolumeName(name);
  return { raw, exists: false };
}

/** The owner label on a volume dockerd creates for a mount (it applies `VolumeOptions.Labels` only then). */
function labelledVolumeOptions(m: JsonObject, owner: Owner): JsonObject {
  const given = own<JsonValue>(m, 'VolumeOptions');
  if (given !== undefined && given !== null && !isJsonObject(given)) malformed('a mount\'s VolumeOptions is not an object');
  return { ...m, VolumeOptions: withOwnerLabel(given ?? null, owner.label, owner.client) };
}

/**
 * `name:/dst[:opts]` of a volume that does not exist yet, as a volume mount that creates it with
 * the owner label (a bind cannot carry labels). Options a mount cannot express keep the bind: the
 * volume is then created without an owner, and the client cannot see it.
 */
function bindAsMount(target: string, opts: string, raw: string, owner: Owner): JsonObject | null {
  const flags = opts === '' ? [] : opts.split(',');
  if (!flags.every((f) => f === 'ro' || f === 'rw' || f === 'nocopy')) return null;
  const mount: JsonObject = { Type: 'volume', Source: raw, Target: target };
  if (flags.includes('ro')) mount['ReadOnly'] = true;
  if (flags.includes('nocopy')) mount['VolumeOptions'] = { NoCopy: true };
  return labelledVolumeOptions(mount, owner);
}

async function rewriteVolumes(hc: JsonObject, owner: Owner): Promise<void> {
  const binds = strings(own(hc, 'Binds'), 'HostConfig.Binds');
  const mountsGiven = own<JsonValue>(hc, 'Mounts');
  if (mountsGiven !== undefined && mountsGiven !== null && !Array.isArray(mountsGiven)) malformed('HostConfig.Mounts is not a list');
  const mounts = (mountsGiven ?? []) as JsonValue[];
  const named = (b: string): boolean => {
    const colon = b.indexOf(':');
    return colon > 0 && !b.startsWith('/');
  };
  const namedMount = (m: JsonValue): boolean => isJsonObject(m) && own(m, 'Type') === 'volume' && typeof own(m, 'Source') === 'string' && own(m, 'Source') !== '';
  if (!binds.some(named) && !mounts.some(namedMount)) return;
  const visible = await visibleVolumes(owner);
  const keptBinds: string[] = [];
  const added: JsonObject[] = [];
  for (const b of binds) {
    if (!named(b)) {
      keptBinds.push(b);
      continue;
    }
    const colon = b.indexOf(':');
    const name = b.slice(0, colon);
    const rest = b.slice(colon + 1);
    const v = await volumeFor(owner, visible, name);
    const second = rest.indexOf(':');
    const asMount = v.exists ? null : bindAsMount(second === -1 ? rest : rest.slice(0, second), second === -1 ? '' : rest.slice(second + 1), v.raw, owner);
    if (asMount !== null) added.push(asMount);
    else keptBinds.push(`${v.raw}:${rest}`);
  }
  const outMounts: JsonValue[] = [];
  for (const m of mounts) {
    if (!namedMount(m)) {
      outMounts.push(m);
      continue;
    }
    const mo = m as JsonObject;
    const v = await volumeFor(owner, visible, own(mo, 'Source') as string);
    const renamed: JsonObject = { ...mo, Source: v.raw };
    outMounts.push(v.exists ? renamed : labelledVolumeOptions(renamed, owner));
  }
  if (own(hc, 'Binds') !== undefined) hc['Binds'] = keptBinds;
  if (mountsGiven !== undefined || added.length > 0) hc['Mounts'] = [...outMounts, ...added];
}

/**
 * Network references become the daemon's names of networks the client sees, and every endpoint's
 * own references are pinned (`endpoint.ts`); with name prefixes, the container's own name is added
 * as an alias on each user network it joins, so containers find each other by the names their
 * client gave them.
 */
async function rewriteNetworks(
  body: JsonObject,
  hc: JsonObject | null,
  owner: Owner,
  containerName: string | null,
  containers: readonly ContainerEntry[],
): Promise<JsonObject> {
  const mode = hc === null ? undefined : own<JsonValue>(hc, 'NetworkMode');
  const userMode = typeof mode === 'string' && mode !== '' && !mode.startsWith('container:') && !PREDEFINED_NETWORKS.has(mode);
  const ncGiven = own<JsonValue>(body, 'NetworkingConfig');
  if (ncGiven !== undefined && ncGiven !== null && !isJsonObject(ncGiven)) malformed('NetworkingConfig is not an object');
  const epGiven = ncGiven === undefined || ncGiven === null ? undefined : own<JsonValue>(ncGiven as JsonObject, 'EndpointsConfig');
  if (epGiven !== undefined && epGiven !== null && !isJsonObject(epGiven)) malformed('NetworkingConfig.EndpointsConfig is not an object');
  const endpoints = (epGiven ?? null) as JsonObject | null;
  const keys = endpoints === null ? [] : Object.keys(endpoints);
  if (!userMode && keys.length === 0) return body;
  // Predefined networks need no look-up: they are nobody's.
  const visible = userMode || keys.some((k) => !PREDEFINED_NETWORKS.has(k)) ? await visibleNetworks(owner) : [];
  const entryOf = (ref: string): NetworkEntry | null => {
    if (PREDEFINED_NETWORKS.has(ref)) return null;
    const found = resolveNetwork(visible, ref);
    if (found === null) hidden(`network ${ref} not found`, `the body joins network "${ref}", which the client cannot see`);
    return found;
  };
  const rawOf = (ref: string): string => entryOf(ref)?.raw ?? ref;
  let out = body;
  if (userMode && hc !== null) {
    const primary = entryOf(mode);
    if (primary !== null && !primary.owned) checkSharedMac(body);
    hc['NetworkMode'] = primary?.raw ?? mode;
  }
  const alias = owner.names.prefix !== null && containerName !== null ? containerName : null;
  const settle = async (ep: JsonValue, network: string): Promise<JsonValue> => {
    const entry = entryOf(network);
    const where = `NetworkingConfig.EndpointsConfig["${network}"]`;
    const pinned = await pinEndpoint(ep, { owner, network: entry, networks: visible, containers: async () => containers, where });
    if (entry !== null && !entry.owned) {
      // Other clients are on it: no unscoped alias (not even the container's name), no fixed addresses.
      checkSharedMac(out);
      return scopeSharedEndpoint(pinned, where, owner.names);
    }
    if (alias === null || entry === null) return pinned;
    const e: JsonObject = { ...(pinned ?? {}) };
    const aliases = strings(own(e, 'Aliases'), `the aliases on network "${network}"`);
    if (!aliases.includes(alias)) e['Aliases'] = [...aliases, alias];
    return e;
  };
  if (endpoints !== null && keys.length > 0) {
    const rekeyed: JsonObject = {};
    for (const k of keys) {
      const value = await settle(endpoints[k] ?? null, k);
      Object.defineProperty(rekeyed, rawOf(k), { value, writable: true, enumerable: true, configurable: true });
    }
    out = { ...out, NetworkingConfig: { ...(ncGiven as JsonObject), EndpointsConfig: rekeyed } };
  } else if (userMode && alias !== null && hc !== null && entryOf(mode)?.owned === true) {
    out = { ...out, NetworkingConfig: { ...((ncGiven ?? {}) as JsonObject), EndpointsConfig: { [hc['NetworkMode'] as string]: await settle(null, mode) } } };
  }
  return out;
}

/**
 * The volumes and networks a create body names must be ones the client sees: mounting another
 * client's volume by name, or joining its network, would cross the isolation ownership draws.
 * They are rewritten to the daemon's names (the client's name space), and a volume dockerd will
 * create for a mount is created with the owner label.
 */
export async function rewriteNamedResources(
  body: JsonObject,
  owner: Owner,
  containerName: string | null,
  containers: readonly ContainerEntry[],
): Promise<JsonObject> {
  const given = own<JsonValue>(body, 'HostConfig');
  if (given !== undefined && given !== null && !isJsonObject(given)) malformed('HostConfig is not an object');
  const hc: JsonObject | null = given === undefined || given === null ? null : { ...(given as JsonObject) };
  if (hc !== null) await rewriteVolumes(hc, owner);
  const out = hc === null ? body : { ...body, HostConfig: hc };
  return rewriteNetworks(out, hc, owner, containerName, containers);
}
