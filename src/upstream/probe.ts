import { statSync } from 'node:fs';
import net from 'node:net';
import type { Address } from '../config/address.js';
import { formatAddress } from '../config/address.js';

export interface ProbeResult {
  readonly ok: boolean;
  /** errno code, e.g. EACCES, ENOENT, ECONNREFUSED */
  readonly errno?: string;
  /** one sentence for the log, telling what to change */
  readonly message?: string;
}

/**
 * Connects to the upstream once at start, so a socket the proxy may not open is reported where
 * people look first instead of as a 502 on the first request. In a container the usual cause is
 * running without the socket's group; the message names the gid the socket actually has.
 */
export function probeUpstream(address: Address, timeoutMs = 3000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = address.kind === 'unix' ? net.connect({ path: address.path }) : net.connect({ host: address.host, port: address.port });
    const done = (r: ProbeResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, errno: 'ETIMEDOUT', message: `cannot reach ${formatAddress(address)}: no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.once('connect', () => done({ ok: true }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, errno: err.code ?? 'EUNKNOWN', message: explain(address, err) }));
  });
}

function explain(address: Address, err: NodeJS.ErrnoException): string {
  if (address.kind !== 'unix') return `cannot reach ${formatAddress(address)}: ${err.code ?? err.message}`;
  if (err.code === 'EACCES') {
    let gid = '<gid of the socket>';
    try {
      gid = String(statSync(address.path).gid);
    } catch {
      // The socket's directory itself is closed to us; the placeholder says what to look up.
    }
    return `cannot open ${address.path}: permission denied — run with the socket's group (group_add: ["${gid}"])`;
  }
  if (err.code === 'ENOENT') return `cannot open ${address.path}: no such socket — mount the Docker socket there (-v /var/run/docker.sock:${address.path}) or set SOCKET_PATH / --upstream`;
  if (err.code === 'ECONNREFUSED') return `cannot open ${address.path}: connection refused — is dockerd running?`;
  return `cannot open ${address.path}: ${err.code ?? err.message}`;
}
