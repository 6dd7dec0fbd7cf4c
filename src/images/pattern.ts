import { canonicalString, parsePattern, repositoryName, type Reference } from './reference.js';

/**
 * One entry of `images.allow`, normalised like a reference (`busybox` is
 * `docker.io/library/busybox`). `*` matches any run of characters within one component of the
 * repository name, or within the tag; it never crosses `/`.
 *
 * - without tag or digest: every reference to the repository (any tag, any digest, all tags);
 * - with a tag: tagged references whose tag matches (`*` alone matches every tag), never a
 *   reference by digest, whose content no tag pins;
 * - with a digest: references with exactly that digest (a tag next to it is ignored, as dockerd
 *   ignores it).
 */
export interface ImagePattern {
  /** as written in the config */
  readonly text: string;
  /** normalised, e.g. `docker.io/library/busybox:*` */
  readonly canonical: string;
  readonly name: RegExp;
  readonly tag: RegExp | null;
  readonly digest: string | null;
  /** matches every tag the repository can have: no tag and no digest, or the tag `*` */
  readonly everyTag: boolean;
}

function glob(text: string): RegExp {
  const body = text
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${body}$`);
}

/** @throws Error naming the pattern when it is not a reference (with `*` globs). */
export function compilePattern(text: string): ImagePattern {
  const parsed = parsePattern(text);
  if (!parsed.ok) throw new Error(`image pattern "${text}": ${parsed.reason}`);
  const p = parsed.ref;
  if (p.tag !== null && p.digest !== null) throw new Error(`image pattern "${text}" has both a tag and a digest; give one (a digest alone pins the content)`);
  return {
    text,
    canonical: canonicalString(p),
    name: glob(repositoryName(p)),
    tag: p.tag === null ? null : glob(p.tag),
    digest: p.digest,
    everyTag: (p.tag === null && p.digest === null) || p.tag === '*',
  };
}

/**
 * Whether `p` allows `r`. A reference with neither tag nor digest stands for every tag of its
 * repository (`docker pull -a`, `docker save repo`); callers that mean `:latest` add it first.
 */
export function patternAllows(p: ImagePattern, r: Reference): boolean {
  if (!p.name.test(repositoryName(r))) return false;
  if (p.digest !== null) return r.digest === p.digest;
  if (p.tag === null) return true;
  if (r.digest !== null) return false;
  return r.tag === null ? p.everyTag : p.tag.test(r.tag);
}

/** The policy's image allowlist. */
export class ImageAllowlist {
  constructor(readonly patterns: readonly ImagePattern[]) {}

  allows(r: Reference): boolean {
    return this.patterns.some((p) => patternAllows(p, r));
  }

  /** Some pattern names `r`'s repository (so the repository is partly visible). */
  namesRepository(r: Reference): boolean {
    const name = repositoryName(r);
    return this.patterns.some((p) => p.name.test(name));
  }

  /** For messages: the patterns as written. */
  describe(): string {
    return this.patterns.length === 0 ? '(empty)' : this.patterns.map((p) => p.text).join(', ');
  }
}
