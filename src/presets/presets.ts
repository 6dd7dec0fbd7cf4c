import type { PolicySpec } from '../policy/types.js';

/*
 * Built-in policies for the tools that are usually given the Docker socket, each the operations
 * that tool calls and nothing else (docs/presets.md says where each list comes from). Usable as a
 * listener's or client's policy, as `extends: <preset>`, or as PORTCULLIS_PRESET=<name>.
 *
 * Every preset allows both pings and the version: clients negotiate the API version with
 * `HEAD /_ping` (Docker CLI 23+, Traefik 3.6+) or `GET /_ping`, some with `GET /version`.
 * Presets that create containers carry the hardened constraints (`constraints: {}`): the tool may
 * do its job, not start a privileged container or mount the host.
 */

const NEGOTIATION = ['SystemPing', 'SystemPingHead', 'SystemVersion'];

function preset(name: string, ops: readonly string[], extra: Omit<PolicySpec, 'rules'> = {}): PolicySpec {
  return { rules: [{ id: `preset-${name}`, allow: [...NEGOTIATION, ...ops] }], ...extra };
}

export const PRESETS: Readonly<Record<string, PolicySpec>> = {
  // Docker provider: container list and inspect, the events stream; Swarm provider: services,
  // tasks, networks and /info (to tell a manager).
  traefik: preset('traefik', ['SystemInfo', 'SystemEvents', 'ContainerList', 'ContainerInspect', 'NetworkList', 'NetworkInspect', 'ServiceList', 'TaskList']),
  // Status widgets: list, inspect and one-shot stats of containers (services and tasks in Swarm).
  // A dashboard has no use for the containers' environment, where secrets sit.
  homepage: preset('homepage', ['SystemInfo', 'ContainerList', 'ContainerInspect', 'ContainerStats', 'ServiceList', 'TaskList'], { redact: { env: true } }),
  // Portainer's views without any write, exec, attach, export or registry access. Configs are
  // left out: inspecting one returns its data.
  'portainer-readonly': preset('portainer-readonly', [
    'SystemInfo', 'SystemEvents', 'SystemDataUsage',
    'ContainerList', 'ContainerInspect', 'ContainerTop', 'ContainerStats', 'ContainerChanges', 'ContainerLogs',
    'ImageList', 'ImageInspect', 'ImageHistory',
    'NetworkList', 'NetworkInspect', 'VolumeList', 'VolumeInspect',
    'SwarmInspect', 'NodeList', 'NodeInspect', 'ServiceList', 'ServiceInspect', 'ServiceLogs', 'TaskList', 'TaskInspect', 'TaskLogs',
    'SecretList', 'SecretInspect', 'PluginList', 'PluginInspect',
  ]),
  // Update cycle: list and inspect containers, inspect and pull images, stop (or kill) the old
  // container, rename it when it is Watchtower itself, create and start its replacement with the
  // same config, reconnect networks, remove the old container and image.
  watchtower: preset('watchtower', [
    'SystemInfo', 'ContainerList', 'ContainerInspect', 'ImageList', 'ImageInspect', 'ImageCreate', 'ImageDelete',
    'ContainerStop', 'ContainerKill', 'ContainerRename', 'ContainerCreate', 'ContainerStart', 'ContainerDelete',
    'NetworkConnect', 'NetworkDisconnect',
  ], { constraints: {} }),
  // Docker provider: which images the running containers use; the registries are asked by Diun itself.
  diun: preset('diun', ['SystemInfo', 'ContainerList', 'ContainerInspect', 'ImageList', 'ImageInspect']),
  // Lists unhealthy containers (a health filter) and restarts them.
  autoheal: preset('autoheal', ['SystemEvents', 'ContainerList', 'ContainerInspect', 'ContainerRestart']),
  // Logs, stats and events of every container, read only (Dozzle's actions are not included).
  dozzle: preset('dozzle', ['SystemInfo', 'SystemEvents', 'ContainerList', 'ContainerInspect', 'ContainerLogs', 'ContainerStats']),
  // Docker container monitors: the state of one container by name.
  'uptime-kuma': preset('uptime-kuma', ['SystemInfo', 'ContainerList', 'ContainerInspect']),
  // The docker executor: the helper image (pulled, or loaded from its tarball), per-job
  // containers attached to and waited on, build files copied in and artifacts out, per-build
  // networks and cache volumes, and their clean-up. No exec: the executor attaches.
  'gitlab-runner': preset('gitlab-runner', [
    'SystemInfo', 'SystemEvents',
    'ImageList', 'ImageInspect', 'ImageCreate', 'ImageLoad', 'ImageTag', 'ImageDelete',
    'ContainerList', 'ContainerInspect', 'ContainerCreate', 'ContainerStart', 'ContainerAttach', 'ContainerWait',
    'ContainerLogs', 'ContainerStop', 'ContainerKill', 'ContainerDelete', 'ContainerResize',
    'ContainerArchive', 'ContainerArchiveInfo', 'PutContainerArchive',
    'NetworkList', 'NetworkInspect', 'NetworkCreate', 'NetworkDelete', 'NetworkConnect', 'NetworkDisconnect',
    'VolumeList', 'VolumeInspect', 'VolumeCreate', 'VolumeDelete',
  ], { constraints: {} }),
  // CI jobs that build and run containers (docker build/run/exec/cp, compose up): the `hardened`
  // policy under the name people look for.
  ci: { extends: 'hardened', rules: [] },
};
