/**
 * Type descriptors: how dockerd's Go types shape the JSON bodies Portcullis inspects.
 *
 * The decoder (`go-json.ts`) needs to know, for every object in a body, whether Go decodes it
 * into a struct (keys folded case-insensitively onto field names) or into a map (keys exact), so
 * a descriptor only records that shape:
 * - `struct`: canonical field names → descriptor; unknown fields are allowed (Go ignores them);
 * - `map`: `map[string]T`, keys kept exactly, values described by `values`;
 * - `array`: slices and fixed arrays;
 * - `scalar`: a leaf; `'any'` is an untyped value (objects inside are treated as unknown, i.e.
 *   with the strictest duplicate rule).
 *
 * The descriptors per operationId are generated from the Engine API spec unioned with moby
 * 20.10's request structs by `scripts/gen-schemas.ts` into `schemas.generated.ts`.
 *
 * ContainerCreate models runconfig's `ContainerConfigWrapper` (dockerd 20.10):
 *   struct { *container.Config; HostConfig *container.HostConfig `json:"HostConfig"`;
 *            Cpuset string; NetworkingConfig *network.NetworkingConfig;
 *            *container.HostConfig /* legacy, embedded: its fields are read at the TOP level *\/ }
 * so the ContainerCreate descriptor lists the Config fields, `HostConfig`, `NetworkingConfig`,
 * `Cpuset`, and every HostConfig (and Resources) field once more at the top level. What dockerd
 * then does with those legacy top-level fields is in `LEGACY_CREATE` below.
 */
export type ScalarType = 'string' | 'number' | 'boolean' | 'any';

export type Descriptor =
  | { readonly kind: 'struct'; readonly fields: Readonly<Record<string, Descriptor>> }
  | { readonly kind: 'map'; readonly values: Descriptor }
  | { readonly kind: 'array'; readonly items: Descriptor }
  | { readonly kind: 'scalar'; readonly type: ScalarType };

export type StructDescriptor = Extract<Descriptor, { kind: 'struct' }>;

export { SCHEMAS, type SchemaOperation } from './schemas.generated.js';
import { SCHEMAS } from './schemas.generated.js';
import { isJsonObject, JsonNumber, type JsonObject, type JsonValue } from './json-value.js';

/** An untyped value (no folding or renaming below it; the strictest duplicate rule). */
export const ANY: Descriptor = { kind: 'scalar', type: 'any' };

/** The descriptor of an operation's JSON body, or ANY when we have none. */
export function schemaFor(operationId: string): Descriptor {
  return Object.hasOwn(SCHEMAS, operationId) ? SCHEMAS[operationId as keyof typeof SCHEMAS] : ANY;
}

/**
 * dockerd 20.10's `ContainerConfigWrapper.getHostConfig()`:
 * - when the body has no `HostConfig`, the host config is the legacy one made of the top-level
 *   HostConfig fields (all of them, if any is present);
 * - when both are present, the inner `HostConfig` is used, but each of `mergedWhenInnerZero`
 *   is copied from the top level when the inner value is zero ("" or 0);
 * - finally, the top-level `Cpuset` becomes `CpusetCpus` when that is still empty.
 * Later moby releases reworked this wrapper; an inspector that must be safe for 20.10 has to
 * check the effective host config (`effectiveCreateHostConfig`), or refuse top-level HostConfig
 * fields altogether (see `legacyHostConfigFields`).
 */
export const LEGACY_CREATE = {
  mergedWhenInnerZero: ['Memory', 'MemorySwap', 'CpuShares', 'CpusetCpus', 'VolumeDriver'] as const,
  cpusetField: 'Cpuset',
  cpusetTarget: 'CpusetCpus',
} as const;

/** The names of the HostConfig fields that dockerd 20.10 also reads at the top level of a create body. */
export function legacyHostConfigFields(): readonly string[] {
  const hc = (SCHEMAS.ContainerCreate as StructDescriptor).fields.HostConfig;
  if (!hc || hc.kind !== 'struct') throw new Error('schemas: ContainerCreate.HostConfig is not a struct');
  return Object.keys(hc.fields);
}

function isZero(v: JsonValue | undefined): boolean {
  return v === undefined || v === null || v === '' || (v instanceof JsonNumber && v.value === 0);
}
/**
 * The host config dockerd 20.10 uses for a create body decoded by `decodeGoJson` with
 * `SCHEMAS.ContainerCreate` (canonical field names), per `getHostConfig()` — or null when the
 * body has neither `HostConfig` nor any legacy top-level HostConfig field. Returns a new object.
 */
export function effectiveCreateHostConfig(body: JsonObject): JsonObject | null {
  const legacyNames = legacyHostConfigFields();
  const legacy: JsonObject = {};
  let hasLegacy = false;
  for (const k of legacyNames) {
    if (Object.hasOwn(body, k)) {
      legacy[k] = body[k]!;
      hasLegacy = true;
    }
  }
  const inner = body.HostConfig;
  let hc: JsonObject | null;
  if (isJsonObject(inner)) {
    hc = { ...inner };
    if (hasLegacy) {
      for (const k of LEGACY_CREATE.mergedWhenInnerZero) {
        if (!isZero(legacy[k]) && isZero(hc[k])) hc[k] = legacy[k]!;
      }
    }
  } else {
    // `"HostConfig": null` (or absent) leaves the inner pointer nil
    hc = hasLegacy ? legacy : null;
  }
  const cpuset = body[LEGACY_CREATE.cpusetField];
  if (hc && !isZero(cpuset) && isZero(hc[LEGACY_CREATE.cpusetTarget])) hc[LEGACY_CREATE.cpusetTarget] = cpuset!;
  return hc;
}
