import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { allowOnly, countResponses, exchange, fakeDaemon, httpResponder, proxyTo, waitForEntry, type FakeDaemon, type TestProxy } from './fixtures.js';

const PING = 'GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n';

describe('pipelining and keep-alive', () => {
  let daemon: FakeDaemon;
  let proxy: TestProxy;
  before(async () => {
    daemon = await fakeDaemon(httpResponder());
    proxy = await proxyTo(daemon.path, allowOnly('SystemPing', 'ContainerList', 'ContainerCreate'));
  });
  after(async () => {
    await proxy.close();
    await daemon.close();
  });

  test('an allowed and a denied request in one write are each authorised, in order', async () => {
    daemon.received.length = 0;
    const out = await exchange(proxy.port, PING + 'GET /v1.41/containers/abc/logs?stdout=1 HTTP/1.1\r\nHost: docker\r\n\r\n' + PING, {
      until: (s) => countResponses(s) === 3,
    });
    const statuses = [...out.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ['200', '403', '200']);
    assert.match(out, /"message":"portcullis: ContainerLogs denied: no rule allows ContainerLogs \(rule PC_DENIED_DEFAULT\)"/);
    const sent = Buffer.concat(daemon.received).toString('latin1');
    assert.doesNotMatch(sent, /logs/);
    assert.equal(sent.split('GET /_ping').length - 1, 2);
  });

  test('a denied request with a small body keeps the connection and never reaches the daemon', async () => {
    daemon.received.length = 0;
    const body = '{"Image":"busybox","HostConfig":{"Privileged":true}}';
    const denied = `POST /v1.41/containers/abc/update HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const out = await exchange(proxy.port, denied + PING, { until: (s) => countResponses(s) === 2 });
    assert.deepEqual([...out.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]), ['403', '200']);
    assert.doesNotMatch(Buffer.concat(daemon.received).toString('latin1'), /update|Privileged/);
  });

  test('a client that half-closes after a partial request gets its answers and the connection ends', async () => {
    // exchange() resolves only when the proxy closes its side.
    const out = await exchange(proxy.port, PING + 'GET /_ping HTTP/1.1\r\nHost: d\r\n', { endAfterWrite: true });
    assert.equal(countResponses(out), 1);
  });

  test('a chunked body is re-framed: extensions dropped, chunks re-encoded', async () => {
    daemon.received.length = 0;
    const req = 'POST /containers/create HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n' + '5;ext=evil\r\n{"Ima\r\n8\r\nge":"x"}\r\n0\r\n\r\n';
    const out = await exchange(proxy.port, req, { until: (s) => countResponses(s) === 1 && s.endsWith('}') });
    assert.match(out, /200 OK/);
    const sent = Buffer.concat(daemon.received).toString('latin1');
    assert.doesNotMatch(sent, /ext=evil/);
    assert.match(sent, /Transfer-Encoding: chunked\r\n/);
    const body = sent.slice(sent.indexOf('\r\n\r\n') + 4);
    assert.match(body, /0\r\n\r\n$/);
    assert.equal(body.replace(/[0-9a-f]+\r\n(.*?)\r\n/gs, '$1'), '{"Image":"x"}');
  });

  test('the forwarded head is canonical and carries no credentials or hop-by-hop fields', async () => {
    daemon.received.length = 0;
    await exchange(
      proxy.port,
      'GET /v01.041/containers/json?all=1 HTTP/1.1\r\nHost: d\r\nAuthorization: Bearer secret\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Keep: 2\r\n\r\n',
      { until: (s) => countResponses(s) === 1 && s.endsWith('}') },
    );
    const sent = Buffer.concat(daemon.received).toString('latin1');
    assert.match(sent, /^GET \/v1\.41\/containers\/json\?all=1 HTTP\/1\.1\r\n/);
    assert.doesNotMatch(sent, /secret|X-Hop/);
    assert.match(sent, /X-Keep: 2\r\n/);
  });
});

describe('framing attacks', () => {
  let daemon: FakeDaemon;
  let proxy: TestProxy;
  before(async () => {
    daemon = await fakeDaemon(httpResponder());
    proxy = await proxyTo(daemon.path, allowOnly('SystemPing', 'ContainerCreate'));
  });
  after(async () => {
    await proxy.close();
    await daemon.close();
  });

  // 'refused': the head itself is bad, so nothing is forwarded and the client gets the Docker-style 400.
  // 'cut': the head was good and went upstream with the body streaming behind it; a bad chunk can then
  // only end both connections, and the daemon must not have received a complete request.
  for (const [name, payload, outcome] of [
    ['Content-Length with Transfer-Encoding (CVE-2024-41110 shape)', 'POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 'refused'],
    ['duplicate Content-Length', 'POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\nContent-Length: 20\r\n\r\n{}', 'refused'],
    ['obs-fold', 'GET /_ping HTTP/1.1\r\nHost: d\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n', 'refused'],
    ['a smuggled request in a malformed chunk', 'POST /containers/create HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX\r\nGET /containers/x/logs HTTP/1.1\r\nHost: d\r\n\r\n', 'cut'],
  ] as const) {
    test(`refuses ${name} and forwards nothing after it`, async () => {
      daemon.received.length = 0;
      const out = await exchange(proxy.port, payload);
      // Everything the daemon will ever get from this exchange is in once the proxy has closed its side.
      await daemon.allEnded();
      const sent = Buffer.concat(daemon.received).toString('latin1');
      if (outcome === 'refused') {
        assert.match(out, /^HTTP\/1\.1 400 Bad Request\r\n/, out);
        assert.match(JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)).message, /^portcullis: request denied: .* \(rule PC_BAD_FRAMING\)$/);
        assert.equal(sent, '');
      } else {
        assert.equal(out, '');
        // The head may or may not have left before the cut (a socket still connecting drops it); what
        // reached the daemon is never a whole request.
        if (sent !== '') assert.match(sent, /^POST \/containers\/create HTTP\/1\.1\r\n/);
        assert.ok(!sent.includes('0\r\n\r\n'), `the daemon got a complete chunked body: ${JSON.stringify(sent)}`);
        assert.doesNotMatch(sent, /logs|XX/);
      }
    });
  }
});

describe('hijacked streams', () => {
  test('a 101 upgrade becomes a raw pipe with half-close both ways', async () => {
    const daemon = await fakeDaemon((s) => {
      let upgraded = false;
      let stdin = '';
      s.on('data', (d) => {
        if (!upgraded) {
          upgraded = true;
          s.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
          return;
        }
        stdin += d.toString();
      });
      s.on('end', () => {
        // output that only exists after stdin is closed, like `sh -c 'cat; echo done'`
        s.end(`${stdin}done\n`);
      });
    });
    const proxy = await proxyTo(daemon.path, allowOnly('ContainerAttach'));
    try {
      const out = await new Promise<string>((resolve, reject) => {
        const c = net.connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
        let all = '';
        c.on('data', (d) => {
          all += d.toString();
          if (all.includes('\r\n\r\n') && !c.writableEnded) {
            c.write('abc\n');
            c.end();
          }
        });
        c.on('end', () => resolve(all));
        c.on('error', reject);
        c.write('POST /v1.41/containers/abc/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      });
      assert.match(out, /^HTTP\/1\.1 101 /);
      assert.match(out, /abc\ndone\n$/);
      const entry = await waitForEntry(proxy, 'the attach', (e) => e.operation === 'ContainerAttach');
      assert.equal(entry.status, 101);
    } finally {
      await proxy.close();
      await daemon.close();
    }
  });

  test('a 200 raw stream without Upgrade is hijacked for exec start', async () => {
    const daemon = await fakeDaemon((s) => {
      let started = false;
      s.on('data', (d) => {
        if (!started) {
          started = true;
          s.write('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nhello ');
          return;
        }
        s.write(d);
      });
      s.on('end', () => s.end());
    });
    const proxy = await proxyTo(daemon.path, allowOnly('ExecStart'));
    try {
      const body = '{"Detach":false,"Tty":true}';
      const out = await new Promise<string>((resolve, reject) => {
        const c = net.connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
        let all = '';
        c.on('data', (d) => {
          all += d.toString();
          if (all.endsWith('hello ') ) {
            c.write('world');
            c.end();
          }
        });
        c.on('end', () => resolve(all));
        c.on('error', reject);
        c.write(`POST /exec/e1/start HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      });
      assert.match(out, /hello world$/);
    } finally {
      await proxy.close();
      await daemon.close();
    }
  });

  test('an Upgrade on an operation that does not hijack is refused', async () => {
    const daemon = await fakeDaemon(httpResponder());
    const proxy = await proxyTo(daemon.path, allowOnly('SystemPing'));
    try {
      const out = await exchange(proxy.port, 'GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n', {
        until: (s) => s.includes('}'),
      });
      assert.match(out, /^HTTP\/1\.1 403 /);
      assert.match(out, /PC_UPGRADE_REFUSED/);
      assert.equal(daemon.received.length, 0);
    } finally {
      await proxy.close();
      await daemon.close();
    }
  });
});

