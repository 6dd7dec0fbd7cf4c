import type { ErrorCode } from '../../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../inspect/json-value.js';
import type { InspectRequest } from '../../inspect/types.js';
import { containerPath, describeRef, lookupObject, type CheckContext } from './context.js';
import {
  checkAnnotations,
  checkBound,
  checkCapAdd,
  checkLegacyCapabilities,
  checkLogDriver,
  checkMaskedPaths,
  checkPortBindings,
  checkPrivileged,
  checkResources,
  checkRuntime,
  checkSecurityOpt,
  checkSysctls,
} from './host-config.js';
import type { Constraints } from './model.js';
import { checkHostConfigMounts } from './mounts.js';
import { checkNamespaces, checkNetworkName } from './namespaces.js';
import { checkEndpointOptions } from './network.js';
import { dot, field, optObject, optString, q, refuse, Refusal } from './util.js';

/** How many containers deep `container:<id>` and VolumesFrom references are followed. */
const MAX_DEPTH = 4;

/** Every check of a HostConfig (`scope` `mounts`: only what it mounts). */
export async function checkHostConfig(hc: JsonObject, label: string, ctx: CheckContext, scope: 'all' | 'mounts' = 'all'): Promise<void> {
  const c = ctx.c;
  if (scope === 'all') {
    checkPrivileged(field(hc, 'Privileged'), `${dot(label)}Privileged`, c);
    checkCapAdd(field(hc, 'CapAdd'), `${dot(label)}CapAdd`, c);
    checkLegacyCapabilities(hc, label);
    checkSecurityOpt(field(hc, 'SecurityOpt'), `${dot(label)}SecurityOpt`, c);
    checkMaskedPaths(hc, label, ctx);
    checkResources(hc, label, c);
    checkBound(field(hc, 'ShmSize'), `${dot(label)}ShmSize`, c.shmSize, true, (n) => n <= 0n);
    await checkNamespaces(hc, label, ctx);
    await checkRuntime(field(hc, 'Runtime'), `${dot(label)}Runtime`, ctx);
    checkSysctls(field(hc, 'Sysctls'), `${dot(label)}Sysctls`, c);
    checkPortBindings(hc, label, c);
    const log = optObject(field(hc, 'LogConfig'), `${dot(label)}LogConfig`);
    if (log !== null) await checkLogDriver(optString(field(log, 'Type'), `${dot(label)}LogConfig.Type`), `${dot(label)}LogConfig.Type`, ctx);
    checkAnnotations(hc, label, c);
  }
  await checkHostConfigMounts(hc, label, ctx);
}

/* Field names of HostConfig (with its embedded Resources) and the wrapper's `Cpuset`: dockerd's
 * ContainerConfigWrapper embeds a second HostConfig at the top level and honours it when the
 * HostConfig key is absent (and merges some of it when present). Compared case-insensitively, as
 * Go's decoder does. */
const HOST_CONFIG_FIELDS = new Set(
  [
    'Binds', 'ContainerIDFile', 'LogConfig', 'NetworkMode', 'PortBindings', 'RestartPolicy', 'AutoRemove', 'VolumeDriver',
    'VolumesFrom', 'ConsoleSize', 'Annotations', 'CapAdd', 'CapDrop', 'CgroupnsMode', 'Dns', 'DnsOptions', 'DnsSearch',
    'ExtraHosts', 'GroupAdd', 'IpcMode', 'Cgroup', 'Links', 'OomScoreAdj', 'PidMode', 'Privileged', 'PublishAllPorts',
    'ReadonlyRootfs', 'SecurityOpt', 'StorageOpt', 'Tmpfs', 'UTSMode', 'UsernsMode', 'ShmSize', 'Sysctls', 'Runtime',
    'Isolation', 'Mounts', 'MaskedPaths', 'ReadonlyPaths', 'Init', 'Capabilities',
    'CpuShares', 'Memory', 'NanoCpus', 'CgroupParent', 'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps',
    'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod',
    'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems', 'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'KernelMemory',
    'KernelMemoryTCP', 'MemoryReservation', 'MemorySwap', 'MemorySwappiness', 'OomKillDisable', 'PidsLimit', 'Ulimits',
    'CpuCount', 'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth', 'Cpuset',
  ].map((k) => k.toLowerCase()),
);

function bodyObject(body: JsonValue | null): JsonObject | null {
  if (body === null) return null;
  if (!isJsonObject(body)) refuse('PC_DENIED_MALFORMED_BODY', 'the body is not a JSON object');
  return body;
}

