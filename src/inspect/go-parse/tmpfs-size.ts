/**
 * A tmpfs `size=` value as the kernel reads it: dockerd passes it through untouched (HostConfig.Tmpfs,
 * TmpfsOptions.Options, the local volume driver's `o`), and shmem's option parser calls memparse:
 * simple_strtoull with base 0 (`0x…` hex, a leading `0` octal, digits read until the first one
 * that does not fit the base, wrapping at 2^64), one optional K/M/G/T/P/E suffix in either case
 * (each step shifts by 10, wrapping too), then `%` of RAM or the end. The mount gets
 * DIV_ROUND_UP(size, PAGE_SIZE) blocks, and 0 blocks is no limit at all: `size=0`, `size=k` and a
 * value that wraps to 0 are unlimited, not small. An empty `size=` is refused.
 */
export type TmpfsSize =
  | { readonly kind: 'bytes'; readonly bytes: bigint }
  | { readonly kind: 'unlimited' }
  | { readonly kind: 'percent' };

const U64 = (1n << 64n) - 1n;
/** The page size of the hosts Portcullis runs beside (x86-64, most arm64). */
const PAGE = 4096n;
const SHIFTS: Readonly<Record<string, bigint>> = { k: 10n, m: 20n, g: 30n, t: 40n, p: 50n, e: 60n };

function digitValue(ch: string): number {
  const c = ch.toLowerCase();
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  if (c >= 'a' && c <= 'f') return c.charCodeAt(0) - 87;
  return 99;
}

/** What the kernel makes of `value`; null where it refuses the mount (a sign, a space, junk after the number). */
export function parseTmpfsSize(value: string): TmpfsSize | null {
  // The option parser refuses an empty string before memparse sees it.
  if (value === '') return null;
  let i = 0;
  let base = 10n;
  if (value[0] === '0') {
    if (value[1]?.toLowerCase() === 'x' && digitValue(value[2] ?? '') < 16) {
      base = 16n;
      i = 2;
    } else base = 8n;
  }
  let n = 0n;
  for (; i < value.length; i++) {
    const d = BigInt(digitValue(value[i] as string));
    if (d >= base) break;
    n = (n * base + d) & U64;
  }
  const shift = SHIFTS[value[i]?.toLowerCase() ?? ''];
  if (shift !== undefined) {
    n = (n << shift) & U64;
    i++;
  }
  const rest = value.slice(i);
  if (rest === '%') return { kind: 'percent' };
  if (rest !== '') return null;
  const blocks = ((n + PAGE - 1n) & U64) / PAGE;
  return blocks === 0n ? { kind: 'unlimited' } : { kind: 'bytes', bytes: n };
}
