import { parseBindSpec } from '../../inspect/go-parse/bind-spec.js';
import { parseTmpfsSize, type TmpfsSize } from '../../inspect/go-parse/tmpfs-size.js';
import type { JsonObject } from '../../inspect/json-value.js';
import { lookupObject, type CheckContext } from './context.js';
import type { Constraints } from './model.js';
import {
  dot,
  field,
  flag,
  formatBytes,
  listed,
  normalizeHostPath,
  optArray,
  optInt64,
  optObject,
  optString,
  optStringMap,
  optStrings,
  q,
  refuse,
  underPrefix,
} from './util.js';

/* Mounts: HostConfig.Binds, HostConfig.Mounts (and a swarm ContainerSpec's Mounts),
 * HostConfig.Tmpfs, VolumeDriver, VolumesFrom, and the options of the local volume driver. */

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * A bind source against the allowed prefixes, after lexical normalisation (`/tmp/../` is `/`);
 * `written` is the source as the client wrote it, when that differs.
 */
export function checkBindSource(source: string, readOnly: boolean, label: string, c: Constraints, written: string = source): void {
  const path = normalizeHostPath(source);
  const as = path === written ? '' : `, written ${q(written)}`;
  if (c.bindMounts.allow.length === 0) refuse('PC_DENIED_BIND_MOUNT', `bind mount of ${q(path)} (${label}${as}): no bind mounts are allowed`);
  const allowed = c.bindMounts.allow.some((prefix) => underPrefix(path, prefix));
  if (!allowed) refuse('PC_DENIED_BIND_MOUNT', `bind mount of ${q(path)} (${label}${as}) is outside the allowed prefixes ${listed(c.bindMounts.allow)}`);
  if (c.bindMounts.readOnly && !readOnly) refuse('PC_DENIED_BIND_MOUNT', `bind mount of ${q(path)} (${label}) must be read-only`);
}

export function checkVolumeDriver(driver: string, label: string, c: Constraints): void {
  if (driver === '' || c.volumeDrivers.includes(driver)) return;
  refuse('PC_DENIED_VOLUME_DRIVER', `${label} is ${q(driver)} (allowed: ${listed(c.volumeDrivers)})`);
}

/** A tmpfs size option as written and as the kernel reads it; null when the mount sets no size. */
type SizeOption = { readonly written: string; readonly read: TmpfsSize | null } | null;

/**
 * A tmpfs size against the bound: no size is half the host's memory (refused only with
 * `requireSize`); unlimited (`size=0`), `%` of memory and values the kernel does not read are
 * refused whenever a bound applies.
 */
function checkTmpfsSize(size: SizeOption, label: string, c: Constraints): void {
  const { maxSize, requireSize } = c.tmpfs;
  const atMost = maxSize === null ? '' : ` (at most ${formatBytes(maxSize)})`;
  if (size === null) {
    if (requireSize) refuse('PC_DENIED_TMPFS', `${label} has no size (the default is half the host's memory)${maxSize === null ? '' : `; at most ${formatBytes(maxSize)}`}`);
    return;
  }
  if (maxSize === null && !requireSize) return;
  const { written, read } = size;
  if (read === null) refuse('PC_DENIED_TMPFS', `${label} has size ${q(written)}, which the kernel does not read as a size${atMost}`);
  if (read.kind === 'unlimited') refuse('PC_DENIED_TMPFS', `${label} has size ${q(written)}, which the kernel reads as no limit at all${atMost}`);
  if (read.kind === 'percent') {
    if (maxSize !== null) refuse('PC_DENIED_TMPFS', `${label} has size ${q(written)}, a share of the host's memory, not a size Portcullis can bound${atMost}`);
    return;
  }
  if (maxSize !== null && read.bytes > BigInt(maxSize)) {
    refuse('PC_DENIED_TMPFS', `${label} has size ${read.bytes <= BigInt(Number.MAX_SAFE_INTEGER) ? formatBytes(Number(read.bytes)) : `${read.bytes} bytes`}, above the maximum ${formatBytes(maxSize)}`);
  }
}

/** A `size=` option of a mount option string, as the kernel reads it. */
function sizeOption(written: string | null): SizeOption {
  return written === null ? null : { written, read: parseTmpfsSize(written) };
}

