/*
 * API versions as dockerd reads them (api/types/versions/compare.go): split on ".", each part
 * compared numerically, missing parts count as 0. dockerd turns an unparsable part into 0, which
 * makes `1..41` or `1.x` mean something nobody wrote; Portcullis refuses those instead.
 */

/** Longer parts cannot be real versions, and six digits keep every part a safe integer. */
const MAX_PART_DIGITS = 6;

/**
 * Parses `1.41`, `1.41.0`, `01.041`; null for an empty string, an empty part or a part that is
 * not 1–6 ASCII digits.
 */
export function parseApiVersion(text: string): readonly number[] | null {
  const parts: number[] = [];
  let start = 0;
  for (;;) {
    let end = text.indexOf('.', start);
    if (end === -1) end = text.length;
    const len = end - start;
    if (len === 0 || len > MAX_PART_DIGITS) return null;
    let n = 0;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return null;
      n = n * 10 + c;
    }
    parts.push(n);
    if (end === text.length) return parts;
    start = end + 1;
  }
}

/** Negative, zero or positive, like Go's versions.compare. */
export function compareApiVersions(a: readonly number[], b: readonly number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The spelling forwarded to dockerd and shown in logs: no leading zeros, and trailing zero parts
 * beyond `major.minor` dropped (`1.41.0` -> `1.41`). dockerd compares numerically, so this never
 * changes what it does.
 */
export function canonicalApiVersion(parts: readonly number[]): string {
  let n = parts.length;
  while (n > 2 && parts[n - 1] === 0) n--;
  return parts.slice(0, n).join('.');
}
