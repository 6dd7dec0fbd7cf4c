import { decodeGoJson, serializeJson } from '../inspect/go-json.js';
import type { JsonValue } from '../inspect/json-value.js';
import { ANY } from '../inspect/schemas.js';
import type { DaemonAnswer } from '../inspect/types.js';
import { ChunkedDecoder } from './chunked.js';

/** One complete response as the daemon sent it, taken apart: status, head lines and the de-chunked body. */
function takeApart(raw: Buffer): { status: number; lines: string[]; body: Buffer } | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const head = raw.toString('latin1', 0, end);
  const status = /^HTTP\/1\.[01] (\d{3}) /.exec(head);
  if (status === null) return null;
  const lines = head.split('\r\n');
  const chunked = lines.some((l) => /^transfer-encoding:\s*chunked\s*$/i.test(l));
  if (!chunked) return { status: Number(status[1]), lines, body: raw.subarray(end + 4) };
  const parts: Buffer[] = [];
  const decoder = new ChunkedDecoder((d) => parts.push(d));
  if (decoder.feed(raw.subarray(end + 4)) < 0 || !decoder.done) return null;
  return { status: Number(status[1]), lines, body: Buffer.concat(parts) };
}

/**
 * Rewrites one complete response (head and body, as the daemon sent it) whose JSON body a
 * filter changes. Anything but a 200 (or a create's 201) with a JSON body passes unchanged:
 * errors are the daemon's to word. Returns null when the body cannot be read, so the caller fails closed.
 */
export function rewriteJsonResponse(raw: Buffer, filter: (body: JsonValue) => JsonValue, headRequest: boolean): Buffer | null {
  const parts = takeApart(raw);
  if (parts === null) return null;
  if (headRequest || (parts.status !== 200 && parts.status !== 201)) return raw;
  const decoded = decodeGoJson(parts.body, ANY);
  if (!decoded.ok || decoded.value === null) return null;
  const out = Buffer.from(serializeJson(filter(decoded.value)), 'utf8');
  const kept = parts.lines.filter((l) => !/^(content-length|transfer-encoding):/i.test(l));
  return Buffer.concat([Buffer.from(`${kept.join('\r\n')}\r\nContent-Length: ${out.length}\r\n\r\n`, 'latin1'), out]);
}

/** The status and JSON body (null when there is none, or none that decodes) of one complete response; null when it cannot be read. */
export function readAnswer(raw: Buffer): DaemonAnswer | null {
  const parts = takeApart(raw);
  if (parts === null) return null;
  const decoded = parts.body.length === 0 ? null : decodeGoJson(parts.body, ANY);
  return { status: parts.status, body: decoded !== null && decoded.ok ? decoded.value : null };
}