function tmpfsAllowed(label: string, c: Constraints): void {
  if (!c.tmpfs.allow) refuse('PC_DENIED_TMPFS', `${label} is a tmpfs mount (not allowed)`);
}

/**
 * The value of the last `name=` option in a comma list: dockerd keeps the last of a repeated tmpfs
 * option (MergeTmpfsOptions) and the kernel applies options in order. Keys are exact: ` size=` or
 * `SIZE=` are not the size to dockerd or the kernel (they are refused as unknown options).
 */
function optionValue(options: string, name: string): string | null {
  let found: string | null = null;
  for (const opt of options.split(',')) {
    if (opt.startsWith(`${name}=`)) found = opt.slice(name.length + 1);
  }
  return found;
}

const MOUNT_FLAGS_BIND = new Set(['bind', 'rbind']);
const MOUNT_FLAGS_NEVER = new Set(['remount', 'move']);
const LOCAL_OPTION_KEYS = new Set(['type', 'o', 'device', 'size']);

/**
 * Options of the local volume driver, which mounts `device` with `type` and `o` when the volume is
 * first used: `type=none,o=bind,device=/` is a bind mount of the host's root.
 */
export function checkLocalVolumeOptions(entries: readonly [string, string][], label: string, c: Constraints): void {
  if (entries.length === 0) return;
  const opts = new Map<string, string>();
  for (const [k, v] of entries) {
    if (!LOCAL_OPTION_KEYS.has(k)) refuse('PC_DENIED_VOLUME_OPTIONS', `${label} sets ${q(k)}, not an option of the local driver`);
    opts.set(k, v);
  }
  const o = opts.get('o') ?? '';
  for (const token of o.split(',').map((t) => t.trim().toLowerCase())) {
    if (MOUNT_FLAGS_NEVER.has(token) || (MOUNT_FLAGS_BIND.has(token) && !c.volumeOptions.bind)) {
      refuse('PC_DENIED_VOLUME_OPTIONS', `${label}["o"] is ${q(o)}: ${q(token)} mounts a host path`);
    }
  }
  const type = opts.get('type');
  const device = opts.get('device');
  const mounts = type !== undefined || device !== undefined || o !== '';
  if (mounts && (type === undefined || !c.volumeOptions.types.includes(type))) {
    const shownType = type === undefined ? 'not set' : q(type);
    refuse('PC_DENIED_VOLUME_OPTIONS', `${label}["type"] is ${shownType}${device === undefined ? '' : ` with device ${q(device)}`} (allowed types: ${listed(c.volumeOptions.types)})`);
  }
  if (type === 'tmpfs') {
    const size = optionValue(o, 'size');
    if (size !== null) checkTmpfsSize(sizeOption(size), `${label}["o"]`, c);
  }
}

/** One HostConfig.Binds entry, read as dockerd's mount parser reads it. */
function checkBind(bind: string, label: string, ctx: CheckContext): void {
  const spec = parseBindSpec(bind);
  if (spec === null) refuse('PC_DENIED_BIND_MOUNT', `${label} is ${q(bind)}, which dockerd does not read as [source:]target[:options]`);
  if (spec.kind === 'bind') checkBindSource(spec.source, spec.readOnly, label, ctx.c, bind.split(':')[0] as string);
  else if (spec.kind === 'volume' && !VOLUME_NAME.test(spec.name)) {
    refuse('PC_DENIED_BIND_MOUNT', `${label} is ${q(bind)}: ${q(spec.name)} is neither an absolute host path nor a volume name`);
  }
}

/**
 * A mount's `Subpath` (API 1.45 volumes, 1.48 images): a directory inside the volume or image. dockerd
 * resolves it within the volume's root, symlinks included; what reaches it here must already be a
 * relative path that stays inside lexically, so no daemon version's resolver is relied on for that.
 */
