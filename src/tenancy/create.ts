import type { JsonObject, JsonValue } from '../inspect/json-value.js';
import { JsonNumber } from '../inspect/json-value.js';
import { hidden, TenancyRefusal } from './refusal.js';
import { resolveContainer, resolveNetwork, type ContainerEntry } from './resolve.js';
import { ownedNetworks, ownedVolumes, type Owner } from './visible.js';

function isObj(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

function malformed(reason: string): never {
  throw new TenancyRefusal('PC_DENIED_MALFORMED_BODY', reason);
}

/** A copy of `body` (an object, or null for none) with `Labels[label] = owner`, overwriting a client's value. */
export function withOwnerLabel(body: JsonValue | null, label: string, owner: string): JsonObject {
  if (body !== null && !isObj(body)) malformed('the body is not a JSON object');
  const out: JsonObject = { ...(body ?? {}) };
  const labels = Object.hasOwn(out, 'Labels') ? out['Labels'] : null;
  if (labels !== null && labels !== undefined && !isObj(labels)) malformed('Labels is not an object');
  const copy: JsonObject = { ...(labels ?? {}) };
  Object.defineProperty(copy, label, { value: owner, writable: true, enumerable: true, configurable: true });
  out['Labels'] = copy;
  return out;
}

function noSuchContainer(ref: string, where: string): never {
  hidden(`No such container: ${ref}`, `${where} names container "${ref}", which the client cannot see`);
}

function pin(visible: readonly ContainerEntry[], ref: string, where: string): string {
  const found = resolveContainer(visible, ref);
  if (found === null) noSuchContainer(ref, where);
  return found.id;
}

/** `container:<ref>` modes point at the full ID of a visible container; other modes pass. */
function pinMode(hc: JsonObject, key: string, visible: readonly ContainerEntry[]): void {
  const mode = Object.hasOwn(hc, key) ? hc[key] : undefined;
  if (typeof mode !== 'string' || !mode.startsWith('container:')) return;
  const ref = mode.slice('container:'.length);
  hc[key] = 'container:' + pin(visible, ref, `HostConfig.${key}`);
}

/**
 * Rewrites the references a create body makes to other containers (`container:<ref>` network,
 * PID and IPC modes, VolumesFrom, Links) to the full IDs of containers the client can see;
 * refuses with dockerd's 404 when one is not visible. Returns a changed copy.
 */
export function pinContainerReferences(body: JsonObject, visible: readonly ContainerEntry[]): JsonObject {
  const given = Object.hasOwn(body, 'HostConfig') ? body['HostConfig'] : undefined;
  if (given === undefined || given === null) return body;
  if (!isObj(given)) malformed('HostConfig is not an object');
  const hc: JsonObject = { ...given };
  for (const key of ['NetworkMode', 'PidMode', 'IpcMode']) pinMode(hc, key, visible);
  const from = Object.hasOwn(hc, 'VolumesFrom') ? hc['VolumesFrom'] : null;
  if (from !== null && from !== undefined) {
    if (!Array.isArray(from) || !from.every((v) => typeof v === 'string')) malformed('HostConfig.VolumesFrom is not a list of strings');
    hc['VolumesFrom'] = (from as string[]).map((spec) => {
      // `<ref>` or `<ref>:ro|rw`: container names hold no colon.
      const colon = spec.indexOf(':');
      const ref = colon === -1 ? spec : spec.slice(0, colon);
      return pin(visible, ref, 'HostConfig.VolumesFrom') + (colon === -1 ? '' : spec.slice(colon));
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
      return `${pin(visible, ref, 'HostConfig.Links')}:${alias}`;
    });
  }
  return { ...body, HostConfig: hc };
}

/** Networks every client may name: dockerd's predefined ones (constraints judge `host`). */
const PREDEFINED_NETWORKS = new Set(['bridge', 'none', 'host', 'default']);

function strings(v: JsonValue | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * The volumes and networks a create body names must be the client's own: mounting another
 * client's volume by name, or joining its network, would cross the isolation ownership draws.
 * A volume that does not exist yet is created by dockerd for the container (without an owner).
 */
export async function checkNamedResources(body: JsonObject, owner: Owner): Promise<void> {
  const hc = isObj(body['HostConfig']) ? body['HostConfig'] : null;
  const volumes: string[] = [];
  for (const bind of strings(hc?.['Binds'])) {
    const parts = bind.split(':');
    if (parts.length > 1 && parts[0] !== '' && !parts[0]!.startsWith('/')) volumes.push(parts[0]!);
  }
  for (const m of Array.isArray(hc?.['Mounts']) ? (hc['Mounts'] as JsonValue[]) : []) {
    if (isObj(m) && m['Type'] === 'volume' && typeof m['Source'] === 'string' && m['Source'] !== '') volumes.push(m['Source']);
  }
  if (volumes.length > 0) {
    const own = await ownedVolumes(owner);
    for (const name of volumes) {
      if (own.includes(name)) continue;
      const res = await owner.lookup(`/volumes/${encodeURIComponent(name)}`);
      if (res.status !== 404) hidden(`get ${name}: no such volume`, `the body mounts volume "${name}", which the client cannot see`);
    }
  }
  const networks: string[] = [];
  const mode = hc?.['NetworkMode'];
  if (typeof mode === 'string' && mode !== '' && !mode.startsWith('container:') && !PREDEFINED_NETWORKS.has(mode)) networks.push(mode);
  const nc = isObj(body['NetworkingConfig']) ? body['NetworkingConfig'] : null;
  const endpoints = nc !== null && isObj(nc['EndpointsConfig']) ? nc['EndpointsConfig'] : null;
  for (const key of endpoints === null ? [] : Object.keys(endpoints)) if (!PREDEFINED_NETWORKS.has(key)) networks.push(key);
  if (networks.length > 0) {
    const own = await ownedNetworks(owner);
    for (const ref of networks) {
      if (resolveNetwork(own, ref) === null) hidden(`network ${ref} not found`, `the body joins network "${ref}", which the client cannot see`);
    }
  }
}
