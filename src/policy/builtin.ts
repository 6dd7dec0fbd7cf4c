import type { PolicySpec } from './types.js';

/*
 * Policies every config can name without defining them. A config may define a policy of the same
 * name, which then replaces the built-in one.
 *
 * read-only lists operationIds rather than groups: images:read includes ImageGet/ImageGetAll
 * (exporting image contents), ImageSearch and DistributionInspect (which make the daemon reach
 * out to registries), and none of those is "read-only" in the sense of looking at local state.
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
};

export const BUILTIN_POLICY_NAMES: readonly string[] = Object.freeze(Object.keys(BUILTIN_POLICIES));