function checkSubpath(v: JsonObject[string] | undefined, label: string): void {
  const subpath = optString(v, label);
  if (subpath === null || subpath === '') return;
  if (subpath.startsWith('/')) refuse('PC_DENIED_MOUNT_SUBPATH', `${label} is ${q(subpath)}, an absolute path (it must be relative to the volume)`);
  if (subpath.split('/').includes('..')) refuse('PC_DENIED_MOUNT_SUBPATH', `${label} is ${q(subpath)}, which climbs out with ".."`);
  if (subpath.includes('\0')) refuse('PC_DENIED_MOUNT_SUBPATH', `${label} contains a NUL byte`);
}

function checkMount(m: JsonObject, label: string, ctx: CheckContext): void {
  const c = ctx.c;
  const type = optString(field(m, 'Type'), `${dot(label)}Type`) ?? '';
  const readOnly = flag(field(m, 'ReadOnly'), `${dot(label)}ReadOnly`);
  switch (type) {
    case 'bind': {
      const source = optString(field(m, 'Source'), `${dot(label)}Source`) ?? '';
      const bindOpts = optObject(field(m, 'BindOptions'), `${dot(label)}BindOptions`);
      // Read-only but not recursively: the host's submounts below the source stay writable.
      const nonRecursive = bindOpts !== null && flag(field(bindOpts, 'ReadOnlyNonRecursive'), `${dot(label)}BindOptions.ReadOnlyNonRecursive`);
      checkBindSource(source, readOnly && !nonRecursive, `${dot(label)}Source`, c);
      // API 1.42: a missing source is created on the host (mkdir -p), a write a read-only policy does not allow.
      const create = bindOpts !== null && flag(field(bindOpts, 'CreateMountpoint'), `${dot(label)}BindOptions.CreateMountpoint`);
      if (create && c.bindMounts.readOnly) {
        refuse('PC_DENIED_BIND_MOUNT', `${dot(label)}BindOptions.CreateMountpoint is true: dockerd would create ${q(normalizeHostPath(source))} on the host, and bind mounts must be read-only`);
      }
      return;
    }
    case 'volume': {
      const vo = optObject(field(m, 'VolumeOptions'), `${dot(label)}VolumeOptions`);
      if (vo !== null) checkSubpath(field(vo, 'Subpath'), `${dot(label)}VolumeOptions.Subpath`);
      const dc = vo === null ? null : optObject(field(vo, 'DriverConfig'), `${dot(label)}VolumeOptions.DriverConfig`);
      if (dc === null) return;
      const driver = optString(field(dc, 'Name'), `${dot(label)}VolumeOptions.DriverConfig.Name`) ?? '';
      checkVolumeDriver(driver, `${dot(label)}VolumeOptions.DriverConfig.Name`, c);
      if (driver === '' || driver === 'local') {
        const opts = optStringMap(field(dc, 'Options'), `${dot(label)}VolumeOptions.DriverConfig.Options`) ?? [];
        checkLocalVolumeOptions(opts, `${dot(label)}VolumeOptions.DriverConfig.Options`, c);
      }
      return;
    }
    case 'tmpfs': {
      tmpfsAllowed(label, c);
      const to = optObject(field(m, 'TmpfsOptions'), `${dot(label)}TmpfsOptions`);
      // dockerd writes SizeBytes as `size=<n>[k|m|g]` (none for 0), then the Options pairs: the last size wins.
      const bytes = to === null ? null : optInt64(field(to, 'SizeBytes'), `${dot(label)}TmpfsOptions.SizeBytes`);
      let size: SizeOption = bytes === null || bytes === 0n ? null : { written: String(bytes), read: bytes > 0n ? { kind: 'bytes', bytes } : null };
      const extra = to === null ? null : optArray(field(to, 'Options'), `${dot(label)}TmpfsOptions.Options`);
      extra?.forEach((o, i) => {
        const pair = optStrings(o, `${dot(label)}TmpfsOptions.Options[${i}]`) ?? [];
        if (pair.length === 2 && pair[0] === 'size') size = sizeOption(pair[1] as string);
      });
      checkTmpfsSize(size, label, c);
      return;
    }
    case 'image': {
      // an image's content, read-only
      const io = optObject(field(m, 'ImageOptions'), `${dot(label)}ImageOptions`);
      if (io !== null) checkSubpath(field(io, 'Subpath'), `${dot(label)}ImageOptions.Subpath`);
      return;
    }
    default:
      refuse('PC_DENIED_MOUNT_TYPE', `${dot(label)}Type is ${q(type)} (allowed: bind, volume, tmpfs, image)`);
  }
}

