import type { BodyKind, HttpMethod, Operation, UpgradeProtocol } from './operation.js';

/*
 * Every operation dockerd serves that Portcullis lets through at all: the 108 operations of the
 * Engine API 1.56 spec plus the routes dockerd registers outside it (checkpoints, BuildCancel,
 * GRPC). Anything not listed here is refused by the router, so a route missing from this list
 * fails closed.
 *
 * Deliberately left out although dockerd registers them:
 * - `OPTIONS /{anyroute:.*}` (CORS preflight; HttpMethod has no OPTIONS and no client needs it);
 * - `GET /networks/` (dockerd's alias of NetworkList; the router rejects trailing slashes);
 * - `GET /debug/...` (pprof and expvar: daemon internals, never part of the API contract).
 *
 * Groups are `family:access`. A policy selects them as `family:access`, `family:*` or `family`
 * (every access of the family), `*`, or by operationId.
 *
 * | group                 | what it grants                                                        |
 * |-----------------------|-----------------------------------------------------------------------|
 * | system:read           | ping, version, info, events, disk usage                               |
 * | system:auth           | SystemAuth: makes the daemon log in to a registry with a credential   |
 * | containers:read       | list, inspect, top, stats, changes (metadata, never container data)   |
 * | containers:logs       | ContainerLogs: output may hold secrets                                |
 * | containers:archive    | reading or writing container filesystems: archive get/put, export     |
 * | containers:attach     | attaching to a container's stdio (and resizing its tty)               |
 * | containers:write      | lifecycle: create, start, stop, kill, update, rename, wait, delete... |
 * | containers:checkpoint | CRIU checkpoints (experimental)                                       |
 * | exec:read / exec:write| inspect an exec / create, start, resize one (runs code in a container)|
 * | images:read           | list, inspect, history, attestations, search, export (get), registry  |
 * |                       | manifest lookup (DistributionInspect)                                 |
 * | images:write          | pull/import (create), push, tag, delete, prune, load, commit          |
 * | build:write           | ImageBuild, BuildPrune, BuildCancel                                   |
 * | buildkit:write        | Session, GRPC: raw BuildKit channels the proxy cannot inspect         |
 * | volumes:*, networks:*, plugins:*, secrets:*, configs:* | read = list/inspect, write = the rest|
 * | swarm:read            | swarm, nodes, services, tasks: inspect, list, logs                    |
 * | swarm:write           | everything else of swarm, including SwarmUnlockkey (it reveals the    |
 * |                       | key that decrypts the raft log, so it is not a harmless read)         |
 */

function op(
  id: string,
  method: HttpMethod,
  path: string,
  group: string,
  body: BodyKind = 'none',
  upgrade: UpgradeProtocol | null = null,
): Operation {
  return Object.freeze({ id, method, path, group, body, upgrade });
}

