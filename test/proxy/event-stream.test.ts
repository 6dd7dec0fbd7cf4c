import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, test } from 'node:test';
import type { Operation } from '../../src/catalogue/operation.js';
import type { JsonObject, JsonValue } from '../../src/inspect/json-value.js';
import type { InspectVerdict, Inspector } from '../../src/inspect/types.js';
import type { CompiledPolicy } from '../../src/policy/types.js';
import { fakeDaemon, proxyTo, waitForEntry, type FakeDaemon, type TestProxy } from './fixtures.js';

/**
 * The events stream filtered as it passes, against a daemon scripted byte by byte: what the
 * client gets, and when, is compared with what the daemon has sent so far.
 */

/** Drops "destroy" events and marks the others. */
function marking(v: JsonValue): JsonValue | null {
  const o = v as JsonObject;
  return o.Action === 'destroy' ? null : { ...o, seen: true };
}

function eventsPolicy(filter: (v: JsonValue) => JsonValue | null, verdict: InspectVerdict = { allowed: true, events: filter }): CompiledPolicy {
  const inspector: Inspector = { wants: (op: Operation) => op.id === 'SystemEvents', check: () => verdict };
  return { name: 'events', chain: ['events'], inspector, decide: () => ({ allowed: true, rule: 'all', reason: 'allowed by rule all' }) };
}

const ev = (id: string, action: string, pad = '') => `{"Type":"container","Action":"${action}","Actor":{"ID":"${id}","Attributes":{"pad":"${pad}"}},"time":1}`;
const seen = (e: string) => `${e.slice(0, -1)},"seen":true}\n`;
const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
const EVENTS_HEAD = 'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
const EVENTS = 'GET /v1.41/events HTTP/1.1\r\nHost: d\r\n\r\n';

/** A daemon that hands each events request's socket to the test and answers pings itself. */
async function scriptedDaemon(): Promise<{ daemon: FakeDaemon; nextEvents: () => Promise<net.Socket> }> {
  const waiting: ((s: net.Socket) => void)[] = [];
  const ready: net.Socket[] = [];
  const daemon = await fakeDaemon((socket) => {
    let pending = '';
    socket.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        if (head.includes('/_ping')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK');
        else {
          const w = waiting.shift();
          if (w) w(socket);
          else ready.push(socket);
        }
      }
    });
  });
  const nextEvents = () => new Promise<net.Socket>((resolve) => (ready.length > 0 ? resolve(ready.shift()!) : waiting.push(resolve)));
  return { daemon, nextEvents };
}

