import type { Operation } from '../catalogue/operation.js';
import type { AuthzCall } from './protocol.js';

/**
 * What dockerd hands the plugin of a request body, and whether that is the body dockerd will
 * read. dockerd sends RequestBody only when the first Content-Type is application/json, the
 * body is below 1 MiB and the path is not /auth; before 25.0.6 it also skipped chunked bodies
 * (CVE-2024-41110), and Go's server drops Transfer-Encoding, and Content-Length with it, from
 * the headers the plugin sees. So an empty RequestBody proves there was no body only when the
 * headers still say `Content-Length: 0`; anything else is a body the plugin did not see.
 */

export type PluginBody =
  /** the whole body dockerd will decode, or null when the request has none */
  | { readonly seen: true; readonly raw: Buffer | null }
  | { readonly seen: false; readonly reason: string };

/** dockerd's own limit (pkg/authorization maxBodySize): bodies of this size or more are not sent. */
export const PLUGIN_MAX_BODY = 1024 * 1024;

function contentLength(call: AuthzCall): number | null | 'invalid' {
  const v = call.headers.get('content-length');
  if (v === undefined) return null;
  const t = v.trim();
  return /^[0-9]{1,15}$/.test(t) ? Number(t) : 'invalid';
}

/** May the request carry a body at all, as far as the headers tell (for the form-body check)? */
export function mayHaveBody(call: AuthzCall): boolean {
  return call.body.length > 0 || contentLength(call) !== 0;
}

/** The body to judge for an operation whose JSON body the policy inspects. */
export function inspectedBody(op: Operation, call: AuthzCall): PluginBody {
  if (op.body !== 'json') return { seen: true, raw: null };
  const length = contentLength(call);
  if (call.body.length > 0) {
    // dockerd sends a body only once it has read all of it; without a Content-Length it was
    // chunked (Go drops the header), and a patched dockerd (25.0.6+) sends such bodies whole.
    if (length !== null && length !== call.body.length) {
      return { seen: false, reason: `dockerd sent ${call.body.length} bytes of a body announced as ${String(length)} bytes` };
    }
    return { seen: true, raw: call.body };
  }
  if (length === 0) return { seen: true, raw: null };
  if (length === null) return { seen: false, reason: 'the body has no Content-Length (chunked) and dockerd did not send it to the plugin' };
  if (length === 'invalid') return { seen: false, reason: 'the Content-Length dockerd reports cannot be read' };
  if (length >= PLUGIN_MAX_BODY) return { seen: false, reason: `the body is ${length} bytes, and dockerd sends plugins only bodies below ${PLUGIN_MAX_BODY} bytes` };
  return { seen: false, reason: 'dockerd did not send the body to the plugin (its first Content-Type is not application/json)' };
}

/**
 * A body dockerd did not show the plugin, on an operation that takes none. Go's ParseForm reads
 * a POST or PUT body as form parameters, which dockerd takes over the query's, when the *first*
 * Content-Type says so, while the plugin is shown only the last: a body it was not shown could
 * be such a form. Docker clients send `Content-Length: 0` there, so only that proves it harmless.
 * (Operations that stream a body, such as build, cannot be told apart this way: docs/plugin.md.)
 */
export function unseenBodyOnBodiless(op: Operation, call: AuthzCall): string | null {
  if (op.body !== 'none' || (call.method !== 'POST' && call.method !== 'PUT')) return null;
  if (call.body.length > 0 || contentLength(call) === 0) return null;
  return 'a body the plugin was not shown, on an operation that takes none, could be form parameters dockerd reads in place of the query';
}
