/**
 * Go's `encoding/json` key folding.
 *
 * dockerd matches JSON object keys against struct field names with Unicode *simple* case
 * folding: `bytes.EqualFold` in Go ≤ 1.20, and since Go 1.21 `foldName` (ASCII letters to upper
 * case, every other rune to the smallest rune of its `unicode.SimpleFold` orbit) — the two are
 * the same relation. So `ſ` (U+017F) matches `s`, the Kelvin sign `K` (U+212A) matches `k`, but
 * the dotless `ı` (U+0131) does NOT match `i` and `İ` (U+0130) does not match `I`: their case
 * mappings exist but simple case folding (CaseFolding.txt, status C and S) has no entry linking
 * them.
 *
 * `goFoldKey(s)` returns Go's `foldName(s)` as a string: each code point replaced by the smallest
 * code point of its simple-fold orbit. Hence `goFoldKey(a) === goFoldKey(b)` iff
 * `bytes.EqualFold(a, b)` (for valid UTF-8; keys reach us already decoded, with invalid bytes and
 * lone surrogates replaced by U+FFFD, exactly as Go's decoder does before matching).
 *
 * Why not `toLowerCase()`/`toUpperCase()`: those are the *full* mappings (ß → "SS", İ → "i̇")
 * and they link ı with I, which simple folding does not. JavaScript does expose simple case
 * folding exactly, though: a RegExp with the `i` and `u` flags canonicalises characters with
 * CaseFolding.txt's simple/common mappings (ECMA-262 Canonicalize). The orbit table is built once,
 * lazily (on the first non-ASCII key), as follows:
 *   1. candidate links between code points: `c` ↔ `toLowerCase(c)` and `c` ↔ `toUpperCase(c)` when
 *      the result is a single code point (multi-code-point results are left alone), plus
 *      characters whose multi-code-point upper case is the same string (this is what links
 *      U+1FD3 with U+0390 and ﬅ with ﬆ, which no single-code-point mapping connects);
 *   2. every candidate class is then split by the `/iu` RegExp relation, so only characters that
 *      simple case folding really identifies stay together (this splits ı from I, for example).
 * The test suite checks the result against the RegExp relation over every cased code point and
 * against pinned cases from Go's unicode tests.
 *
 * Unicode versions: Node's ICU may be newer than the Unicode tables of the Go that built dockerd.
 * Field names dockerd knows are ASCII, and the only non-ASCII runes that fold onto ASCII are ſ and
 * K (stable since Unicode 1.1/2.0), so matching against known fields is exact; the version skew can
 * only affect whether two unknown non-ASCII keys count as duplicates.
 */

// Every code point with a case mapping lies in [U+0000, U+1E9FF] outside the skipped blocks
// (CJK, Yi, Hangul, surrogates, private use, CJK compatibility); the test suite checks this
// against `\p{Changes_When_Casemapped}` over the whole code space.
const MAX_CASED = 0x1e9ff;
const SKIPPED: ReadonlyArray<readonly [number, number]> = [
  [0x3400, 0xa63f],
  [0xac00, 0xfaff],
];

let orbitMin: Map<number, number> | null = null;

function buildOrbits(): Map<number, number> {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    for (;;) {
      const p = parent.get(r);
      if (p === undefined || p === r) break;
      r = p;
    }
    // path compression
    let y = x;
    while (y !== r) {
      const p = parent.get(y)!;
      parent.set(y, r);
      y = p;
    }
    return r;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  const single = (s: string): number | null => {
    const cp = s.codePointAt(0);
    if (cp === undefined) return null;
    return s.length === (cp > 0xffff ? 2 : 1) ? cp : null;
  };
  const byMultiUpper = new Map<string, number>();
  for (let c = 0; c <= MAX_CASED; c++) {
    const skip = SKIPPED.find(([a, b]) => c >= a && c <= b);
    if (skip) {
      c = skip[1];
      continue;
    }
    const s = String.fromCodePoint(c);
    const lo = s.toLowerCase();
    const up = s.toUpperCase();
    if (lo === s && up === s) continue;
    parent.set(c, parent.get(c) ?? c);
    for (const m of [lo, up]) {
      const d = single(m);
      if (d !== null && d !== c) {
        parent.set(d, parent.get(d) ?? d);
        union(c, d);
      }
    }
    if (single(up) === null) {
      const other = byMultiUpper.get(up);
      if (other === undefined) byMultiUpper.set(up, c);
      else union(c, other);
    }
  }
  const classes = new Map<number, number[]>();
  for (const c of parent.keys()) {
    const r = find(c);
    const list = classes.get(r);
    if (list) list.push(c);
    else classes.set(r, [c]);
  }
  const result = new Map<number, number>();
  for (const members of classes.values()) {
    if (members.length < 2) continue;
    members.sort((a, b) => a - b);
    // split by the exact simple-folding relation
    const groups: number[][] = [];
    for (const c of members) {
      const s = String.fromCodePoint(c);
      const g = groups.find((grp) => new RegExp(`^${regexEscape(String.fromCodePoint(grp[0]!))}$`, 'iu').test(s));
      if (g) g.push(c);
      else groups.push([c]);
    }
    for (const g of groups) {
      const min = g[0]!; // members are sorted, so the first one is the orbit minimum
      for (const c of g) if (c !== min) result.set(c, min);
    }
  }
  return result;
}

function regexEscape(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

/** Go's fold of one code point: the smallest code point of its simple-fold orbit. */
export function goFoldRune(cp: number): number {
  if (cp < 0x80) return cp >= 0x61 && cp <= 0x7a ? cp - 0x20 : cp;
  orbitMin ??= buildOrbits();
  return orbitMin.get(cp) ?? cp;
}

/**
 * A string such that `goFoldKey(a) === goFoldKey(b)` iff Go's `bytes.EqualFold(a, b)`;
 * equal to Go's `encoding/json` `foldName(a)`.
 */
export function goFoldKey(s: string): string {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return s.toUpperCase(); // ASCII-only: toUpperCase is exactly a–z → A–Z here
  let out = '';
  for (const ch of s) out += String.fromCodePoint(goFoldRune(ch.codePointAt(0)!));
  return out;
}

/** Go's `bytes.EqualFold` on two (already decoded) strings. */
export function goEqualFold(a: string, b: string): boolean {
  return a === b || goFoldKey(a) === goFoldKey(b);
}