export function checkMountList(v: JsonObject[string] | undefined, label: string, ctx: CheckContext): void {
  optArray(v, label)?.forEach((m, i) => {
    const mount = optObject(m, `${label}[${i}]`);
    if (mount !== null) checkMount(mount, `${label}[${i}]`, ctx);
  });
}

/** Every mount a HostConfig asks for, including those inherited through VolumesFrom. */
export async function checkHostConfigMounts(hc: JsonObject, label: string, ctx: CheckContext): Promise<void> {
  const c = ctx.c;
  optStrings(field(hc, 'Binds'), `${dot(label)}Binds`)?.forEach((b, i) => checkBind(b, `${dot(label)}Binds[${i}]`, ctx));
  checkMountList(field(hc, 'Mounts'), `${dot(label)}Mounts`, ctx);
  const tmpfs = optStringMap(field(hc, 'Tmpfs'), `${dot(label)}Tmpfs`);
  for (const [path, options] of tmpfs ?? []) {
    const at = `${dot(label)}Tmpfs[${q(path)}]`;
    tmpfsAllowed(at, c);
    checkTmpfsSize(sizeOption(optionValue(options, 'size')), at, c);
  }
  const driver = optString(field(hc, 'VolumeDriver'), `${dot(label)}VolumeDriver`);
  if (driver !== null) checkVolumeDriver(driver, `${dot(label)}VolumeDriver`, c);
  const from = optStrings(field(hc, 'VolumesFrom'), `${dot(label)}VolumesFrom`) ?? [];
  for (const [i, entry] of from.entries()) {
    const at = `${dot(label)}VolumesFrom[${i}]`;
    if (!c.volumesFrom) refuse('PC_DENIED_VOLUMES_FROM', `${at} is ${q(entry)} (VolumesFrom is not allowed)`);
    const ref = entry.split(':')[0] as string;
    await ctx.checkReferenced(ref, at, 'PC_DENIED_VOLUMES_FROM', 'mounts');
  }
  for (const [name, at] of namedVolumes(hc, label)) await checkExistingVolume(name, at, ctx);
}

/** The named (not anonymous) volumes a HostConfig mounts, with where each is named. */
function namedVolumes(hc: JsonObject, label: string): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  optStrings(field(hc, 'Binds'), `${dot(label)}Binds`)?.forEach((b, i) => {
    const spec = parseBindSpec(b);
    if (spec?.kind === 'volume') found.push([spec.name, `${dot(label)}Binds[${i}]`]);
  });
  optArray(field(hc, 'Mounts'), `${dot(label)}Mounts`)?.forEach((m, i) => {
    const mount = optObject(m, `${dot(label)}Mounts[${i}]`);
    if (mount === null || optString(field(mount, 'Type'), `${dot(label)}Mounts[${i}].Type`) !== 'volume') return;
    const source = optString(field(mount, 'Source'), `${dot(label)}Mounts[${i}].Source`) ?? '';
    if (source !== '') found.push([source, `${dot(label)}Mounts[${i}]`]);
  });
  return found;
}

/**
 * A volume that already exists is mounted with the options it was created with: one made
 * elsewhere with `o=bind,device=/` puts the host's root in the container although the request
 * only names it. So it passes the checks a VolumeCreate would. One that does not exist yet is
 * created plain (or with options the request carries, checked above).
 */
async function checkExistingVolume(name: string, label: string, ctx: CheckContext): Promise<void> {
  const v = await lookupObject(ctx, `/volumes/${encodeURIComponent(name)}`, `volume ${q(name)}`, 'PC_DENIED_VOLUME_OPTIONS');
  if (v === null) return;
  const what = `volume ${q(name)} (${label})`;
  const driver = optString(field(v, 'Driver'), `${what} Driver`) ?? '';
  checkVolumeDriver(driver, `${what} Driver`, ctx.c);
  if (driver === '' || driver === 'local') {
    checkLocalVolumeOptions(optStringMap(field(v, 'Options'), `${what} Options`) ?? [], `${what} Options`, ctx.c);
  }
}
