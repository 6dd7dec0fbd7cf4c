import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Address } from '../config/address.js';

export interface UpstreamTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly serverName?: string;
}

export interface UpstreamSpec {
  readonly address: Address;
  readonly tls?: UpstreamTls;
}

/**
 * Opens one connection to dockerd; the proxy pairs it with one client connection. With `onread`
 * (ignored for a TLS upstream) the socket reads into the caller's buffers instead of emitting 'data'.
 */
export type Dial = (onread?: OnRead) => net.Socket;

/** net.connect's `onread` option. */
export interface OnRead {
  /** the buffer the next read goes into; called once at connect and again after every read */
  readonly buffer: () => Buffer;
  readonly callback: (bytes: number, buffer: Buffer) => void;
}

/**
 * Bytes a socket may queue before the proxy pauses the other side. Node's 16 KiB default
 * paused the upstream after nearly every 64 KiB read of a large transfer; this bounds memory
 * per connection while keeping both kernels' buffers busy.
 */
export const STREAM_BUFFER = 1024 * 1024;

export function createDial(spec: UpstreamSpec): Dial {
  const a = spec.address;
  if (a.kind === 'unix') {
    return (onread) => net.connect({ path: a.path, allowHalfOpen: true, highWaterMark: STREAM_BUFFER, onread } as net.NetConnectOpts);
  }
  if (spec.tls === undefined) {
    return (onread) => {
      const s = net.connect({ host: a.host, port: a.port, allowHalfOpen: true, highWaterMark: STREAM_BUFFER, onread } as net.NetConnectOpts);
      s.setNoDelay(true);
      return s;
    };
  }
  // Read once at start: a missing file is a configuration error, not a per-request one.
  const t = spec.tls;
  const options: tls.ConnectionOptions = {
    // With a wrapped socket, `host` is only what the certificate is checked against.
    host: a.host,
    servername: t.serverName ?? (net.isIP(a.host) === 0 ? a.host : undefined),
    ca: t.ca !== undefined ? readFileSync(t.ca) : undefined,
    cert: t.cert !== undefined ? readFileSync(t.cert) : undefined,
    key: t.key !== undefined ? readFileSync(t.key) : undefined,
    minVersion: 'TLSv1.2',
  };
  // `onread` is not passed on: TLS needs the raw socket's 'data', and the TLSSocket emits 'data' itself.
  return () => {
    // TLSSocket inherits half-open behaviour from the socket it wraps, and only from there.
    const raw = net.connect({ host: a.host, port: a.port, allowHalfOpen: true, highWaterMark: STREAM_BUFFER } as net.NetConnectOpts);
    raw.setNoDelay(true);
    return tls.connect({ ...options, socket: raw });
  };
}
