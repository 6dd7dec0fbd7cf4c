import { isJsonObject, type JsonValue } from '../inspect/json-value.js';
import { labelsOf } from './objects.js';
import type { Labels, Selector } from './selector.js';

/**
 * The events stream, judged one event at a time by what the event itself carries.
 *
 * - container events: `Actor.Attributes` holds the container's labels plus attributes dockerd
 *   sets itself (`name`, `image`, and per action `exitCode`, `signal`, …). The name is
 *   `Attributes.name`; the labels are the other attributes except those dockerd's own keys, which
 *   cannot be told apart from a label of the same key (dockerd overwrites one with the other).
 * - network events carry the network's name (`Attributes.name`) but no labels, and volume events
 *   the volume's name as `Actor.ID` and no labels: they are shown when the name matches a pattern.
 *   An object visible only through its labels has its events dropped.
 * - network connect/disconnect and volume mount/unmount events name a container
 *   (`Attributes.container`, an ID): when containers are restricted they are shown only for
 *   containers known to be visible — visible when the stream began, or seen visible in it since.
 * - every other type (image, plugin, daemon, …) passes; an event without a type is dropped.
 */

export interface EventSelectors {
  readonly containers: Selector | null;
  readonly networks: Selector | null;
  readonly volumes: Selector | null;
}

/** Attributes dockerd adds to container events beside the labels (daemon/events.go and the actions' callers). */
const DOCKERD_CONTAINER_ATTRIBUTES: ReadonlySet<string> = new Set([
  'name', 'image', 'exitCode', 'execDuration', 'signal', 'execID', 'oldName', 'height', 'width', 'comment', 'imageID', 'imageRef',
]);

function containerLabels(attrs: Labels): Labels {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (!DOCKERD_CONTAINER_ATTRIBUTES.has(k)) Object.defineProperty(out, k, { value: v, enumerable: true });
  }
  return out;
}

/**
 * A stateful per-stream filter: `visibleContainers` (IDs visible when the stream began; null when
 * containers are not restricted) grows and shrinks with the container events that pass by.
 */
export function eventFilter(s: EventSelectors, visibleContainers: ReadonlySet<string> | null): (event: JsonValue) => JsonValue | null {
  const known = new Set(visibleContainers ?? []);
  const containerShown = (attrs: Labels): boolean =>
    s.containers === null || !Object.hasOwn(attrs, 'container') || known.has(attrs['container'] as string);
  return (event) => {
    if (!isJsonObject(event)) return null;
    const type = Object.hasOwn(event, 'Type') ? event['Type'] : undefined;
    const actor = Object.hasOwn(event, 'Actor') ? event['Actor'] : undefined;
    const attrs = labelsOf(isJsonObject(actor) && Object.hasOwn(actor, 'Attributes') ? actor['Attributes'] : undefined);
    const rawId = isJsonObject(actor) && Object.hasOwn(actor, 'ID') ? actor['ID'] : undefined;
    const id = typeof rawId === 'string' ? rawId : null;
    switch (type) {
      case 'container': {
        if (s.containers === null) return event;
        const name = attrs['name'];
        const visible = s.containers.visible(name === undefined ? [] : [name], containerLabels(attrs));
        if (id !== null) {
          if (visible) known.add(id);
          else known.delete(id);
        }
        return visible ? event : null;
      }
      case 'network': {
        const name = attrs['name'];
        if (s.networks !== null && (name === undefined || !s.networks.nameMatches(name))) return null;
        return containerShown(attrs) ? event : null;
      }
      case 'volume':
        if (s.volumes !== null && (id === null || !s.volumes.nameMatches(id))) return null;
        return containerShown(attrs) ? event : null;
      case undefined:
        return null;
      default:
        return event;
    }
  };
}
