/**
 * Image references read the way dockerd reads them: distribution/reference's
 * ParseNormalizedNamed (`busybox` is `docker.io/library/busybox`) and ParseAnyReference (a full
 * image ID). Where the Go code would read a string in a way that depends on the daemon's version,
 * the string is refused rather than guessed.
 */

export interface Reference {
  /** the registry: `docker.io` for Docker Hub (also when written `index.docker.io`) */
  readonly domain: string;
  /** the repository path within the registry, e.g. `library/busybox` */
  readonly path: string;
  readonly tag: string | null;
  readonly digest: string | null;
}

export type ParseResult = { readonly ok: true; readonly ref: Reference } | { readonly ok: false; readonly reason: string };

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
/** NameTotalLengthMax, applied to `domain/path` as the daemon's vendored parser does. */
const NAME_MAX = 255;

interface Grammar {
  readonly domain: RegExp;
  /** remote name, optional tag, optional digest */
  readonly remainder: RegExp;
}

/**
 * distribution/reference's regular expressions. `glob` adds `*` to the characters of domain
 * components, path components and tags, for allowlist patterns; a digest never globs.
 */
function grammar(glob: boolean): Grammar {
  const g = glob ? '*' : '';
  const alnum = `[a-z0-9${g}]+`;
  const separator = '(?:[._]|__|[-]+)';
  const pathComponent = `${alnum}(?:${separator}${alnum})*`;
  const remoteName = `${pathComponent}(?:/${pathComponent})*`;
  const domainComponent = `(?:[a-zA-Z0-9${g}]|[a-zA-Z0-9${g}][a-zA-Z0-9${g}-]*[a-zA-Z0-9${g}])`;
  const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
  const tag = `[\\w${g}][\\w.${g}-]{0,127}`;
  const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
  return {
    domain: new RegExp(`^${host}(?::[0-9]+)?$`),
    remainder: new RegExp(`^(${remoteName})(?::(${tag}))?(?:@(${digest}))?$`),
  };
}

const PLAIN = grammar(false);
const GLOB = grammar(true);

/** go-digest's registered algorithms and the length of their lowercase hex encoding. */
const DIGEST_HEX: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** go-digest's Parse: a registered algorithm and lowercase hex of exactly its length. */
export function isDigest(text: string): boolean {
  const colon = text.indexOf(':');
  if (colon <= 0) return false;
  const length = DIGEST_HEX[text.slice(0, colon)];
  const hex = text.slice(colon + 1);
  return length !== undefined && hex.length === length && /^[a-f0-9]+$/.test(hex);
}

/** anchoredIdentifierRegexp: a bare image ID, which ParseNormalizedNamed refuses as a name. */
const IDENTIFIER = /^[a-f0-9]{64}$/;

/**
 * A full image ID as ParseAnyReference reads one (64 hex digits, or a digest), in its canonical
 * `algorithm:hex` spelling; null when `text` is not one.
 */
export function fullImageId(text: string): string | null {
  if (IDENTIFIER.test(text)) return `sha256:${text}`;
  return isDigest(text) ? text : null;
}

/**
 * splitDockerDomain: the first component is a registry when it contains `.` or `:`, is
 * `localhost`, or has upper case (a repository path never does); otherwise the name is on
 * Docker Hub, where a one-component name is an official image under `library/`.
 */
function splitDomain(name: string): [string, string] {
  const slash = name.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let remainder = name;
  if (slash !== -1) {
    const first = name.slice(0, slash);
    if (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first) {
      domain = first;
      remainder = name.slice(slash + 1);
    }
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return [domain, remainder];
}

function parseWith(text: string, g: Grammar): ParseResult {
  if (text === '') return { ok: false, reason: 'an empty reference' };
  if (IDENTIFIER.test(text)) return { ok: false, reason: 'a 64-digit hexadecimal string is an image ID, not a repository name' };
  const [domain, remainder] = splitDomain(text);
  // The Go parser would retry a registry it cannot read as part of the path; which daemons do
  // that differs, so such a reference is refused.
  if (!g.domain.test(domain)) return { ok: false, reason: `"${domain}" is not a registry host[:port]` };
  const m = g.remainder.exec(remainder);
  if (m === null) return { ok: false, reason: 'not a reference dockerd accepts (repository names are lower case: [a-z0-9] separated by ".", "_", "__" or "-")' };
  const path = m[1] as string;
  if (domain.length + 1 + path.length > NAME_MAX) return { ok: false, reason: `the repository name is longer than ${NAME_MAX} characters` };
  const digest = m[3] ?? null;
  if (digest !== null && !isDigest(digest)) return { ok: false, reason: `"${digest}" is not a sha256, sha384 or sha512 digest in lower-case hex` };
  return { ok: true, ref: { domain, path, tag: m[2] ?? null, digest } };
}

/** ParseNormalizedNamed. */
export function parseReference(text: string): ParseResult {
  return parseWith(text, PLAIN);
}

/** ParseNormalizedNamed with `*` allowed in registry, path components and tag (allowlist patterns). */
export function parsePattern(text: string): ParseResult {
  return parseWith(text, GLOB);
}

/** `docker.io/library/busybox` */
export function repositoryName(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** The fully qualified reference: `docker.io/library/busybox:latest`. */
export function canonicalString(r: Reference): string {
  return repositoryName(r) + (r.tag === null ? '' : `:${r.tag}`) + (r.digest === null ? '' : `@${r.digest}`);
}

/** FamiliarString: as the docker CLI shows it (`busybox:latest`, `team/app`, `localhost:5000/x`). */
export function familiarString(r: Reference): string {
  let name = repositoryName(r);
  if (r.domain === DEFAULT_DOMAIN) {
    const rest = r.path.startsWith(OFFICIAL_PREFIX) ? r.path.slice(OFFICIAL_PREFIX.length) : r.path;
    name = rest.includes('/') ? r.path : rest;
  }
  return name + (r.tag === null ? '' : `:${r.tag}`) + (r.digest === null ? '' : `@${r.digest}`);
}

/** TagNameOnly: a reference with neither tag nor digest means `:latest` to most of dockerd. */
export function withDefaultTag(r: Reference): Reference {
  return r.tag === null && r.digest === null ? { ...r, tag: 'latest' } : r;
}

const TAG = /^\w[\w.-]{0,127}$/;

/**
 * A `tag` query parameter applied to a reference, as ImageCreate reads it: a digest replaces
 * tag and digest (WithDigest(TrimNamed)), anything else must be a tag and replaces the tag only
 * (WithTag keeps a digest). Null when it is neither.
 */
export function withTagOrDigest(r: Reference, tag: string): Reference | null {
  if (isDigest(tag)) return { ...r, tag: null, digest: tag };
  return TAG.test(tag) ? { ...r, tag } : null;
}

/** WithTag: null when `tag` is not a valid tag. */
export function withTag(r: Reference, tag: string): Reference | null {
  return TAG.test(tag) ? { ...r, tag } : null;
}
