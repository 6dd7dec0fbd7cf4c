import http from 'node:http';
import { toJsonValue, type JsonValue } from '../inspect/json-value.js';
import type { Dial } from './dial.js';

/**
 * A request to the daemon made by Portcullis itself: a read for a pre-flight check, or a
 * `DELETE` that undoes what a refused request created (a container over its owner's quota).
 */
export type Lookup = (path: string, method?: 'GET' | 'DELETE') => Promise<{ status: number; body: JsonValue | null }>;

/** Inspect output of a container with many mounts and labels stays well below this. */
const MAX_LOOKUP_BYTES = 8 * 1024 * 1024;
const LOOKUP_TIMEOUT_MS = 10_000;

/**
 * Each look-up uses a connection of its own, so it never interleaves with the client's
 * stream, and nothing is cached: what is checked is the daemon's state at that moment.
 */
export function createLookup(dial: Dial, headers: Readonly<Record<string, string>> = {}): Lookup {
  return (path, method = 'GET') =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          method,
          path,
          headers: { ...headers, Host: 'docker', Connection: 'close' },
          createConnection: () => dial(),
          timeout: LOOKUP_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (d: Buffer) => {
            size += d.length;
            if (size > MAX_LOOKUP_BYTES) {
              req.destroy(new Error(`look-up of ${path} answered more than ${MAX_LOOKUP_BYTES} bytes`));
              return;
            }
            chunks.push(d);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (text.trim() === '') {
              resolve({ status: res.statusCode ?? 0, body: null });
              return;
            }
            try {
              resolve({ status: res.statusCode ?? 0, body: toJsonValue(JSON.parse(text)) });
            } catch {
              reject(new Error(`look-up of ${path} answered ${res.statusCode} with a body that is not JSON`));
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`look-up of ${path} timed out`)));
      req.on('error', reject);
      req.end();
    });
}
