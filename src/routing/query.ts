/*
 * Query strings as Go's url.ParseQuery (1.17+) reads them, which is what dockerd's handlers see
 * through r.Form / r.URL.Query(). Go skips a malformed pair and carries on; dockerd then acts on
 * the pairs it could read. Portcullis refuses the whole request instead, so a policy never
 * decides on a different set of parameters than dockerd acts on.
 */

export type ParsedQuery =
  | { ok: true; query: Map<string, string[]>; encoded: string }
  | { ok: false; reason: string };

const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
/** Recent Go releases cap ParseQuery at this many parameters as well; it also bounds our work. */
const MAX_PARAMS = 10000;
const SAFE_COMPONENT = /^[A-Za-z0-9\-._~]*$/;

function decodeComponent(raw: string): string | null {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    // A malformed escape (Go refuses it too) or bytes that are not UTF-8 (Go accepts them, but
    // they cannot be compared to a policy's strings without guessing).
    return null;
  }
}

function encodeComponent(value: string): string {
  if (SAFE_COMPONENT.test(value)) return value;
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/**
 * `raw` is everything after the first `?` of the target. `encoded` is the canonical spelling to
 * forward: pairs in their original order, each component re-escaped. Repeated keys keep their
 * values in order.
 */
export function parseQuery(raw: string): ParsedQuery {
  const query = new Map<string, string[]>();
  if (raw === '') return { ok: true, query, encoded: '' };
  if (!PRINTABLE_ASCII.test(raw)) return { ok: false, reason: 'query has a raw byte that must be percent-encoded' };
  // Go >= 1.17 refuses ';' as a separator but older proxies split on it: refusing avoids both readings.
  if (raw.includes(';')) return { ok: false, reason: 'query has a semicolon' };
  let encoded = '';
  let count = 0;
  let start = 0;
  while (start <= raw.length) {
    let end = raw.indexOf('&', start);
    if (end === -1) end = raw.length;
    if (end > start) {
      if (++count > MAX_PARAMS) return { ok: false, reason: `query has more than ${MAX_PARAMS} parameters` };
      const eq = raw.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const key = decodeComponent(raw.slice(start, hasValue ? eq : end));
      const value = hasValue ? decodeComponent(raw.slice(eq + 1, end)) : '';
      if (key === null || value === null) return { ok: false, reason: 'query has invalid percent-encoding' };
      const values = query.get(key);
      if (values === undefined) query.set(key, [value]);
      else values.push(value);
      encoded += (encoded === '' ? '' : '&') + encodeComponent(key) + '=' + encodeComponent(value);
    }
    start = end + 1;
  }
  return { ok: true, query, encoded };
}

/** The canonical spelling of a query map, as `parseQuery` would produce it for the same parameters. */
export function encodeQuery(query: ReadonlyMap<string, readonly string[]>): string {
  let encoded = '';
  for (const [key, values] of query) {
    for (const value of values) encoded += (encoded === '' ? '' : '&') + encodeComponent(key) + '=' + encodeComponent(value);
  }
  return encoded;
}

/** The first value of a query parameter, as Go's `r.Form.Get` reads it; null when absent or empty. */
export function formValue(query: ReadonlyMap<string, readonly string[]>, name: string): string | null {
  const v = query.get(name)?.[0];
  return v === undefined || v === '' ? null : v;
}

/** A copy of `query` with `name` set to the one value `value`. */
export function withParam(query: ReadonlyMap<string, readonly string[]>, name: string, value: string): Map<string, readonly string[]> {
  const out = new Map(query);
  out.set(name, [value]);
  return out;
}
