import { isJsonObject, type JsonValue } from '../../inspect/json-value.js';
import type { InspectRequest } from '../../inspect/types.js';
import { familiarString, fullImageId, withDefaultTag, type Reference } from '../../images/reference.js';
import { mayBeIdPrefix, parseName } from '../../images/resolve.js';
import { hidden, lookupFailed } from '../refusal.js';
import { RESERVED, type ImageSpace } from './space.js';

/** The names an image carries on the daemon, sorted by whose they are for one client. */
export interface ImageNames {
  readonly id: string;
  /** the client's own daemon names (`repo:__<key>.tag`) */
  readonly own: readonly string[];
  /** names without a client's marker, and every `repo@digest` */
  readonly shared: readonly string[];
  /** other clients' names */
  readonly others: readonly string[];
}

/** What a client's reference stands for. */
export interface Resolved extends ImageNames {
  /** how it was found: the client's own name, a shared name, or by ID (full or unique prefix) */
  readonly via: 'own' | 'shared' | 'id';
  /** the daemon name it was found by (own, shared), null when found by ID */
  readonly name: string | null;
}

type Lookup = InspectRequest['lookup'];

function strings(v: JsonValue | undefined): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

/** `RepoTags` and `RepoDigests` of an image document, sorted; `<none>` placeholders are not names. */
export function imageNames(space: ImageSpace, doc: JsonValue): ImageNames | null {
  if (!isJsonObject(doc)) return null;
  const id = doc['Id'];
  if (typeof id !== 'string' || fullImageId(id) !== id) return null;
  const own: string[] = [];
  const shared: string[] = [];
  const others: string[] = [];
  for (const name of [...strings(doc['RepoTags']), ...strings(doc['RepoDigests'])]) {
    if (name.startsWith('<none>')) continue;
    const shown = space.present(name);
    if (shown === null) others.push(name);
    else if (shown !== name) own.push(name);
    else shared.push(name);
  }
  return { id, own, shared, others };
}

/** The client sees an image by name or prefix when it has one of its own or a shared name. */
export const named = (n: ImageNames): boolean => n.own.length > 0 || n.shared.length > 0;
/** An image without any name: reachable by its full ID only. */
export const anonymous = (n: ImageNames): boolean => n.own.length === 0 && n.shared.length === 0 && n.others.length === 0;

async function inspectImage(space: ImageSpace, lookup: Lookup, ref: string): Promise<ImageNames | null> {
  let res: Awaited<ReturnType<Lookup>>;
  try {
    res = await lookup(`/images/${encodeURIComponent(ref)}/json`);
  } catch (error) {
    lookupFailed(`cannot look up image "${ref}": ${(error as Error).message ?? String(error)}`);
  }
  if (res.status === 404) return null;
  const names = res.status === 200 ? imageNames(space, res.body) : null;
  if (names === null) lookupFailed(`look-up of image "${ref}" answered ${res.status} without an image ID`);
  return names;
}

/** Every image the client sees by name, from the daemon's list (for ID prefixes). */
async function namedImages(space: ImageSpace, lookup: Lookup): Promise<ImageNames[]> {
  let res: Awaited<ReturnType<Lookup>>;
  try {
    res = await lookup('/images/json');
  } catch (error) {
    lookupFailed(`cannot list images: ${(error as Error).message ?? String(error)}`);
  }
  if (res.status !== 200 || !Array.isArray(res.body)) lookupFailed(`cannot list images: the daemon answered ${res.status}`);
  return res.body.flatMap((s) => {
    const n = imageNames(space, s);
    if (n === null) lookupFailed('cannot list images: an entry has no image ID');
    return named(n) ? [n] : [];
  });
}

/** The daemon's name for a client's name, in its own tag space (`:latest` when it gives none). */
export function ownName(space: ImageSpace, ref: Reference): string {
  const tagged = withDefaultTag(ref);
  return familiarString({ ...tagged, tag: space.toDaemonTag(tagged.tag as string), digest: null });
}

/**
 * Resolves a client's image reference as dockerd's GetImage would (full ID; name; unique ID prefix)
 * but only among the images the client sees: its own names first, then shared ones; a name's
 * look-up must answer with an image that carries the name, since dockerd reads a name it does not
 * know as an ID prefix. Null when nothing the client sees answers.
 */
export async function resolveImageFor(space: ImageSpace, lookup: Lookup, text: string): Promise<Resolved | null> {
  const id = fullImageId(text);
  if (id !== null) {
    const found = await inspectImage(space, lookup, id);
    // A full ID is not guessed: an image with no name at all (a build without -t) is its builder's by its ID.
    return found !== null && (named(found) || anonymous(found)) ? { ...found, via: 'id', name: null } : null;
  }
  const ref = parseName(text, 'image');
  if (ref.digest !== null) {
    const name = familiarString({ ...ref, tag: null });
    const found = await inspectImage(space, lookup, name);
    return found !== null && found.shared.includes(name) ? { ...found, via: 'shared', name } : null;
  }
  const tag = withDefaultTag(ref).tag as string;
  if (!tag.startsWith(RESERVED)) {
    const own = ownName(space, ref);
    const mine = await inspectImage(space, lookup, own);
    if (mine !== null && mine.own.includes(own)) return { ...mine, via: 'own', name: own };
    const name = familiarString(withDefaultTag(ref));
    const shared = await inspectImage(space, lookup, name);
    if (shared !== null && shared.shared.includes(name)) return { ...shared, via: 'shared', name };
  }
  if (!mayBeIdPrefix(text)) return null;
  const hex = text.startsWith('sha256:') ? text : `sha256:${text}`;
  const matches = (await namedImages(space, lookup)).filter((n) => n.id.startsWith(hex));
  return matches.length === 1 ? { ...matches[0]!, via: 'id', name: null } : null;
}

/** The name dockerd would show in "No such image: …". */
export function shownName(text: string): string {
  const id = fullImageId(text);
  if (id !== null) return id;
  try {
    return familiarString(withDefaultTag(parseName(text, 'image')));
  } catch {
    return text;
  }
}

/** Resolves or answers 404 in dockerd's words. */
export async function requireImage(space: ImageSpace, lookup: Lookup, text: string): Promise<Resolved> {
  const found = await resolveImageFor(space, lookup, text);
  if (found === null) hidden(`No such image: ${shownName(text)}`, `no image the client "${space.client}" sees answers to "${text}"`);
  return found;
}