describe('upstream faults', () => {
  test('a daemon that is down gives a 502 with a JSON message', async () => {
    const proxy = await proxyTo('/nonexistent/docker.sock', allowOnly('SystemPing'));
    try {
      const out = await exchange(proxy.port, PING);
      assert.match(out, /^HTTP\/1\.1 502 /);
      const body = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4));
      assert.match(body.message, /^portcullis: SystemPing failed: the Docker daemon is unreachable/);
    } finally {
      await proxy.close();
    }
  });

  test('a keep-alive connection dropped by the daemon is redialled for the next request', async () => {
    const daemon = await fakeDaemon((s) => {
      s.once('data', () => {
        s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK');
      });
    });
    const proxy = await proxyTo(daemon.path, allowOnly('SystemPing'));
    try {
      const c = net.connect({ port: proxy.port, host: '127.0.0.1' });
      let all = '';
      const got = (n: number) =>
        new Promise<void>((resolve) => {
          const check = () => {
            if (countResponses(all) >= n) {
              c.off('data', on);
              resolve();
            }
          };
          const on = (d: Buffer) => {
            all += d.toString();
            check();
          };
          c.on('data', on);
          check();
        });
      c.write(PING);
      await got(1);
      // The daemon's side sees an end once the proxy has taken in the daemon's close.
      await daemon.allEnded();
      c.write(PING);
      await got(2);
      c.destroy();
      assert.equal(daemon.connections, 2);
    } finally {
      await proxy.close();
      await daemon.close();
    }
  });

  test('a close-delimited response ends the client connection', async () => {
    const daemon = await fakeDaemon((s) => {
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nstream until close'));
    });
    const proxy = await proxyTo(daemon.path, allowOnly('SystemPing'));
    try {
      const out = await exchange(proxy.port, PING);
      assert.match(out, /stream until close$/);
    } finally {
      await proxy.close();
      await daemon.close();
    }
  });
});

