import net from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompiledPolicy, Decision, RequestFacts } from '../../src/policy/types.js';
import { ClientConnection, type ConnectionContext } from '../../src/proxy/connection.js';
import type { DecisionEntry } from '../../src/log/decision-log.js';
import { createDial } from '../../src/upstream/dial.js';
import { createLookup } from '../../src/upstream/lookup.js';
import type { ConnectionIdentity } from '../../src/identity/identify.js';

/**
 * A scripted fake daemon for byte-level tests: it records exactly what the proxy sent and
 * answers with whatever the test's handler writes. Real behaviour is tested end to end
 * against a real dockerd; this is for framing the real one would never produce on demand.
 */
export interface FakeDaemon {
  readonly path: string;
  readonly received: Buffer[];
  connections: number;
  /** resolves once the proxy has ended (or reset) every connection it opened to it */
  allEnded(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function fakeDaemon(onConnection: (socket: net.Socket, received: Buffer[]) => void): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'pcf-'));
  const path = join(dir, 'd.sock');
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  // not yet ended by the proxy; a handler may keep its own side open (allowHalfOpen)
  const open = new Set<net.Socket>();
  const state: FakeDaemon = {
    path,
    received,
    connections: 0,
    async allEnded(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (open.size > 0) {
        if (Date.now() > deadline) throw new Error(`${open.size} connection(s) to the fake daemon not ended by the proxy after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    state.connections++;
    sockets.add(s);
    open.add(s);
    s.on('end', () => open.delete(s));
    s.on('close', () => {
      sockets.delete(s);
      open.delete(s);
    });
    s.on('data', (d) => received.push(d));
    onConnection(s, received);
  });
  await new Promise<void>((r) => server.listen(path, r));
  return state;
}

/**
 * A fake daemon's connection handler that answers every complete request (head plus Content-Length or
 * chunked body), in order, with 200 and the JSON body `answer` gives for the request target; by default
 * `{"path": <target>}`.
 */
export function httpResponder(answer: (path: string) => string = (path) => JSON.stringify({ path })): (socket: net.Socket) => void {
  return (socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = pending.subarray(0, end).toString('latin1');
        let total = end + 4;
        const cl = /\r\ncontent-length: (\d+)/i.exec(head);
        if (cl) total += Number(cl[1]);
        else if (/\r\ntransfer-encoding: chunked/i.test(head)) {
          const term = pending.indexOf('0\r\n\r\n', end + 4);
          if (term === -1) return;
          total = term + 5;
        }
        if (pending.length < total) return;
        pending = pending.subarray(total);
        const body = answer(head.split(' ')[1]!);
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      }
    });
  };
}

/** Allows exactly the listed operationIds. */
export function allowOnly(...ids: string[]): CompiledPolicy {
  return {
    name: 'test',
    chain: ['test'],
    inspector: null,
    decide(req: RequestFacts): Decision {
      return ids.includes(req.op.id)
        ? { allowed: true, rule: 'test-allow', reason: 'allowed by rule test-allow' }
        : { allowed: false, rule: 'PC_DENIED_DEFAULT', reason: `no rule allows ${req.op.id}` };
    },
  };
}

/** Everyone is the client "tester" with the test's policy. */
const ANONYMOUS: ConnectionIdentity = { identify: () => ({ client: 'tester', policy: 'test', by: 'listener' }) };

export interface TestProxy {
  readonly port: number;
  readonly log: DecisionEntry[];
  close(): Promise<void>;
}

export async function proxyTo(upstreamPath: string, policy: CompiledPolicy): Promise<TestProxy> {
  const log: DecisionEntry[] = [];
  // The production dial, so upstream sockets read into the proxy's own buffers as they do in service.
  const dial = createDial({ address: { kind: 'unix', path: upstreamPath } });
  const conns = new Set<ClientConnection>();
  const ctx: ConnectionContext = {
    listener: 'test',
    policies: new Map([['test', policy]]),
    dial,
    minApiVersion: '1.24',
    maxHeaderBytes: 64 * 1024,
    maxBodyBytes: 64 * 1024,
    log: { record: (e) => log.push(e) },
    lookup: createLookup(dial),
  };
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    conns.add(new ClientConnection(s, ctx, ANONYMOUS, (c) => conns.delete(c)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * The first decision entry matching `pred`, once the proxy has recorded it: it does so when the exchange
 * ends on its side, which can be after the client has read the last byte.
 */
export async function waitForEntry(proxy: TestProxy, what: string, pred: (e: DecisionEntry) => boolean, timeoutMs = 5000): Promise<DecisionEntry> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = proxy.log.find(pred);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the decision entry of ${what}; log: ${JSON.stringify(proxy.log)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Sends raw bytes and collects everything until the proxy closes or `until` matches. */
export function exchange(port: number, payload: string | Buffer, opts: { until?: (all: string) => boolean; endAfterWrite?: boolean; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let all = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timeout; got so far: ${JSON.stringify(all)}`));
    }, opts.timeoutMs ?? 5000);
    s.on('data', (d) => {
      all += d.toString('latin1');
      if (opts.until?.(all)) {
        clearTimeout(timer);
        s.destroy();
        resolve(all);
      }
    });
    s.on('end', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(all);
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.write(payload);
    if (opts.endAfterWrite) s.end();
  });
}

export function countResponses(all: string): number {
  return all.split(/HTTP\/1\.1 \d{3} /).length - 1;
}
