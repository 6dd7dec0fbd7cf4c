import type { CheckContext } from './context.js';
import { q, refuse, shown } from './util.js';

/**
 * ImageCreate with `fromSrc`: anything but `-` (the request body) is a URL dockerd fetches itself,
 * from the host's network namespace, which reaches the host's loopback and metadata services; a
 * non-2xx answer's body comes back in the error message.
 */
export function checkImageCreate(query: ReadonlyMap<string, readonly string[]>, ctx: CheckContext): void {
  if (ctx.c.images.importUrl) return;
  for (const src of query.get('fromSrc') ?? []) {
    if (src !== '-') refuse('PC_DENIED_IMAGE_IMPORT', `fromSrc is ${src === '' ? q(src) : shown(src)}: the daemon would fetch it (only "-", the request body, is allowed)`);
  }
}
