/**
 * Raw HTTP/1.1 over TCP to a proxy listener, for what the docker CLI never sends and what node:http hides
 * (it pools, retries and buffers): pipelined requests, odd request targets, an exec start without an
 * Upgrade header, a request sent only in part or abandoned. The bytes are written exactly as given and
 * the answers are parsed here.
 */
import http from 'node:http';
import net from 'node:net';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

function tcpEndpoint(address: string): { host: string; port: number } {
  const m = /^tcp:\/\/([^:]+):(\d+)$/.exec(address);
  if (m === null) throw new Error(`not a tcp:// address: ${address}`);
  return { host: m[1]!, port: Number(m[2]) };
}

export interface RawConnection {
  readonly socket: net.Socket;
  /** our side's port, which the decision log records as `remote` */
  readonly localPort: number;
  /** everything received so far */
  received(): Buffer;
  /** everything received so far, decoded as latin1 so binary bytes survive */
  text(): string;
  send(data: string | Buffer): void;
  /** resolves when the peer has ended or closed the connection; rejects with what arrived on timeout */
  waitEnded(timeoutMs?: number): Promise<Buffer>;
  /**
   * Resolves once `pred` holds for everything received so far; rejects with what arrived if the
   * connection closes first or after `timeoutMs`.
   */
  waitFor(what: string, pred: (received: Buffer) => boolean, timeoutMs?: number): Promise<Buffer>;
  /** resolves with Date.now() when the socket has fully closed (by either side) */
  readonly closed: Promise<number>;
}

