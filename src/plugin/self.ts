import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthzCall } from './protocol.js';

/**
 * The plugin's own look-ups. Checks that need the daemon's state ask dockerd, and dockerd asks
 * the plugin about that request too: judging it by the policy could refuse it (a policy
 * without ContainerInspect) or, for a look-up that needed a look-up, recurse. dockerd passes
 * every header but Authorization and X-Registry-* through to the plugin, so each look-up
 * carries a secret drawn when the process starts; only the plugin and dockerd ever see it.
 * Only GETs are recognised: a look-up never changes anything.
 */

export const SELF_HEADER = 'X-Portcullis-Lookup';

export interface SelfMarker {
  /** headers to send with every look-up */
  readonly headers: Readonly<Record<string, string>>;
  /** true when the call is one of this process's own look-ups */
  isOwn(call: AuthzCall): boolean;
}

export function createSelfMarker(secret: Buffer = randomBytes(32)): SelfMarker {
  const value = secret.toString('hex');
  const expected = Buffer.from(value, 'latin1');
  const name = SELF_HEADER.toLowerCase();
  return {
    headers: { [SELF_HEADER]: value },
    isOwn(call: AuthzCall): boolean {
      if (call.method !== 'GET') return false;
      const got = call.headers.get(name);
      if (got === undefined) return false;
      const given = Buffer.from(got, 'latin1');
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
