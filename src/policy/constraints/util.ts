import type { ErrorCode } from '../../errors.js';
import { goCleanPath } from '../../inspect/go-parse/clean-path.js';
import { isJsonObject, JsonNumber, type JsonObject, type JsonValue } from '../../inspect/json-value.js';

/** A check's refusal; thrown so that nested checks can stop at the first problem. */
export class Refusal extends Error {
  constructor(
    readonly rule: ErrorCode,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'Refusal';
  }
}

export function refuse(rule: ErrorCode, reason: string): never {
  throw new Refusal(rule, reason);
}

export const q = (s: string): string => JSON.stringify(s);

/** A value for a reason, shortened (an inline seccomp profile can be kilobytes). */
export function shown(s: string, max = 60): string {
  return s.length > max ? q(s.slice(0, max)) + '…' : q(s);
}

export function listed(items: readonly string[]): string {
  return items.length === 0 ? 'none' : items.join(', ');
}

/** An own field (never one from the prototype). */
export function field(o: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function typeOf(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof JsonNumber) return 'a number';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function badType(label: string, v: JsonValue, want: string): never {
  refuse('PC_DENIED_MALFORMED_BODY', `${label} is ${typeOf(v)}, expected ${want}`);
}

export function optObject(v: JsonValue | undefined, label: string): JsonObject | null {
  if (v === undefined || v === null) return null;
  if (!isJsonObject(v)) badType(label, v, 'an object');
  return v;
}

export function optString(v: JsonValue | undefined, label: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') badType(label, v, 'a string');
  return v;
}

export function optArray(v: JsonValue | undefined, label: string): JsonValue[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) badType(label, v, 'a list');
  return v;
}

export function optStrings(v: JsonValue | undefined, label: string): string[] | null {
  const list = optArray(v, label);
  if (list === null) return null;
  return list.map((item, i) => {
    if (typeof item !== 'string') badType(`${label}[${i}]`, item, 'a string');
    return item;
  });
}

/** A map of strings (Sysctls, Tmpfs, DriverOpts, Options). */
export function optStringMap(v: JsonValue | undefined, label: string): [string, string][] | null {
  const o = optObject(v, label);
  if (o === null) return null;
  return Object.keys(o).map((k) => {
    const value = o[k] as JsonValue;
    if (typeof value !== 'string') badType(`${label}[${q(k)}]`, value, 'a string');
    return [k, value];
  });
}

/** true only for JSON true; null/absent/false are false; anything else is malformed. */
export function flag(v: JsonValue | undefined, label: string): boolean {
  if (v === undefined || v === null || v === false) return false;
  if (v === true) return true;
  badType(label, v, 'a boolean');
}

export function optNumber(v: JsonValue | undefined, label: string): number | null {
  if (v === undefined || v === null) return null;
  if (!(v instanceof JsonNumber)) badType(label, v, 'a number');
  const n = v.value;
  if (!Number.isFinite(n)) badType(label, v, 'a finite number');
  return n;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * A number dockerd decodes into an int64 (Memory, PidsLimit, SizeBytes…): Go's decoder takes only
 * an integer literal in range and fails the whole request on `1e9`, `1.0` or 2^63, so those are
 * malformed here rather than read as the double they look like.
 */
export function optInt64(v: JsonValue | undefined, label: string): bigint | null {
  if (v === undefined || v === null) return null;
  if (!(v instanceof JsonNumber)) badType(label, v, 'a number');
  if (!/^-?(0|[1-9][0-9]*)$/.test(v.literal)) badType(label, v, 'an integer (dockerd reads an int64)');
  const n = BigInt(v.literal);
  if (n < INT64_MIN || n > INT64_MAX) badType(label, v, 'an integer that fits 64 bits');
  return n;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** `4g`, `512m`, `1.5GiB`, `4096` (binary units, as docker's RAMInBytes); null when unreadable. */
export function parseBytes(text: string): number | null {
  const m = /^([0-9]+(?:\.[0-9]+)?) ?([kmgtp]?)(?:i?b)?$/i.exec(text.trim());
  if (m === null) return null;
  return Math.floor(Number(m[1]) * (UNITS[(m[2] as string).toLowerCase()] as number));
}

export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= size) return `${n} bytes (${+(n / size).toFixed(2)} ${unit})`;
  }
  return `${n} bytes`;
}

/** Lexical normalisation as dockerd's path.Clean: `..` resolved, `//` and trailing `/` dropped. */
export const normalizeHostPath = goCleanPath;

/** `prefix` covers `p` on whole path segments (`/srv/ci` covers `/srv/ci/x`, not `/srv/cix`). */
export function underPrefix(p: string, prefix: string): boolean {
  const pre = normalizeHostPath(prefix);
  if (pre === '/') return p.startsWith('/');
  return p === pre || p.startsWith(pre + '/');
}

/** An allowlist item matches exactly, or as a prefix when it ends in `*`. */
export function matchesItem(value: string, item: string): boolean {
  return item.endsWith('*') ? value.startsWith(item.slice(0, -1)) : value === item;
}

/** `label.` for a field below `label`, nothing at the top level of a body. */
export function dot(label: string): string {
  return label === '' ? '' : label + '.';
}
