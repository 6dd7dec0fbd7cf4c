/**
 * A bare TCP connection for tests that need to control exactly when a request is sent, half-sent or
 * abandoned, which node:http hides (it pools, retries and buffers).
 */
import net from 'node:net';
import type { Proxy } from './portcullis.js';

export interface RawConn {
  readonly socket: net.Socket;
  /** everything received so far, decoded as latin1 so binary bytes survive */
  received(): string;
  send(data: string | Buffer): void;
  /** resolves once received() satisfies `test`; rejects if the connection closes first or after `timeoutMs` */
  waitFor(test: (text: string) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** resolves with Date.now() when the socket has fully closed (by either side) */
  readonly closed: Promise<number>;
}

/** The port of a proxy listener announced as tcp://127.0.0.1:PORT. */
export function proxyPort(proxy: Proxy, listener?: string): number {
  const m = /^tcp:\/\/127\.0\.0\.1:(\d+)$/.exec(proxy.host(listener));
  if (!m) throw new Error(`not a loopback tcp listener: ${proxy.host(listener)}`);
  return Number(m[1]);
}

export function connectRaw(port: number): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    let isClosed = false;
    const waiters = new Set<() => void>();
    const closed = new Promise<number>((r) =>
      socket.on('close', () => {
        isClosed = true;
        for (const w of waiters) w();
        r(Date.now());
      }),
    );
    // A reset from the far side is an outcome the tests look at through `closed`, not a crash.
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      for (const w of waiters) w();
    });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve({
        socket,
        received: () => text,
        send: (data) => {
          socket.write(data);
        },
        waitFor(test, what, timeoutMs = 10_000) {
          return new Promise<void>((ok, fail) => {
            const check = (): void => {
              if (test(text)) {
                done();
                ok();
              } else if (isClosed) {
                done();
                fail(new Error(`connection closed while waiting for ${what}; received: ${JSON.stringify(text.slice(0, 500))}`));
              }
            };
            const timer = setTimeout(() => {
              done();
              fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(text.slice(0, 500))}`));
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
      });
    });
    socket.once('error', reject);
  });
}

/** True once `text` holds a complete response head. */
export function hasHead(text: string): boolean {
  return text.includes('\r\n\r\n');
}

/** The status code of the first response in `text`, or undefined before its status line has arrived. */
export function statusOf(text: string): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
  return m ? Number(m[1]) : undefined;
}