class Client {
  readonly socket: net.Socket;
  data = '';
  closed = false;
  private readonly waiters = new Set<() => void>();
  constructor(port: number) {
    this.socket = net.connect({ port, host: '127.0.0.1' });
    this.socket.on('data', (d: Buffer) => {
      this.data += d.toString('latin1');
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => {});
  }
  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
  until(what: string, ok: (c: Client) => boolean, ms = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!ok(this)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.data.slice(0, 2000))}`));
      }, ms);
      this.waiters.add(check);
      check();
    });
  }
}

describe('the events stream filtered as it passes', () => {
  let daemon: FakeDaemon | null = null;
  let proxy: TestProxy | null = null;
  const clients: Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await proxy?.close();
    await daemon?.close();
  });

  async function setUp(filter: (v: JsonValue) => JsonValue | null = marking, verdict?: InspectVerdict) {
    const d = await scriptedDaemon();
    daemon = d.daemon;
    proxy = await proxyTo(d.daemon.path, eventsPolicy(filter, verdict));
    const client = new Client(proxy.port);
    clients.push(client);
    return { client, nextEvents: d.nextEvents, proxy };
  }

  test('each event reaches the client before the daemon sends the next; dropped ones never do', async () => {
    const { client, nextEvents, proxy: p } = await setUp();
    client.socket.write(EVENTS);
    const up = await nextEvents();
    const e1 = ev('a1', 'start');
    const e2 = ev('a2', 'die');
    up.write(EVENTS_HEAD + chunk(`${e1}\n${e2.slice(0, 30)}`));
    await client.until('the first event', (c) => c.data.includes('"a1"'));
    assert.equal(client.data, EVENTS_HEAD + chunk(seen(e1)));
    // Half an event is held, not passed on: e1 and that half came in one write, so by the time e1 is out
    // the half has been read too. (Passed on later, it would break the exact framing checked at the end.)
    assert.doesNotMatch(client.data, /a2/);
    up.write(chunk(`${e2.slice(30)}\n`));
    await client.until('the second event', (c) => c.data.includes('"a2"'));
    const dropped = ev('a3', 'destroy');
    const e4 = ev('a4', 'start');
    // The dropped event is followed by e4: once e4 is out, the dropped one would have been before it.
    up.write(chunk(`${dropped}\n`));
    up.write(chunk(`${e4}\n`));
    await client.until('the fourth event', (c) => c.data.includes('"a4"'));
    up.write('0\r\n\r\n');
    await client.until('the end of the stream', (c) => c.data.endsWith('0\r\n\r\n'));
    assert.equal(client.data, EVENTS_HEAD + chunk(seen(e1)) + chunk(seen(e2)) + chunk(seen(e4)) + '0\r\n\r\n');
    // The exchange ended cleanly: the connection carries the next request.
    client.socket.write('GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n');
    await client.until('the ping answer', (c) => c.data.endsWith('OK'));
    assert.equal(p.log.find((e) => e.operation === 'SystemEvents')?.rule, 'all');
  });

  test('an error answer passes untouched', async () => {
    const { client, nextEvents } = await setUp(() => null);
    client.socket.write(EVENTS);
    const up = await nextEvents();
    const notFound = 'HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 29\r\n\r\n{"message":"page not found"}\n';
    up.write(notFound);
    await client.until('the 404', (c) => c.data.length >= notFound.length);
    assert.equal(client.data, notFound);
  });

  test('an event that cannot be read closes the client connection, and nothing of it is sent', async () => {
    const { client, nextEvents, proxy: p } = await setUp();
    client.socket.write(EVENTS);
    const up = await nextEvents();
    const e1 = ev('a1', 'start');
    up.write(EVENTS_HEAD + chunk(`${e1}\n{"Type":"container","Action":"start",\n${ev('a2', 'start')}\n`));
    await client.until('the connection to close', (c) => c.closed);
    assert.equal(client.data, EVENTS_HEAD + chunk(seen(e1)));
    const entry = await waitForEntry(p, 'the events exchange', (e) => e.operation === 'SystemEvents');
    assert.equal(entry.rule, 'PC_INSPECT_FAILED');
    assert.equal(entry.status, 200);
  });

  test('a daemon that closes mid-event cuts the client off without the partial event', async () => {
    const { client, nextEvents } = await setUp();
    client.socket.write(EVENTS);
    const up = await nextEvents();
    up.end(EVENTS_HEAD + chunk(ev('a1', 'start').slice(0, 25)));
    await client.until('the connection to close', (c) => c.closed);
    assert.equal(client.data, EVENTS_HEAD);
  });

  test('an HTTP/1.0 stream stays close-delimited and ends when the daemon closes', async () => {
    const { client, nextEvents } = await setUp();
    client.socket.write('GET /v1.41/events HTTP/1.0\r\n\r\n');
    const up = await nextEvents();
    const e1 = ev('a1', 'start');
    up.write(`HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n${e1}\n${ev('a2', 'destroy')}\n`);
    await client.until('the first event', (c) => c.data.includes('"a1"'));
    up.end();
    await client.until('the connection to close', (c) => c.closed);
    assert.equal(client.data, `HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${seen(e1)}`);
  });

  test('an HTTP/1.0 Content-Length answer becomes close-delimited, so the proxy closes after it', async () => {
    const { client, nextEvents } = await setUp();
    client.socket.write('GET /v1.41/events?until=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const up = await nextEvents();
    const e1 = ev('a1', 'start');
    const body = `${e1}\n${ev('a2', 'destroy')}\n`;
    up.write(`HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await client.until('the connection to close', (c) => c.closed);
    assert.equal(client.data, `HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n${seen(e1)}`);
  });

  test('a verdict asking for both a held and a streamed filter is refused, not half applied', async () => {
    const { client } = await setUp(marking, { allowed: true, events: marking, response: (v) => v });
    client.socket.write(EVENTS);
    await client.until('the refusal', (c) => c.data.endsWith('}'));
    assert.match(client.data, /^HTTP\/1\.1 403 /);
    assert.match(client.data, /cannot be both held whole and filtered as a stream \(rule PC_INSPECT_FAILED\)/);
    assert.equal(daemon!.received.length, 0);
  });

  test('a client that stops reading pauses the daemon (back-pressure), and the stream resumes intact', async () => {
    const { client, nextEvents } = await setUp((v) => v);
    client.socket.pause();
    client.socket.write(EVENTS);
    const up = await nextEvents();
    const total = 1000;
    const event = (i: number) => ev(`e${i}`, 'start', 'x'.repeat(32 * 1024));
    let sent = 0;
    let accepted = 0;
    const pump = () => {
      while (sent < total) {
        const line = chunk(`${event(sent)}\n`);
        sent++;
        if (!up.write(line, () => (accepted += line.length))) return;
      }
    };
    up.on('drain', pump);
    up.write(EVENTS_HEAD);
    pump();
    // Let the buffers between the daemon and the paused client fill up.
    let before = -1;
    while (before !== accepted) {
      before = accepted;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(sent < total, 'the daemon could not write everything');
    assert.ok(accepted < (total * 32 * 1024) / 2, `the daemon pushed only what the buffers hold (${accepted} bytes)`);
    client.socket.resume();
    // The identity filter re-serialises each event to the same bytes: order and framing survived the pauses.
    let expected = EVENTS_HEAD;
    for (let i = 0; i < total; i++) expected += chunk(`${event(i)}\n`);
    await client.until('every event', (c) => c.data.length >= expected.length, 20000);
    assert.equal(sent, total);
    assert.ok(client.data === expected, 'the client got every event, in order, each in its own chunk');
  });
});