/** Connects to a `tcp://HOST:PORT` address (a proxy listener's `proxy.host()`); rejects with the socket's error, e.g. ECONNREFUSED. */
export async function rawConnect(address: string): Promise<RawConnection> {
  const { host, port } = tcpEndpoint(address);
  const socket = net.connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve();
    });
    socket.once('error', reject);
  });
  const chunks: Buffer[] = [];
  // Re-checked on every arrival and on close, so waitFor answers as soon as it can.
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of waiters) w();
  };
  let isEnded = false;
  let isClosed = false;
  // A reset from the far side is an outcome the tests look at through `closed`, not a crash.
  socket.on('error', () => {});
  socket.on('data', (d: Buffer) => {
    chunks.push(d);
    wake();
  });
  const ended = new Promise<void>((resolve) => {
    const done = (): void => {
      isEnded = true;
      resolve();
    };
    socket.once('end', done);
    socket.once('close', done);
  });
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      wake();
      resolve(Date.now());
    }),
  );
  const received = (): Buffer => Buffer.concat(chunks);
  const shown = (): string => JSON.stringify(received().toString('latin1').slice(0, 2000));
  return {
    socket,
    localPort: socket.localPort!,
    received,
    text: () => received().toString('latin1'),
    send(data) {
      socket.write(data);
    },
    async waitEnded(timeoutMs = 10_000) {
      const outcome = await Promise.race([ended.then(() => 'ended' as const), sleep(timeoutMs, 'timeout' as const, { ref: false })]);
      if (outcome === 'timeout') {
        throw new Error(`connection still open after ${timeoutMs} ms; received ${JSON.stringify(received().toString('latin1'))}`);
      }
      return received();
    },
    waitFor(what, pred, timeoutMs = 10_000) {
      return new Promise<Buffer>((resolve, reject) => {
        const check = (): void => {
          const all = received();
          if (pred(all)) {
            done();
            resolve(all);
          } else if (isClosed) {
            done();
            reject(new Error(`connection closed (${isEnded ? 'ended by the peer' : 'reset'}) while waiting for ${what}; received ${shown()}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${shown()}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    closed,
  };
}

/**
 * Whether the proxy has read everything sent on `socket` so far: nothing is left in our send buffer nor in
 * the receive queue of its end of the connection (/proc/net/tcp, the proxy being on this host). A positive
 * sign that a partial request has been taken in, where a fixed pause would only hope so.
 */
export async function peerHasReadAll(socket: net.Socket): Promise<boolean> {
  if (socket.writableLength > 0) return false;
  const port = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  const theirs = `:${port(socket.remotePort!)} `;
  const ours = `:${port(socket.localPort!)} `;
  for (const line of (await readFile('/proc/net/tcp', 'latin1')).split('\n')) {
    // sl local_address rem_address st tx_queue:rx_queue ...; addresses are HEXIP:HEXPORT
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !`${f[1]} `.endsWith(theirs) || !`${f[2]} `.endsWith(ours)) continue;
    return Number.parseInt(f[4]!.split(':')[1]!, 16) === 0;
  }
  throw new Error(`no /proc/net/tcp entry for the proxy's end of 127.0.0.1:${socket.localPort} (is it in this network namespace?)`);
}

/** True once `data` holds a complete response head. */
export function hasHead(data: Buffer | string): boolean {
  return data.includes('\r\n\r\n');
}

/** The status code of the first response in `data`, or undefined before its status line has arrived. */
export function statusOf(data: Buffer | string): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3}) /.exec(typeof data === 'string' ? data : data.toString('latin1'));
  return m ? Number(m[1]) : undefined;
}

/** Writes `request` in one write and collects everything until the peer closes the connection. */
export async function exchange(address: string, request: string | Buffer, timeoutMs = 10_000): Promise<{ data: Buffer; localPort: number; ms: number }> {
  const started = Date.now();
  const conn = await rawConnect(address);
  conn.socket.write(request);
  try {
    const data = await conn.waitEnded(timeoutMs);
    return { data, localPort: conn.localPort, ms: Date.now() - started };
  } finally {
    conn.socket.destroy();
  }
}

export interface ParsedResponse {
  status: number;
  /** lower-cased names; repeated fields joined with ", " */
  headers: Map<string, string>;
  body: Buffer;
  /** the response exactly as received, head and body */
  raw: Buffer;
}

/**
 * Splits a byte stream into consecutive responses (Content-Length or chunked bodies). `headIndexes`
 * names the responses that answer HEAD requests and so carry no body whatever their headers say.
 * Bytes that do not form a complete response are returned in `rest`.
 */
export function splitResponses(data: Buffer, headIndexes: ReadonlySet<number> = new Set()): { responses: ParsedResponse[]; rest: Buffer } {
  const responses: ParsedResponse[] = [];
  let offset = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', offset, 'latin1');
    if (headEnd === -1) break;
    const lines = data.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3}) /.exec(lines[0] ?? '');
    if (status === null) break;
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    const code = Number(status[1]);
    let pos = headEnd + 4;
    let body: Buffer;
    if (headIndexes.has(responses.length) || code === 204 || code === 304) {
      body = Buffer.alloc(0);
    } else if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') {
      const parts: Buffer[] = [];
      let complete = false;
      for (;;) {
        const lineEnd = data.indexOf('\r\n', pos, 'latin1');
        if (lineEnd === -1) break;
        const size = parseInt(data.subarray(pos, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) break;
        if (size === 0) {
          const trailerEnd = data.indexOf('\r\n\r\n', lineEnd, 'latin1');
          if (trailerEnd === -1) break;
          pos = trailerEnd + 4;
          complete = true;
          break;
        }
        if (lineEnd + 2 + size + 2 > data.length) break;
        parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        pos = lineEnd + 2 + size + 2;
      }
      if (!complete) break;
      body = Buffer.concat(parts);
    } else {
      const length = Number(headers.get('content-length') ?? '0');
      if (pos + length > data.length) break;
      body = data.subarray(pos, pos + length);
      pos += length;
    }
    responses.push({ status: code, headers, body, raw: data.subarray(offset, pos) });
    offset = pos;
  }
  return { responses, rest: data.subarray(offset) };
}

/** A plain HTTP request to 127.0.0.1:port from a chosen local address. */
export function httpRequest(
  port: number,
  method: string,
  path: string,
  opts: { localAddress?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; text: string }> {
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        ...(opts.localAddress !== undefined ? { localAddress: opts.localAddress } : {}),
        headers: { ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}), ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
