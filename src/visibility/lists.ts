import { isJsonObject, type JsonObject, type JsonValue } from '../inspect/json-value.js';
import { containerVisible, namedVisible } from './objects.js';
import type { Selector } from './selector.js';

/**
 * Response filters: answers that list objects keep the visible ones only. An answer of an
 * unexpected shape keeps nothing rather than everything.
 */

type Filter = (body: JsonValue) => JsonValue;

/** ContainerList: the visible entries, then the client's `limit` (dockerd lists newest first). */
export function containerListFilter(sel: Selector, limit: number | null): Filter {
  return (body) => {
    if (!Array.isArray(body)) return [];
    const kept = body.filter((c) => containerVisible(c, sel));
    return limit === null ? kept : kept.slice(0, limit);
  };
}

/** A network's `Containers` map (container ID → endpoint) without the containers the client cannot see. */
function withVisibleEndpoints(network: JsonValue, containerIds: ReadonlySet<string>): JsonValue {
  if (!isJsonObject(network) || !Object.hasOwn(network, 'Containers')) return network;
  const endpoints = network['Containers'];
  if (!isJsonObject(endpoints)) return network;
  const kept: JsonObject = {};
  for (const [id, ep] of Object.entries(endpoints)) {
    if (containerIds.has(id)) Object.defineProperty(kept, id, { value: ep, enumerable: true, writable: true, configurable: true });
  }
  return { ...network, Containers: kept };
}

/** NetworkInspect: `Containers` narrowed to the visible containers. */
export function networkInspectFilter(containerIds: ReadonlySet<string>): Filter {
  return (body) => withVisibleEndpoints(body, containerIds);
}

/** NetworkList: the visible networks (all when `sel` is null), each with only visible containers when `containerIds` is given. */
export function networkListFilter(sel: Selector | null, containerIds: ReadonlySet<string> | null): Filter {
  return (body) => {
    if (!Array.isArray(body)) return [];
    const kept = sel === null ? body : body.filter((n) => namedVisible(n, sel));
    return containerIds === null ? kept : kept.map((n) => withVisibleEndpoints(n, containerIds));
  };
}

/** VolumeList: `{"Volumes": [...], "Warnings": ...}` with the visible volumes. */
export function volumeListFilter(sel: Selector): Filter {
  return (body) => {
    if (!isJsonObject(body)) return { Volumes: [] };
    const volumes = Object.hasOwn(body, 'Volumes') ? body['Volumes'] : null;
    if (volumes === null || volumes === undefined) return body;
    return { ...body, Volumes: Array.isArray(volumes) ? volumes.filter((v) => namedVisible(v, sel)) : [] };
  };
}

/**
 * SystemDataUsage. Up to API 1.51 the answer lists every container and volume (`Containers`,
 * `Volumes`): those lists keep the visible ones. From 1.52 on each kind is a usage object whose
 * counts and sizes total every object of the daemon, which cannot be narrowed from its items:
 * the usage object of a restricted kind is left out.
 */
export function dataUsageFilter(containers: Selector | null, volumes: Selector | null): Filter {
  return (body) => {
    if (!isJsonObject(body)) return {};
    const out: JsonObject = { ...body };
    const narrow = (key: string, keep: (e: JsonValue) => boolean): void => {
      if (!Object.hasOwn(out, key)) return;
      const list = out[key];
      if (list !== null) out[key] = Array.isArray(list) ? list.filter(keep) : [];
    };
    if (containers !== null) {
      narrow('Containers', (c) => containerVisible(c, containers));
      delete out['ContainerUsage'];
    }
    if (volumes !== null) {
      narrow('Volumes', (v) => namedVisible(v, volumes));
      delete out['VolumeUsage'];
    }
    return out;
  };
}
