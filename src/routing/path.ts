/*
 * dockerd routes on the percent-DECODED path (gorilla/mux matches r.URL.Path), so `%2F` is a slash
 * and `%2e%2e` a dot-dot segment by the time a route is chosen. Portcullis therefore decides on
 * the decoded path too, and refuses every spelling whose meaning could differ between us and
 * dockerd or anything in front of it: dot segments (gorilla would answer with a redirect to the
 * cleaned path), empty segments, trailing slashes, control characters, invalid UTF-8.
 */

export type DecodedPath = { ok: true; path: string } | { ok: false; reason: string };

/** Raw bytes a request target may carry unencoded; anything else must arrive percent-encoded. */
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const EMPTY_SEGMENT = /\/\//;
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

/** `raw` is the part of an origin-form target before `?`; it starts with `/`. */
export function decodePath(raw: string): DecodedPath {
  if (!PRINTABLE_ASCII.test(raw)) return { ok: false, reason: 'path has a raw byte that must be percent-encoded' };
  let path = raw;
  if (raw.includes('%')) {
    try {
      // Throws on a malformed escape and on escapes that do not form valid UTF-8.
      path = decodeURIComponent(raw);
    } catch {
      return { ok: false, reason: 'path has invalid percent-encoding' };
    }
    if (CONTROL.test(path)) return { ok: false, reason: 'path has a control character' };
  }
  if (EMPTY_SEGMENT.test(path)) return { ok: false, reason: 'path has an empty segment' };
  if (DOT_SEGMENT.test(path)) return { ok: false, reason: 'path has a dot segment' };
  if (path.endsWith('/')) return { ok: false, reason: 'path has a trailing slash' };
  return { ok: true, path };
}

/** Characters forwarded unencoded: unreserved plus the sub-delims common in image references. */
const SAFE_PATH = /^[A-Za-z0-9\-._~!'()*:@+,/]*$/;
const RESTORABLE = /%(?:3A|40|2B|2C)/g;
const RESTORED: Readonly<Record<string, string>> = { '%3A': ':', '%40': '@', '%2B': '+', '%2C': ',' };

function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(RESTORABLE, (m) => RESTORED[m] ?? m);
}

/**
 * Re-encodes a decoded path segment by segment, so that a slash inside a parameter
 * (`library/busybox`) is sent as a real slash: dockerd decodes before routing, so the two are
 * the same to it, and the forwarded target then has exactly one spelling.
 */
export function encodePath(decoded: string): string {
  if (SAFE_PATH.test(decoded)) return decoded;
  return decoded.split('/').map(encodeSegment).join('/');
}
