import { readFileSync } from 'node:fs';
import { chmod, chown, lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import type tls from 'node:tls';
import type { Address } from '../config/address.js';
import { STREAM_BUFFER } from '../upstream/dial.js';
import { TlsListener, type TlsSpec } from './tls.js';

export interface ListenSpec {
  readonly address: Address;
  /** file mode of a unix socket, e.g. 0o660 */
  readonly mode?: number;
  /** group name or numeric gid owning a unix socket */
  readonly group?: string;
  /** serve TLS (mutual TLS with `clientCA`) instead of plain HTTP */
  readonly tls?: TlsSpec;
}

export interface ListenHooks {
  /**
   * A TLS handshake failed (no, expired or foreign client certificate, plain HTTP on a TLS
   * port...). The socket is destroyed after the hook; nothing was read from it.
   */
  onTlsClientError?(error: Error, socket: tls.TLSSocket): void;
}

export interface Listening {
  readonly server: net.Server;
  readonly address: Address;
  /** set for a TLS listener: `reload()` re-reads its files */
  readonly tls?: TlsListener;
}

/**
 * Binds one listener. Half-open connections are kept because `docker run -i` closes its
 * sending side and still expects the container's output. With `spec.tls`, `onConnection` sees
 * only sockets whose handshake succeeded (a TLSSocket; with a client CA, its certificate verified).
 */
export async function listen(spec: ListenSpec, onConnection: (socket: net.Socket) => void, hooks: ListenHooks = {}): Promise<Listening> {
  let tlsListener: TlsListener | undefined;
  let server: net.Server;
  if (spec.tls !== undefined) {
    // onConnection is called on 'secureConnection', i.e. only after a successful handshake.
    tlsListener = new TlsListener(spec.tls, onConnection);
    server = tlsListener.server;
    tlsListener.server.on('tlsClientError', (error, socket) => {
      hooks.onTlsClientError?.(refusalReason(error, socket), socket);
      socket.destroy();
    });
  } else {
    server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: false, highWaterMark: STREAM_BUFFER }, onConnection);
  }
  const bound = await bind(server, spec);
  return { server, address: bound, ...(tlsListener !== undefined ? { tls: tlsListener } : {}) };
}

/**
 * Node completes the handshake of a client whose certificate fails verification and then drops
 * the socket, which surfaces as a bare "socket hang up"; the verification error it recorded on the
 * socket (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, ...) is the reason worth logging.
 */
function refusalReason(error: Error, socket: tls.TLSSocket): Error {
  if (error.message.includes('peer did not return a certificate')) return new Error('client certificate refused: none presented');
  const recorded: unknown = (socket as { authorizationError?: unknown }).authorizationError;
  if (recorded === undefined || recorded === null) return error;
  const code = typeof recorded === 'string' ? recorded : ((recorded as { code?: unknown }).code ?? (recorded as Error).message);
  return new Error(`client certificate refused: ${String(code)}`);
}

async function bind(server: net.Server, spec: ListenSpec): Promise<Address> {
  const a = spec.address;
  if (a.kind === 'unix') {
    await removeStaleSocket(a.path);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(a.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (spec.mode !== undefined) await chmod(a.path, spec.mode);
    if (spec.group !== undefined) await chown(a.path, process.getuid?.() ?? 0, resolveGid(spec.group));
    return a;
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: a.host, port: a.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  return { kind: 'tcp', host: a.host, port: bound.port };
}

/** A socket file left by a crashed process would make bind fail with EADDRINUSE. */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (!st.isSocket()) throw new Error(`${path} exists and is not a socket`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const inUse = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (inUse) throw new Error(`${path} is in use by another process`);
  await unlink(path);
}

function resolveGid(group: string): number {
  if (/^[0-9]+$/.test(group)) return Number(group);
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined) return Number(gid);
  }
  throw new Error(`unknown group "${group}"`);
}
