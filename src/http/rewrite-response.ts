import { decodeGoJson, serializeJson } from '../inspect/go-json.js';
import type { JsonValue } from '../inspect/json-value.js';
import { ANY } from '../inspect/schemas.js';
import { ChunkedDecoder } from './chunked.js';

/**
 * Rewrites one complete response (head and body, as the daemon sent it) whose JSON body a
 * filter changes. Anything but a 200 (or a create's 201) with a JSON body passes unchanged:
 * errors are the daemon's to word. Returns null when the body cannot be read, so the caller fails closed.
 */
export function rewriteJsonResponse(raw: Buffer, filter: (body: JsonValue) => JsonValue, headRequest: boolean): Buffer | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const head = raw.toString('latin1', 0, end);
  if (headRequest || !/^HTTP\/1\.[01] 20[01] /.test(head)) return raw;
  const lines = head.split('\r\n');
  const chunked = lines.some((l) => /^transfer-encoding:\s*chunked\s*$/i.test(l));
  let body: Buffer;
  if (chunked) {
    const parts: Buffer[] = [];
    const decoder = new ChunkedDecoder((d) => parts.push(d));
    if (decoder.feed(raw.subarray(end + 4)) < 0 || !decoder.done) return null;
    body = Buffer.concat(parts);
  } else {
    body = raw.subarray(end + 4);
  }
  const decoded = decodeGoJson(body, ANY);
  if (!decoded.ok || decoded.value === null) return null;
  const out = Buffer.from(serializeJson(filter(decoded.value)), 'utf8');
  const kept = lines.filter((l) => !/^(content-length|transfer-encoding):/i.test(l));
  return Buffer.concat([Buffer.from(`${kept.join('\r\n')}\r\nContent-Length: ${out.length}\r\n\r\n`, 'latin1'), out]);
}
