import { isJsonObject, type JsonObject, type JsonValue } from '../inspect/json-value.js';
import type { ImageAllowlist } from './pattern.js';
import { parseReference } from './reference.js';
import {  } from './resolve.js';

/**
 * Response filters: the daemon's answers about images, cut down to the names the allowlist
 * allows. An image with no allowed name (dangling ones included) is left out of lists.
 */

function allowedName(allow: ImageAllowlist, item: JsonValue): boolean {
  if (typeof item !== 'string') return false;
  const parsed = parseReference(item);
  return parsed.ok && allow.allows(parsed.ref);
}

/** The object with each of `keys` that holds a list trimmed to its allowed names. */
function trimmed(allow: ImageAllowlist, doc: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = { ...doc };
  for (const key of keys) {
    const v = Object.hasOwn(doc, key) ? doc[key] : undefined;
    if (Array.isArray(v)) out[key] = v.filter((item) => allowedName(allow, item));
  }
  return out;
}

const NAME_KEYS = ['RepoTags', 'RepoDigests'];

function hasAllowedName(allow: ImageAllowlist, summary: JsonObject): boolean {
  return NAME_KEYS.some((key) => {
    const v = Object.hasOwn(summary, key) ? summary[key] : undefined;
    return Array.isArray(v) && v.some((item) => allowedName(allow, item));
  });
}

/** ImageList (and SystemDataUsage's `Images`): visible images only, with their allowed names. */
export function filterImageSummaries(allow: ImageAllowlist, body: JsonValue): JsonValue {
  if (!Array.isArray(body)) return body;
  return body.filter((s): s is JsonObject => isJsonObject(s) && hasAllowedName(allow, s)).map((s) => trimmed(allow, s, NAME_KEYS));
}

/** ImageInspect: the image's names outside the allowlist are removed. */
export function trimImageInspect(allow: ImageAllowlist, body: JsonValue): JsonValue {
  return isJsonObject(body) ? trimmed(allow, body, NAME_KEYS) : body;
}

/** ImageHistory: each layer's `Tags` trimmed to allowed names. */
export function trimImageHistory(allow: ImageAllowlist, body: JsonValue): JsonValue {
  if (!Array.isArray(body)) return body;
  return body.map((entry) => (isJsonObject(entry) ? trimmed(allow, entry, ['Tags']) : entry));
}

/** SystemDataUsage: its `Images` list filtered like ImageList. */
export function filterDataUsage(allow: ImageAllowlist, body: JsonValue): JsonValue {
  if (!isJsonObject(body) || !Object.hasOwn(body, 'Images')) return body;
  return { ...body, Images: filterImageSummaries(allow, body['Images'] as JsonValue) };
}
