/**
 * The docker.authz/1.0 wire format (moby pkg/authorization/api.go, pkg/plugins). dockerd POSTs
 * JSON to `/Plugin.Activate`, `/AuthZPlugin.AuthZReq` and `/AuthZPlugin.AuthZRes`; the field
 * names below are the JSON tags dockerd marshals with (`RequestUri`, not `RequestURI`).
 */

export const ACTIVATE_PATH = '/Plugin.Activate';
export const AUTHZ_REQUEST_PATH = '/AuthZPlugin.AuthZReq';
export const AUTHZ_RESPONSE_PATH = '/AuthZPlugin.AuthZRes';
/** What dockerd's plugin client sends as Accept; answers carry it as Content-Type. */
export const PLUGIN_CONTENT_TYPE = 'application/vnd.docker.plugins.v1.2+json';

/** An AuthZReq or AuthZRes call, as dockerd sends it. Every field is omitted when empty. */
export interface AuthzCall {
  /** the TLS client certificate's CN, when dockerd verified one */
  readonly user: string;
  /** "TLS" with a verified certificate, else empty */
  readonly authnMethod: string;
  readonly method: string;
  /** r.RequestURI: the request target exactly as the client sent it */
  readonly uri: string;
  /** present only when dockerd chose to send it (application/json, below 1 MiB, not /auth) */
  readonly body: Buffer;
  /** dockerd's flattened header map (last value of each field wins; Authorization and X-Registry-* left out) */
  readonly headers: ReadonlyMap<string, string>;
  /** the peer's certificate chain, PEM, leaf first */
  readonly peerCertificates: readonly string[];
  /** AuthZRes only */
  readonly responseStatus: number;
  readonly responseBody: Buffer;
}

export interface AuthzAnswer {
  readonly Allow: boolean;
  readonly Msg?: string;
  readonly Err?: string;
}

function text(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new Error(`${field} is not a string`);
  return v;
}

function bytes(v: unknown, field: string): Buffer {
  // Go marshals []byte as standard base64.
  const s = text(v, field);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new Error(`${field} is not base64`);
  return Buffer.from(s, 'base64');
}

/**
 * Reads a call. Header names are kept lower-cased: Go canonicalises them, but nothing here
 * should depend on that. Anything that is not what dockerd marshals is an error (the caller
 * answers it with Err, which dockerd treats as a failed, hence refused, request).
 */
export function parseAuthzCall(raw: Buffer): AuthzCall {
  const v: unknown = JSON.parse(raw.toString('utf8'));
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('the call is not a JSON object');
  const o = v as Record<string, unknown>;
  const headers = new Map<string, string>();
  const h = o['RequestHeaders'];
  if (h !== undefined && h !== null) {
    if (typeof h !== 'object' || Array.isArray(h)) throw new Error('RequestHeaders is not an object');
    for (const [k, value] of Object.entries(h)) headers.set(k.toLowerCase(), text(value, `RequestHeaders.${k}`));
  }
  const certs = o['RequestPeerCertificates'];
  const peerCertificates: string[] = [];
  if (certs !== undefined && certs !== null) {
    if (!Array.isArray(certs)) throw new Error('RequestPeerCertificates is not a list');
    // Each is the PEM text, marshalled as a []byte (base64).
    for (const c of certs) peerCertificates.push(bytes(c, 'RequestPeerCertificates[]').toString('utf8'));
  }
  const status = o['ResponseStatusCode'];
  if (status !== undefined && (typeof status !== 'number' || !Number.isInteger(status))) throw new Error('ResponseStatusCode is not an integer');
  return {
    user: text(o['User'], 'User'),
    authnMethod: text(o['UserAuthNMethod'], 'UserAuthNMethod'),
    method: text(o['RequestMethod'], 'RequestMethod'),
    uri: text(o['RequestUri'], 'RequestUri'),
    body: bytes(o['RequestBody'], 'RequestBody'),
    headers,
    peerCertificates,
    responseStatus: status ?? 0,
    responseBody: bytes(o['ResponseBody'], 'ResponseBody'),
  };
}
