import { isJsonObject, type JsonValue } from '../inspect/json-value.js';
import type { InspectRequest } from '../inspect/types.js';
import { canonicalString, familiarString, fullImageId, parseReference, withDefaultTag, type Reference } from './reference.js';
import { badReference, lookupFailed } from './refusal.js';

/**
 * What an image reference on an object route (inspect, delete, tag, save, create…) stands for.
 * dockerd's GetImage reads a full ID as an ID; anything else as a name, and when no image has that
 * name, as an ID prefix. Only strings of hex digits (after an optional `sha256:`) can be a prefix,
 * so only those are looked up to learn which reading the daemon takes.
 */
export type Resolution =
  /** judged by the allowlist alone */
  | { readonly kind: 'name'; readonly ref: Reference; readonly shown: string }
  /** an image read by its ID or an ID prefix: judged by its names */
  | { readonly kind: 'image'; readonly id: string; readonly names: readonly Reference[]; readonly shown: string }
  /** no image answers to it: dockerd would say "No such image: <shown>" */
  | { readonly kind: 'missing'; readonly shown: string };

/** Hex digits, after an optional `sha256:`: what an image store may read as an ID prefix. */
export function mayBeIdPrefix(text: string): boolean {
  return /^(?:sha256:)?[a-f0-9]+$/.test(text);
}

/** The references in a list of RepoTags or RepoDigests; `<none>:<none>` and the like are not names. */
export function namesIn(v: JsonValue | undefined): Reference[] {
  if (!Array.isArray(v)) return [];
  const out: Reference[] = [];
  for (const item of v) {
    if (typeof item !== 'string') continue;
    const parsed = parseReference(item);
    if (parsed.ok) out.push(parsed.ref);
  }
  return out;
}

/** A client's reference parsed as a name; refused when dockerd would not read it as one. */
export function parseName(text: string, what: string): Reference {
  const parsed = parseReference(text);
  if (!parsed.ok) badReference(`${what} "${text}" is not an image reference: ${parsed.reason}`);
  return parsed.ref;
}

async function inspectImage(text: string, lookup: InspectRequest['lookup']): Promise<{ id: string; names: Reference[] } | null> {
  const res = await lookup(`/images/${encodeURIComponent(text)}/json`);
  if (res.status === 404) return null;
  const doc = res.body;
  if (res.status !== 200 || !isJsonObject(doc)) lookupFailed(`look-up of image "${text}" answered ${res.status}`);
  const id = doc['Id'];
  if (typeof id !== 'string' || fullImageId(id) !== id) lookupFailed(`look-up of image "${text}" answered no image ID`);
  return { id, names: [...namesIn(doc['RepoTags']), ...namesIn(doc['RepoDigests'])] };
}

/** Resolves `text` as dockerd's GetImage would, looking it up only when it could be an ID. */
export async function resolveImage(text: string, lookup: InspectRequest['lookup']): Promise<Resolution> {
  const id = fullImageId(text);
  if (id !== null) {
    const found = await inspectImage(text, lookup);
    return found === null ? { kind: 'missing', shown: id } : { kind: 'image', ...found, shown: id };
  }
  const ref = parseName(text, 'image');
  const shown = familiarString(withDefaultTag(ref));
  if (!mayBeIdPrefix(text)) return { kind: 'name', ref, shown };
  const found = await inspectImage(text, lookup);
  if (found === null) return { kind: 'missing', shown };
  // A name wins over an ID prefix in dockerd: the image carries the name exactly when it was found by it.
  const name = canonicalString(withDefaultTag(ref));
  if (found.names.some((n) => canonicalString(n) === name)) return { kind: 'name', ref, shown };
  return { kind: 'image', ...found, shown };
}
