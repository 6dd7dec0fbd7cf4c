import { goCleanPath } from './clean-path.js';

/**
 * A HostConfig.Binds entry as dockerd's Linux mount parser reads it (volume/mounts
 * linuxParser.ParseMountRaw, the same in 20.10 and 26.1): split on every `:` into one to three
 * fields, a source starting with `/` is a bind mount (cleaned with path.Clean), any other source a
 * volume name, and the mode a comma list with at most one of each kind and nothing else. No
 * trimming, no case folding, no Windows drive letters on a Linux daemon: `C:\x:/y` is the volume
 * `C` mounted at `\x`, which dockerd refuses.
 */
export type BindSpec =
  | { readonly kind: 'anonymous'; readonly target: string }
  | { readonly kind: 'bind'; readonly source: string; readonly target: string; readonly readOnly: boolean; readonly mode: readonly string[] }
  | { readonly kind: 'volume'; readonly name: string; readonly target: string; readonly readOnly: boolean; readonly mode: readonly string[] };

const MODE_KINDS: Readonly<Record<string, string>> = {
  rw: 'rw',
  ro: 'rw',
  z: 'label',
  Z: 'label',
  private: 'propagation',
  rprivate: 'propagation',
  slave: 'propagation',
  rslave: 'propagation',
  shared: 'propagation',
  rshared: 'propagation',
  nocopy: 'copy',
  consistent: 'consistency',
  cached: 'consistency',
  delegated: 'consistency',
};

/** linuxValidMountMode: the options, or null when dockerd refuses the mode. */
export function parseMountMode(mode: string): string[] | null {
  if (mode === '') return [];
  const seen = new Set<string>();
  const opts = mode.split(',');
  for (const o of opts) {
    const kind = Object.hasOwn(MODE_KINDS, o) ? MODE_KINDS[o] : undefined;
    if (kind === undefined || seen.has(kind)) return null;
    seen.add(kind);
  }
  return opts;
}

/** linuxValidateAbsolute and linuxValidateNotRoot on a target (backslashes read as `/` there). */
function validTarget(target: string): boolean {
  const slashed = target.replaceAll('\\', '/');
  return target !== '' && slashed.startsWith('/') && goCleanPath(slashed) !== '/';
}

/** The mount dockerd makes of a Binds entry, or null when it refuses the entry. */
export function parseBindSpec(raw: string): BindSpec | null {
  const arr = raw.split(':');
  if (arr[0] === '' || arr.length > 3) return null;
  if (arr.length === 1) return validTarget(raw) ? { kind: 'anonymous', target: raw } : null;
  // (dockerd also refuses `/foo:ro`, a mode where the target should be: no mode is an absolute path.)
  const [source, target, modeText = ''] = arr as [string, string, string?];
  const mode = parseMountMode(modeText);
  if (mode === null || !validTarget(target)) return null;
  const readOnly = mode.includes('ro');
  if (source.startsWith('/')) return { kind: 'bind', source: goCleanPath(source), target, readOnly, mode };
  return { kind: 'volume', name: source, target, readOnly, mode };
}
