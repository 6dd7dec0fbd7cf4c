import { readFileSync } from 'node:fs';
import { chmod, chown, lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import type { Address } from '../config/address.js';
import { STREAM_BUFFER } from '../upstream/dial.js';

export interface ListenSpec {
  readonly address: Address;
  /** file mode of a unix socket, e.g. 0o660 */
  readonly mode?: number;
  /** group name or numeric gid owning a unix socket */
  readonly group?: string;
}

/**
 * Binds one listener. Half-open connections are kept because `docker run -i` closes its
 * sending side and still expects the container's output.
 */
export async function listen(spec: ListenSpec, onConnection: (socket: net.Socket) => void): Promise<{ server: net.Server; address: Address }> {
  const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: false, highWaterMark: STREAM_BUFFER }, onConnection);
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
    return { server, address: a };
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: a.host, port: a.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  return { server, address: { kind: 'tcp', host: a.host, port: bound.port } };
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