export const OPERATIONS: readonly Operation[] = Object.freeze([
  // system
  op('SystemPing', 'GET', '/_ping', 'system:read'),
  op('SystemPingHead', 'HEAD', '/_ping', 'system:read'),
  op('SystemVersion', 'GET', '/version', 'system:read'),
  op('SystemInfo', 'GET', '/info', 'system:read'),
  op('SystemEvents', 'GET', '/events', 'system:read'),
  op('SystemDataUsage', 'GET', '/system/df', 'system:read'),
  op('SystemAuth', 'POST', '/auth', 'system:auth', 'json'),

  // containers
  op('ContainerList', 'GET', '/containers/json', 'containers:read'),
  op('ContainerInspect', 'GET', '/containers/{id}/json', 'containers:read'),
  op('ContainerTop', 'GET', '/containers/{id}/top', 'containers:read'),
  op('ContainerStats', 'GET', '/containers/{id}/stats', 'containers:read'),
  op('ContainerChanges', 'GET', '/containers/{id}/changes', 'containers:read'),
  op('ContainerLogs', 'GET', '/containers/{id}/logs', 'containers:logs'),
  op('ContainerArchive', 'GET', '/containers/{id}/archive', 'containers:archive'),
  op('ContainerArchiveInfo', 'HEAD', '/containers/{id}/archive', 'containers:archive'),
  op('PutContainerArchive', 'PUT', '/containers/{id}/archive', 'containers:archive', 'stream'),
  op('ContainerExport', 'GET', '/containers/{id}/export', 'containers:archive'),
  op('ContainerAttach', 'POST', '/containers/{id}/attach', 'containers:attach', 'none', 'tcp'),
  op('ContainerAttachWebsocket', 'GET', '/containers/{id}/attach/ws', 'containers:attach', 'none', 'websocket'),
  op('ContainerResize', 'POST', '/containers/{id}/resize', 'containers:attach'),
  op('ContainerCreate', 'POST', '/containers/create', 'containers:write', 'json'),
  op('ContainerStart', 'POST', '/containers/{id}/start', 'containers:write'),
  op('ContainerStop', 'POST', '/containers/{id}/stop', 'containers:write'),
  op('ContainerRestart', 'POST', '/containers/{id}/restart', 'containers:write'),
  op('ContainerKill', 'POST', '/containers/{id}/kill', 'containers:write'),
  op('ContainerUpdate', 'POST', '/containers/{id}/update', 'containers:write', 'json'),
  op('ContainerRename', 'POST', '/containers/{id}/rename', 'containers:write'),
  op('ContainerPause', 'POST', '/containers/{id}/pause', 'containers:write'),
  op('ContainerUnpause', 'POST', '/containers/{id}/unpause', 'containers:write'),
  op('ContainerWait', 'POST', '/containers/{id}/wait', 'containers:write'),
  op('ContainerDelete', 'DELETE', '/containers/{id}', 'containers:write'),
  op('ContainerPrune', 'POST', '/containers/prune', 'containers:write'),
  // Not in the spec: dockerd registers these as experimental routes. Names follow the Go client.
  op('CheckpointList', 'GET', '/containers/{id}/checkpoints', 'containers:checkpoint'),
  op('CheckpointCreate', 'POST', '/containers/{id}/checkpoints', 'containers:checkpoint', 'json'),
  op('CheckpointDelete', 'DELETE', '/containers/{id}/checkpoints/{checkpoint}', 'containers:checkpoint'),

  // exec
  op('ContainerExec', 'POST', '/containers/{id}/exec', 'exec:write', 'json'),
  op('ExecStart', 'POST', '/exec/{id}/start', 'exec:write', 'json', 'tcp'),
  op('ExecResize', 'POST', '/exec/{id}/resize', 'exec:write'),
  op('ExecInspect', 'GET', '/exec/{id}/json', 'exec:read'),

  // images
  op('ImageList', 'GET', '/images/json', 'images:read'),
  op('ImageInspect', 'GET', '/images/{name}/json', 'images:read'),
  op('ImageAttestations', 'GET', '/images/{name}/attestations', 'images:read'),
  op('ImageHistory', 'GET', '/images/{name}/history', 'images:read'),
  op('ImageSearch', 'GET', '/images/search', 'images:read'),
  op('ImageGet', 'GET', '/images/{name}/get', 'images:read'),
  op('ImageGetAll', 'GET', '/images/get', 'images:read'),
  op('DistributionInspect', 'GET', '/distribution/{name}/json', 'images:read'),
  op('ImageCreate', 'POST', '/images/create', 'images:write', 'stream'),
  op('ImagePush', 'POST', '/images/{name}/push', 'images:write'),
  op('ImageTag', 'POST', '/images/{name}/tag', 'images:write'),
  op('ImageDelete', 'DELETE', '/images/{name}', 'images:write'),
  op('ImagePrune', 'POST', '/images/prune', 'images:write'),
  op('ImageLoad', 'POST', '/images/load', 'images:write', 'stream'),
  op('ImageCommit', 'POST', '/commit', 'images:write', 'json'),

  // build
  op('ImageBuild', 'POST', '/build', 'build:write', 'stream'),
  op('BuildPrune', 'POST', '/build/prune', 'build:write'),
  // Not in the spec; the Go client calls it to stop a classic-builder build.
  op('BuildCancel', 'POST', '/build/cancel', 'build:write'),
  op('Session', 'POST', '/session', 'buildkit:write', 'none', 'h2c'),
  // Not in the spec: BuildKit's gRPC endpoint, reached with an h2c upgrade.
  op('GRPC', 'POST', '/grpc', 'buildkit:write', 'none', 'h2c'),

  // volumes
  op('VolumeList', 'GET', '/volumes', 'volumes:read'),
  op('VolumeInspect', 'GET', '/volumes/{name}', 'volumes:read'),
  op('VolumeCreate', 'POST', '/volumes/create', 'volumes:write', 'json'),
  op('VolumeUpdate', 'PUT', '/volumes/{name}', 'volumes:write', 'json'),
  op('VolumeDelete', 'DELETE', '/volumes/{name}', 'volumes:write'),
  op('VolumePrune', 'POST', '/volumes/prune', 'volumes:write'),

  // networks
  op('NetworkList', 'GET', '/networks', 'networks:read'),
  op('NetworkInspect', 'GET', '/networks/{id}', 'networks:read'),
  op('NetworkCreate', 'POST', '/networks/create', 'networks:write', 'json'),
  op('NetworkConnect', 'POST', '/networks/{id}/connect', 'networks:write', 'json'),
  op('NetworkDisconnect', 'POST', '/networks/{id}/disconnect', 'networks:write', 'json'),
  op('NetworkDelete', 'DELETE', '/networks/{id}', 'networks:write'),
  op('NetworkPrune', 'POST', '/networks/prune', 'networks:write'),

  // plugins
  op('PluginList', 'GET', '/plugins', 'plugins:read'),
  op('PluginInspect', 'GET', '/plugins/{name}/json', 'plugins:read'),
  op('GetPluginPrivileges', 'GET', '/plugins/privileges', 'plugins:read'),
  op('PluginPull', 'POST', '/plugins/pull', 'plugins:write', 'json'),
  op('PluginUpgrade', 'POST', '/plugins/{name}/upgrade', 'plugins:write', 'json'),
  op('PluginCreate', 'POST', '/plugins/create', 'plugins:write', 'stream'),
  op('PluginPush', 'POST', '/plugins/{name}/push', 'plugins:write'),
  op('PluginSet', 'POST', '/plugins/{name}/set', 'plugins:write', 'json'),
  op('PluginEnable', 'POST', '/plugins/{name}/enable', 'plugins:write'),
  op('PluginDisable', 'POST', '/plugins/{name}/disable', 'plugins:write'),
  op('PluginDelete', 'DELETE', '/plugins/{name}', 'plugins:write'),

  // swarm, nodes, services, tasks
  op('SwarmInspect', 'GET', '/swarm', 'swarm:read'),
  op('NodeList', 'GET', '/nodes', 'swarm:read'),
  op('NodeInspect', 'GET', '/nodes/{id}', 'swarm:read'),
  op('ServiceList', 'GET', '/services', 'swarm:read'),
  op('ServiceInspect', 'GET', '/services/{id}', 'swarm:read'),
  op('ServiceLogs', 'GET', '/services/{id}/logs', 'swarm:read'),
  op('TaskList', 'GET', '/tasks', 'swarm:read'),
  op('TaskInspect', 'GET', '/tasks/{id}', 'swarm:read'),
  op('TaskLogs', 'GET', '/tasks/{id}/logs', 'swarm:read'),
  op('SwarmInit', 'POST', '/swarm/init', 'swarm:write', 'json'),
  op('SwarmJoin', 'POST', '/swarm/join', 'swarm:write', 'json'),
  op('SwarmLeave', 'POST', '/swarm/leave', 'swarm:write'),
  op('SwarmUpdate', 'POST', '/swarm/update', 'swarm:write', 'json'),
  op('SwarmUnlockkey', 'GET', '/swarm/unlockkey', 'swarm:write'),
  op('SwarmUnlock', 'POST', '/swarm/unlock', 'swarm:write', 'json'),
  op('NodeUpdate', 'POST', '/nodes/{id}/update', 'swarm:write', 'json'),
  op('NodeDelete', 'DELETE', '/nodes/{id}', 'swarm:write'),
  op('ServiceCreate', 'POST', '/services/create', 'swarm:write', 'json'),
  op('ServiceUpdate', 'POST', '/services/{id}/update', 'swarm:write', 'json'),
  op('ServiceDelete', 'DELETE', '/services/{id}', 'swarm:write'),

  // secrets
  op('SecretList', 'GET', '/secrets', 'secrets:read'),
  op('SecretInspect', 'GET', '/secrets/{id}', 'secrets:read'),
  op('SecretCreate', 'POST', '/secrets/create', 'secrets:write', 'json'),
  op('SecretUpdate', 'POST', '/secrets/{id}/update', 'secrets:write', 'json'),
  op('SecretDelete', 'DELETE', '/secrets/{id}', 'secrets:write'),

  // configs
  op('ConfigList', 'GET', '/configs', 'configs:read'),
  op('ConfigInspect', 'GET', '/configs/{id}', 'configs:read'),
  op('ConfigCreate', 'POST', '/configs/create', 'configs:write', 'json'),
  op('ConfigUpdate', 'POST', '/configs/{id}/update', 'configs:write', 'json'),
  op('ConfigDelete', 'DELETE', '/configs/{id}', 'configs:write'),
]);

export const OPERATIONS_BY_ID: ReadonlyMap<string, Operation> = new Map(
  OPERATIONS.map((o) => [o.id, o]),
);

function groupOperations(): ReadonlyMap<string, readonly string[]> {
  const groups = new Map<string, string[]>();
  for (const o of OPERATIONS) {
    let ids = groups.get(o.group);
    if (ids === undefined) {
      ids = [];
      groups.set(o.group, ids);
    }
    ids.push(o.id);
  }
  for (const ids of groups.values()) Object.freeze(ids);
  return groups;
}

/** group (`family:access`) -> operationIds, in catalogue order */
export const GROUPS: ReadonlyMap<string, readonly string[]> = groupOperations();
