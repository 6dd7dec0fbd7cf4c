/**
 * The catalogue of every error Portcullis answers with. Codes are stable: they appear in
 * denial messages, the decision log and the docs, so users can grep and alert on them.
 */
export interface ErrorDef {
  readonly code: string;
  readonly status: number;
  readonly summary: string;
}

function def(code: string, status: number, summary: string): ErrorDef {
  return { code, status, summary };
}

export const Errors = {
  PC_DENIED_DEFAULT: def('PC_DENIED_DEFAULT', 403, 'no rule of the policy allows this operation'),
  PC_DENIED_RULE: def('PC_DENIED_RULE', 403, 'a deny rule of the policy matched'),
  PC_UNKNOWN_ENDPOINT: def('PC_UNKNOWN_ENDPOINT', 403, 'the path and method match no Engine API operation'),
  PC_BAD_PATH: def('PC_BAD_PATH', 403, 'the path is not canonical (dot segments, empty segments, bad percent-encoding)'),
  PC_BAD_QUERY: def('PC_BAD_QUERY', 403, 'the query string cannot be read the way dockerd reads it'),
  PC_API_VERSION: def('PC_API_VERSION', 403, 'the API version prefix is malformed or below the configured floor'),
  PC_BAD_TARGET: def('PC_BAD_TARGET', 403, 'the request target is not in origin form'),
  PC_UPGRADE_REFUSED: def('PC_UPGRADE_REFUSED', 403, 'a protocol upgrade was asked for on an operation that does not hijack'),
  PC_FORM_BODY: def('PC_FORM_BODY', 403, 'a form-encoded or multipart body, which dockerd would merge into the query parameters'),
  PC_BAD_FRAMING: def('PC_BAD_FRAMING', 400, 'the HTTP message framing is malformed or ambiguous'),
  PC_HEADERS_TOO_LARGE: def('PC_HEADERS_TOO_LARGE', 431, 'the request head exceeds the size limit'),
  PC_UPSTREAM_UNAVAILABLE: def('PC_UPSTREAM_UNAVAILABLE', 502, 'the Docker daemon could not be reached'),
  PC_SHUTTING_DOWN: def('PC_SHUTTING_DOWN', 503, 'the proxy is shutting down'),
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof Errors;
