import http from 'node:http';
import type { Dial } from '../upstream/dial.js';

export type PingResult = { ok: true } | { ok: false; reason: string };

/** Asks the daemon for GET /_ping on a connection of its own. Never rejects. */
export function pingDaemon(dial: Dial, timeoutMs: number): Promise<PingResult> {
  return new Promise((resolve) => {
    const req = http.request({ method: 'GET', path: '/_ping', headers: { Host: 'docker', Connection: 'close' }, createConnection: () => dial() }, (res) => {
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        resolve(res.statusCode === 200 ? { ok: true } : { ok: false, reason: `the daemon answered _ping with HTTP ${res.statusCode}` });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        resolve({ ok: false, reason: error.message });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer to _ping within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: error.code ?? error.message });
    });
    req.end();
  });
}