export async function checkContainerCreate(body: JsonValue | null, ctx: CheckContext): Promise<void> {
  const b = bodyObject(body);
  if (b === null) return;
  const legacy = Object.keys(b).filter((k) => HOST_CONFIG_FIELDS.has(k.toLowerCase()));
  if (legacy.length > 0) {
    if (!ctx.c.legacyHostConfig) {
      refuse('PC_DENIED_LEGACY_HOSTCONFIG', `top-level ${q(legacy[0] as string)} is a HostConfig field (legacy request shape); send it inside HostConfig`);
    }
    await checkHostConfig(b, '', ctx);
  }
  const hc = optObject(field(b, 'HostConfig'), 'HostConfig');
  if (hc !== null) await checkHostConfig(hc, 'HostConfig', ctx);
  const nc = optObject(field(b, 'NetworkingConfig'), 'NetworkingConfig');
  const endpoints = nc === null ? null : optObject(field(nc, 'EndpointsConfig'), 'NetworkingConfig.EndpointsConfig');
  const mode = hc === null ? null : field(hc, 'NetworkMode');
  for (const name of Object.keys(endpoints ?? {})) {
    const at = `NetworkingConfig.EndpointsConfig[${q(name)}]`;
    if (name !== mode) await checkNetworkName(name, at, ctx);
    const ep = optObject((endpoints as JsonObject)[name], at);
    if (ep !== null) checkEndpointOptions(ep, at, ctx.c);
  }
}

/** ContainerUpdate: the resources a running container may be given. */
export function checkContainerUpdate(body: JsonValue | null, ctx: CheckContext): void {
  const b = bodyObject(body);
  if (b !== null) checkResources(b, '', ctx.c);
}

/** A container as GET /containers/{id}/json shows it, against what create would allow. */
export async function checkStoredContainer(inspected: JsonObject, ctx: CheckContext, scope: 'all' | 'mounts'): Promise<void> {
  const hc = optObject(field(inspected, 'HostConfig'), 'HostConfig');
  if (hc === null) refuse('PC_DENIED_MALFORMED_BODY', 'the container has no HostConfig');
  await checkHostConfig(hc, 'HostConfig', ctx, scope);
  if (scope === 'mounts') return;
  const settings = optObject(field(inspected, 'NetworkSettings'), 'NetworkSettings');
  const networks = settings === null ? null : optObject(field(settings, 'Networks'), 'NetworkSettings.Networks');
  for (const name of Object.keys(networks ?? {})) {
    const at = `NetworkSettings.Networks[${q(name)}]`;
    const ep = optObject((networks as JsonObject)[name], at);
    if (ep !== null) checkEndpointOptions(ep, at, ctx.c);
  }
}

/** A context for checking one request (or a referenced container, one level deeper). */
export function createContext(
  c: Constraints,
  lookup: InspectRequest['lookup'],
  mode: CheckContext['mode'],
  depth = 0,
  infoCache: { promise?: Promise<JsonObject | null> } = {},
): CheckContext {
  const ctx: CheckContext = {
    c,
    lookup,
    mode,
    depth,
    info() {
      infoCache.promise ??= lookup('/info').then(
        (r) => (r.status === 200 && isJsonObject(r.body ?? undefined) ? (r.body as JsonObject) : null),
        () => null,
      );
      return infoCache.promise;
    },
    async checkReferenced(ref: string, label: string, rule: ErrorCode, scope: 'all' | 'mounts'): Promise<void> {
      if (depth + 1 >= MAX_DEPTH) refuse(rule, `${label} names ${describeRef(ref)}, but containers refer to each other more than ${MAX_DEPTH} deep`);
      const inspected = await lookupObject(ctx, containerPath(ref), describeRef(ref), rule);
      if (inspected === null) return;
      try {
        await checkStoredContainer(inspected, createContext(c, lookup, 'stored', depth + 1, infoCache), scope);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        refuse(rule, `${label} names ${describeRef(ref)}, which would be refused: ${error.reason} (rule ${error.rule})`);
      }
    },
  };
  return ctx;
}

/**
 * An existing container the client wants to start (or exec into): refused with `rule` when its
 * stored configuration would be refused at create. 404 passes: dockerd answers it.
 */
/**
 * Checks the container `ref` names as the daemon stores it, and returns its full ID (null when
 * there is no such container): the proxy forwards that ID instead of `ref`, so a name or ID
 * prefix re-pointed between this look-up and dockerd's own resolution cannot aim the request at
 * a container that was not checked.
 */
export async function checkExistingContainer(ref: string, ctx: CheckContext, rule: ErrorCode, what: string): Promise<string | null> {
  const inspected = await lookupObject(ctx, containerPath(ref), describeRef(ref), rule);
  if (inspected === null) return null;
  try {
    await checkStoredContainer(inspected, ctx, 'all');
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    refuse(rule, `${describeRef(ref)} ${what}: ${error.reason} (rule ${error.rule})`);
  }
  const id = field(inspected, 'Id');
  if (typeof id !== 'string' || id === '') refuse(rule, `${describeRef(ref)}: the daemon's answer has no container ID`);
  return id;
}