describe('bodies dockerd would read as query parameters', () => {
  let daemon: FakeDaemon;
  let proxy: TestProxy;
  before(async () => {
    daemon = await fakeDaemon(httpResponder());
    proxy = await proxyTo(daemon.path, allowOnly('ContainerKill', 'SystemPing'));
  });
  after(async () => {
    await proxy.close();
    await daemon.close();
  });

  for (const ct of ['application/x-www-form-urlencoded', 'Application/X-WWW-Form-Urlencoded; charset=utf-8', 'multipart/form-data; boundary=x']) {
    test(`a ${ct} body is refused before reaching the daemon`, async () => {
      daemon.received.length = 0;
      const body = 'signal=KILL';
      const out = await exchange(proxy.port, `POST /containers/x/kill?signal=HUP HTTP/1.1\r\nHost: d\r\nContent-Type: ${ct}\r\nContent-Length: ${body.length}\r\n\r\n${body}` + PING, {
        until: (s) => countResponses(s) === 2,
      });
      assert.deepEqual([...out.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]), ['403', '200']);
      assert.match(out, /PC_FORM_BODY/);
      assert.doesNotMatch(Buffer.concat(daemon.received).toString('latin1'), /kill/);
    });
  }

  test('the same request with a JSON content type passes', async () => {
    daemon.received.length = 0;
    const out = await exchange(proxy.port, 'POST /containers/x/kill?signal=HUP HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', {
      until: (s) => countResponses(s) === 1 && s.endsWith('}'),
    });
    assert.match(out, /^HTTP\/1\.1 200 /);
    assert.match(Buffer.concat(daemon.received).toString('latin1'), /kill\?signal=HUP/);
  });
});

describe('protocol upgrades per operation', () => {
  test('attach/ws forwards a websocket upgrade; attach refuses one', async () => {
    const daemon = await fakeDaemon((s) => {
      s.once('data', () => s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nframes'));
    });
    const proxy = await proxyTo(daemon.path, allowOnly('ContainerAttachWebsocket', 'ContainerAttach'));
    try {
      const ws = 'GET /v1.41/containers/c/attach/ws?stream=1 HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
      const out = await exchange(proxy.port, ws, { until: (s) => s.endsWith('frames') });
      assert.match(out, /^HTTP\/1\.1 101 /);
      const sent = Buffer.concat(daemon.received).toString('latin1');
      assert.match(sent, /Upgrade: websocket\r\n/);
      assert.match(sent, /Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n/);

      daemon.received.length = 0;
      const wrong = await exchange(proxy.port, 'POST /containers/c/attach HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', { until: (s) => s.endsWith('}') });
      assert.match(wrong, /^HTTP\/1\.1 403 /);
      assert.match(wrong, /switches to \\"tcp\\" only/);
      assert.equal(daemon.received.length, 0);
    } finally {
      await proxy.close();
      await daemon.close();
    }
  });
});
