import { HARDENED_CONSTRAINTS } from './constraints/model.js';
import type { PolicySpec } from './types.js';
import { PRESETS } from '../presets/presets.js';

/*
 * Policies every config can name without defining them. A config may define a policy of the same
 * name, which then replaces the built-in one.
 *
 * read-only lists operationIds rather than groups: images:read includes ImageGet/ImageGetAll
 * (exporting image contents), ImageSearch and DistributionInspect (which make the daemon reach
 * out to registries), and none of those is "read-only" in the sense of looking at local state.
 *
 * hardened is for ordinary CI work (docker run/exec/logs/cp/build/compose up/save/load/tag/push)
 * with the hardened constraints (docs/constraints.md): no privileged containers, host namespaces,
 * bind mounts, devices, capabilities beyond the default set... Left out on purpose: checkpoints,
 * swarm (services, nodes), plugins (a plugin runs privileged code on the host), secrets and
 * configs, and raw BuildKit sessions (Session, GRPC), which the proxy cannot see into: builds go
 * through POST /build with the classic builder, whose query parameters are checked.
 *
 * unrestricted allows everything, unchecked: the proxy then only adds routing hygiene and the
 * decision log. The server logs a warning when a listener uses it.
 */
export const BUILTIN_POLICIES: Readonly<Record<string, PolicySpec>> = {
  'read-only': {
    rules: [
      {
        id: 'read-only',
        allow: [
          'SystemPing',
          'SystemPingHead',
          'SystemVersion',
          'SystemInfo',
          'SystemEvents',
          'SystemDataUsage',
          'ContainerList',
          'ContainerInspect',
          'ContainerTop',
          'ContainerStats',
          'ContainerChanges',
          'ImageList',
          'ImageInspect',
          'ImageHistory',
          'NetworkList',
          'NetworkInspect',
          'VolumeList',
          'VolumeInspect',
        ],
      },
    ],
  },
  hardened: {
    rules: [
      { id: 'hardened-system', allow: ['system:read', 'system:auth'] },
      { id: 'hardened-containers', allow: ['containers:read', 'containers:logs', 'containers:archive', 'containers:attach', 'containers:write'] },
      { id: 'hardened-exec', allow: ['exec:*'] },
      { id: 'hardened-images', allow: ['images:*'] },
      { id: 'hardened-volumes', allow: ['volumes:*'] },
      { id: 'hardened-networks', allow: ['networks:*'] },
      { id: 'hardened-build', allow: ['build:write'] },
    ],
    constraints: HARDENED_CONSTRAINTS,
  },
  unrestricted: {
    // `*` leaves out the raw BuildKit channels, which must be named.
    rules: [{ id: 'unrestricted', allow: ['*', 'buildkit:write'] }],
  },
  // Per-tool presets (src/presets/, docs/presets.md).
  ...PRESETS,
};

export const BUILTIN_POLICY_NAMES: readonly string[] = Object.freeze(Object.keys(BUILTIN_POLICIES));
