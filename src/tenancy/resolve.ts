/**
 * References resolved the way dockerd resolves them, but only within the objects a client may
 * see: an object outside that set is never a candidate, so an ambiguous prefix or a taken name
 * cannot leak one.
 */

/** dockerd's predefined networks: every client may name them, and nobody may create them. */
export const PREDEFINED_NETWORKS: ReadonlySet<string> = new Set(['bridge', 'host', 'none', 'default']);

/** A container as the list endpoint shows it. */
export interface ContainerEntry {
  readonly id: string;
  /** as the client knows them: `/name` (and `/other/alias` for legacy links) */
  readonly names: readonly string[];
  /** the client's own (not only shared with it) */
  readonly owned: boolean;
}

export interface NetworkEntry {
  readonly id: string;
  /** as the client knows it */
  readonly name: string;
  /** as the daemon knows it */
  readonly raw: string;
  readonly owned: boolean;
}

export interface VolumeEntry {
  readonly name: string;
  readonly raw: string;
  readonly owned: boolean;
}

/**
 * dockerd's `GetContainer`: an exact full ID, then an exact name (`web` and `/web` alike), then
 * a unique ID prefix. Null when nothing or several match.
 */
export function resolveContainer(visible: readonly ContainerEntry[], ref: string): ContainerEntry | null {
  if (ref === '') return null;
  const byId = visible.find((c) => c.id === ref);
  if (byId !== undefined) return byId;
  const name = ref.startsWith('/') ? ref : '/' + ref;
  const byName = visible.find((c) => c.names.includes(name));
  if (byName !== undefined) return byName;
  return uniquePrefix(visible, ref);
}

/** libnetwork's look-up: an exact full ID, then an exact name (unique), then a unique ID prefix. */
export function resolveNetwork(visible: readonly NetworkEntry[], ref: string): NetworkEntry | null {
  if (ref === '') return null;
  const byId = visible.find((n) => n.id === ref);
  if (byId !== undefined) return byId;
  const byName = visible.filter((n) => n.name === ref);
  if (byName.length === 1) return byName[0] as NetworkEntry;
  if (byName.length > 1) return null;
  return uniquePrefix(visible, ref);
}

/** Volumes are addressed by their exact name only. */
export function resolveVolume(visible: readonly VolumeEntry[], ref: string): VolumeEntry | null {
  return ref === '' ? null : (visible.find((v) => v.name === ref) ?? null);
}

function uniquePrefix<T extends { readonly id: string }>(visible: readonly T[], prefix: string): T | null {
  const matches = visible.filter((o) => o.id.startsWith(prefix));
  return matches.length === 1 ? (matches[0] as T) : null;
}
