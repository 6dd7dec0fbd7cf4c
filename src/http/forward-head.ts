import type { RequestHead } from './request-head.js';

// Hop-by-hop fields describe the client's connection, not the request: Portcullis frames
// the upstream connection itself. Authorization carries Portcullis credentials, never
// dockerd's, so it is not passed on.
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'te',
  'trailer',
  'authorization',
  'proxy-authorization',
]);

export interface ForwardFraming {
  /** forwarded body length, or null for none; ignored when `chunked` */
  readonly contentLength: number | null;
  readonly chunked: boolean;
  /** the protocol to ask dockerd to switch to, or null */
  readonly upgrade: string | null;
}

/** Serialises the head dockerd receives: canonical target, our framing, the client's other fields. */
export function forwardHead(head: RequestHead, target: string, framing: ForwardFraming): string {
  let out = `${head.method} ${target} HTTP/1.${head.minor}\r\n`;
  const tokens = head.connectionTokens;
  for (const [name, value] of head.headers) {
    const lower = name.toLowerCase();
    if (DROPPED.has(lower) || (tokens.size > 0 && tokens.has(lower))) continue;
    out += `${name}: ${value}\r\n`;
  }
  if (framing.chunked) out += 'Transfer-Encoding: chunked\r\n';
  else if (framing.contentLength !== null) out += `Content-Length: ${framing.contentLength}\r\n`;
  if (framing.upgrade !== null) out += `Connection: Upgrade\r\nUpgrade: ${framing.upgrade}\r\n`;
  else if (!head.keepAlive) out += 'Connection: close\r\n';
  else if (head.minor === 0) out += 'Connection: keep-alive\r\n';
  return `${out}\r\n`;
}
