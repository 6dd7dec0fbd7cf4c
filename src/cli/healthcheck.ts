import { request } from 'node:http';
import { formatAddress, type Address } from '../config/address.js';

export type HealthResult = { ok: true } | { ok: false; reason: string };

/**
 * Where to connect to reach a listener: a wildcard bind address accepts connections but cannot
 * be connected to portably, so the loopback address of the same family stands in for it.
 */
export function reachableAddress(address: Address): Address {
  if (address.kind === 'tcp' && address.host === '0.0.0.0') return { ...address, host: '127.0.0.1' };
  if (address.kind === 'tcp' && address.host === '::') return { ...address, host: '::1' };
  return address;
}

/**
 * Sends `GET path` (`/_ping` through a proxy listener, `/readyz` on the admin listener) and reports
 * whether the answer is 200. Never rejects.
 */
export function healthcheck(address: Address, timeoutMs: number, path = '/_ping'): Promise<HealthResult> {
  const target = formatAddress(address);
  if (address.kind === 'tcp' && address.port === 0) {
    return Promise.resolve({ ok: false, reason: `${target}: the listener uses an ephemeral port; pass --address` });
  }
  return new Promise((resolve) => {
    const req = request({
      ...(address.kind === 'unix' ? { socketPath: address.path } : { host: address.host, port: address.port }),
      method: 'GET',
      path,
      // No keep-alive: the process should exit as soon as the answer is in.
      agent: false,
      headers: { connection: 'close' },
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `${target}: ${error.message}` });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 200) body += chunk;
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        resolve({ ok: false, reason: `${target}: ${error.message}` });
      });
      res.on('end', () => {
        clearTimeout(timer);
        if (res.statusCode === 200) resolve({ ok: true });
        else resolve({ ok: false, reason: `${target}: HTTP ${res.statusCode} ${body.trim().slice(0, 200)}`.trimEnd() });
      });
    });
    req.end();
  });
}
