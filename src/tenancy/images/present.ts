import { isJsonObject, type JsonObject, type JsonValue } from '../../inspect/json-value.js';
import type { ImageSpace } from './space.js';

/**
 * The daemon's answers about images as a client may see them: its own names without the marker,
 * shared names as they are, other clients' names removed.
 */

function field(o: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** A list of names, each presented; another client's are dropped. */
function names(space: ImageSpace, v: JsonValue | undefined): JsonValue | undefined {
  if (!Array.isArray(v)) return v;
  return v.flatMap((s): JsonValue[] => {
    if (typeof s !== 'string') return [s];
    const shown = space.present(s);
    return shown === null ? [] : [shown];
  });
}

function withNames(space: ImageSpace, doc: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = { ...doc };
  for (const key of keys) {
    const v = names(space, field(doc, key));
    if (v !== undefined) out[key] = v;
  }
  return out;
}

const NAME_KEYS = ['RepoTags', 'RepoDigests'];

/** True when an image summary keeps a name the client sees (`<none>` placeholders are no names). */
function hasName(doc: JsonObject): boolean {
  return NAME_KEYS.some((k) => {
    const v = field(doc, k);
    return Array.isArray(v) && v.some((s) => typeof s === 'string' && !s.startsWith('<none>'));
  });
}

/** ImageList (and system df's `Images`): images with a name the client sees, with those names. */
export function presentImageSummaries(space: ImageSpace, body: JsonValue): JsonValue {
  if (!Array.isArray(body)) return body;
  return body.flatMap((s) => {
    if (!isJsonObject(s)) return [];
    const shown = withNames(space, s, NAME_KEYS);
    return hasName(shown) ? [shown] : [];
  });
}

/** ImageInspect. */
export function presentImage(space: ImageSpace, body: JsonValue): JsonValue {
  return isJsonObject(body) ? withNames(space, body, NAME_KEYS) : body;
}

/** ImageHistory: each layer's `Tags`. */
export function presentHistory(space: ImageSpace, body: JsonValue): JsonValue {
  if (!Array.isArray(body)) return body;
  return body.map((e) => (isJsonObject(e) ? withNames(space, e, ['Tags']) : e));
}

/** ImageDelete: `[{"Untagged": name}, {"Deleted": id}]`. */
export function presentDeleted(space: ImageSpace, body: JsonValue): JsonValue {
  if (!Array.isArray(body)) return body;
  return body.flatMap((e) => {
    const untagged = isJsonObject(e) ? field(e, 'Untagged') : undefined;
    if (!isJsonObject(e) || typeof untagged !== 'string') return [e];
    const shown = space.present(untagged);
    return shown === null ? [] : [{ ...e, Untagged: shown }];
  });
}

/** A container's image name (`Image` of a list entry, `Config.Image`); another client's name gives way to the ID. */
function imageOf(space: ImageSpace, c: JsonObject, key: string, id: JsonValue | undefined): JsonObject {
  const v = field(c, key);
  if (typeof v !== 'string') return c;
  const shown = space.present(v);
  return { ...c, [key]: shown ?? (typeof id === 'string' ? id : '') };
}

/** ContainerList entries (and system df's `Containers`). */
export function presentContainerSummaries(space: ImageSpace, body: JsonValue): JsonValue {
  if (!Array.isArray(body)) return body;
  return body.map((c) => (isJsonObject(c) ? imageOf(space, c, 'Image', field(c, 'ImageID')) : c));
}

/** ContainerInspect: `Config.Image`. */
export function presentContainer(space: ImageSpace, body: JsonValue): JsonValue {
  if (!isJsonObject(body)) return body;
  const config = field(body, 'Config');
  if (!isJsonObject(config)) return body;
  return { ...body, Config: imageOf(space, config, 'Image', field(body, 'Image')) };
}

/** SystemDataUsage: `Images` and the containers' image names. */
export function presentDataUsage(space: ImageSpace, body: JsonValue): JsonValue {
  if (!isJsonObject(body)) return body;
  const out: JsonObject = { ...body };
  const images = field(body, 'Images');
  if (Array.isArray(images)) out['Images'] = presentImageSummaries(space, images);
  const containers = field(body, 'Containers');
  if (Array.isArray(containers)) out['Containers'] = presentContainerSummaries(space, containers);
  return out;
}

/** One value of a build's (or commit's, import's) output stream: the client's own names in its strings. */
export function presentStreamValue(space: ImageSpace, v: JsonValue): JsonValue {
  if (typeof v === 'string') return space.presentText(v);
  if (Array.isArray(v)) return v.map((e) => presentStreamValue(space, e));
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, e] of Object.entries(v)) Object.defineProperty(out, k, { value: presentStreamValue(space, e), writable: true, enumerable: true, configurable: true });
  return out;
}

/** A container event: the `image` attribute and the legacy `from`. */
export function presentEvent(space: ImageSpace, ev: JsonValue): JsonValue {
  if (!isJsonObject(ev) || field(ev, 'Type') !== 'container') return ev;
  let out: JsonObject = ev;
  const from = field(ev, 'from');
  if (typeof from === 'string') out = { ...out, from: space.present(from) ?? '' };
  const actor = field(ev, 'Actor');
  const attrs = isJsonObject(actor) ? field(actor, 'Attributes') : undefined;
  const image = isJsonObject(attrs) ? field(attrs, 'image') : undefined;
  if (isJsonObject(actor) && isJsonObject(attrs) && typeof image === 'string') {
    out = { ...out, Actor: { ...actor, Attributes: { ...attrs, image: space.present(image) ?? '' } } };
  }
  return out;
}
