import type { ErrorCode } from '../errors.js';

/**
 * A parsed HTTP/1.x request head. Parsing is deliberately stricter than Go's net/http:
 * anything two parsers could read differently (the root of request smuggling and of
 * CVE-2024-41110) is refused rather than interpreted.
 */
export interface RequestHead {
  readonly method: string;
  readonly target: string;
  readonly minor: 0 | 1;
  /** header fields in arrival order; names as sent, values trimmed of optional whitespace */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** declared body length, or null when the request has no Content-Length */
  readonly contentLength: number | null;
  readonly chunked: boolean;
  readonly keepAlive: boolean;
  /** the Upgrade header's value when the request asks for a protocol switch */
  readonly upgrade: string | null;
  /** lower-cased names the Connection header marks hop-by-hop */
  readonly connectionTokens: ReadonlySet<string>;
  /** bytes the head occupies, including the terminating blank line */
  readonly length: number;
}

export type HeadResult =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'ok'; readonly head: RequestHead }
  | { readonly kind: 'error'; readonly code: ErrorCode; readonly reason: string };

const INCOMPLETE: HeadResult = { kind: 'incomplete' };
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const LFLF = Buffer.from('\n\n', 'latin1');

const REQUEST_LINE = /^([A-Z]{1,16}) ([\x21-\x7e]+) HTTP\/1\.([01])$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values may carry obs-text (X-Registry-Auth is base64, but labels can be UTF-8);
// control characters other than HTAB never have a legitimate use and confuse parsers.
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const DIGITS = /^[0-9]{1,15}$/;

function fail(code: ErrorCode, reason: string): HeadResult {
  return { kind: 'error', code, reason };
}

export function parseRequestHead(buf: Buffer, maxBytes: number): HeadResult {
  const end = buf.indexOf(CRLFCRLF);
  if (end === -1) {
    // A bare-LF head would otherwise sit in the buffer until the size limit.
    if (buf.indexOf(LFLF) !== -1) return fail('PC_BAD_FRAMING', 'bare LF line ending in the request head');
    if (buf.length > maxBytes) return fail('PC_HEADERS_TOO_LARGE', `request head larger than ${maxBytes} bytes`);
    return INCOMPLETE;
  }
  if (end + 4 > maxBytes) return fail('PC_HEADERS_TOO_LARGE', `request head larger than ${maxBytes} bytes`);
  const text = buf.toString('latin1', 0, end);
  const lines = text.split('\r\n');
  const requestLine = lines[0]!;
  if (requestLine.includes('\n') || requestLine.includes('\r')) return fail('PC_BAD_FRAMING', 'bare CR or LF in the request line');
  const m = REQUEST_LINE.exec(requestLine);
  if (m === null) {
    if (requestLine.startsWith('PRI * HTTP/2')) return fail('PC_BAD_FRAMING', 'HTTP/2 is not served');
    return fail('PC_BAD_FRAMING', 'malformed request line');
  }
  const method = m[1]!;
  const target = m[2]!;
  const minor = m[3] === '1' ? 1 : 0;

  const headers: Array<[string, string]> = [];
  let contentLength: number | null = null;
  let transferEncoding: string | null = null;
  let connection = '';
  let upgradeValue: string | null = null;
  let hosts = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) return fail('PC_BAD_FRAMING', 'obsolete line folding in the request head');
    const colon = line.indexOf(':');
    if (colon <= 0) return fail('PC_BAD_FRAMING', 'malformed header line');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return fail('PC_BAD_FRAMING', 'malformed header name');
    const value = line.slice(colon + 1).trim();
    if (BAD_VALUE.test(value) || value.includes('\r')) return fail('PC_BAD_FRAMING', `control character in header ${name}`);
    const lower = name.toLowerCase();
    switch (lower) {
      case 'content-length':
        if (contentLength !== null) return fail('PC_BAD_FRAMING', 'repeated Content-Length');
        if (!DIGITS.test(value)) return fail('PC_BAD_FRAMING', 'non-numeric Content-Length');
        contentLength = Number(value);
        break;
      case 'transfer-encoding':
        if (transferEncoding !== null) return fail('PC_BAD_FRAMING', 'repeated Transfer-Encoding');
        transferEncoding = value;
        break;
      case 'connection':
        connection = connection === '' ? value : `${connection},${value}`;
        break;
      case 'upgrade':
        if (upgradeValue !== null) return fail('PC_BAD_FRAMING', 'repeated Upgrade');
        upgradeValue = value;
        break;
      case 'host':
        hosts++;
        break;
    }
    headers.push([name, value]);
  }

  if (transferEncoding !== null) {
    if (transferEncoding.toLowerCase() !== 'chunked') return fail('PC_BAD_FRAMING', `unsupported Transfer-Encoding "${transferEncoding}"`);
    if (contentLength !== null) return fail('PC_BAD_FRAMING', 'both Content-Length and Transfer-Encoding');
  }
  const chunked = transferEncoding !== null;
  if (minor === 0 && (chunked || (contentLength !== null && contentLength > 0))) {
    return fail('PC_BAD_FRAMING', 'a request body on HTTP/1.0');
  }
  if (hosts > 1) return fail('PC_BAD_FRAMING', 'repeated Host header');
  if (minor === 1 && hosts === 0) return fail('PC_BAD_FRAMING', 'missing Host header');

  const connectionTokens = new Set<string>();
  if (connection !== '') {
    for (const t of connection.split(',')) {
      const token = t.trim().toLowerCase();
      if (token !== '') connectionTokens.add(token);
    }
  }
  const keepAlive = minor === 1 ? !connectionTokens.has('close') : connectionTokens.has('keep-alive');
  const upgrade = upgradeValue !== null && connectionTokens.has('upgrade') ? upgradeValue : null;
  if (upgradeValue !== null && upgrade === null) {
    // An Upgrade header that Connection does not name is ignored by Go but not by every
    // intermediary; refusing it keeps both sides reading the same message.
    return fail('PC_BAD_FRAMING', 'Upgrade header without Connection: upgrade');
  }

  return {
    kind: 'ok',
    head: { method, target, minor, headers, contentLength, chunked, keepAlive, upgrade, connectionTokens, length: end + 4 },
  };
}
