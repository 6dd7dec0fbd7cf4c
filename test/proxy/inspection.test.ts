import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Operation } from '../../src/catalogue/operation.js';
import type { JsonObject, JsonValue } from '../../src/inspect/json-value.js';
import type { Inspector, InspectRequest, InspectVerdict } from '../../src/inspect/types.js';
import type { CompiledPolicy } from '../../src/policy/types.js';
import { countResponses, exchange, fakeDaemon, httpResponder, proxyTo, waitForEntry, type FakeDaemon, type TestProxy } from './fixtures.js';

/**
 * The proxy's side of inspection, with a scripted inspector: the body is read whole, decoded
 * as dockerd decodes it, and what is forwarded is the checked, re-serialised body.
 */
function policyWith(check: (req: InspectRequest) => InspectVerdict | Promise<InspectVerdict>, ops: string[]): CompiledPolicy {
  const inspector: Inspector = { wants: (op: Operation) => ops.includes(op.id), check };
  return {
    name: 'inspecting',
    chain: ['inspecting'],
    inspector,
    decide: () => ({ allowed: true, rule: 'all', reason: 'allowed by rule all' }),
  };
}

/** Answers requests like dockerd would frame them; GET /containers/{id}/json answers a stored inspect. */
function responder(inspect: Record<string, unknown>): (socket: net.Socket) => void {
  return httpResponder((path) => (/^\/containers\/[^/]+\/json$/.test(path) ? JSON.stringify(inspect) : '{"Id":"ok"}'));
}

function bodyOf(raw: string): string {
  return raw.slice(raw.indexOf('\r\n\r\n') + 4);
}

const CREATE = (body: string, extra = '') =>
  `POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('inspected requests', () => {
  let daemon: FakeDaemon;
  let proxy: TestProxy;
  const seen: InspectRequest[] = [];
  before(async () => {
    daemon = await fakeDaemon(responder({ HostConfig: { Privileged: true } }));
    proxy = await proxyTo(daemon.path, proxyPolicy);
  });
  const proxyPolicy = policyWith(
        async (req) => {
          seen.push(req);
          if (req.op.id === 'ContainerStart') {
            const c = await req.lookup(`/containers/${req.params.id}/json`);
            const hc = (c.body as JsonObject).HostConfig as JsonObject;
            if (hc.Privileged === true) return { allowed: false, rule: 'PC_DENIED_START_UNSAFE', reason: 'stored HostConfig.Privileged is true' };
            return { allowed: true, params: { id: (c.body as JsonObject).Id as string } };
          }
          const hc = (req.body as JsonObject | null)?.HostConfig as JsonObject | undefined;
          if (hc?.Privileged === true) return { allowed: false, rule: 'PC_DENIED_PRIVILEGED', reason: 'HostConfig.Privileged is true' };
          if (hc?.Throw === true) throw new Error('boom');
          return { allowed: true };
        },
        ['ContainerCreate', 'ContainerStart'],
  );
  after(async () => {
    await proxy.close();
    await daemon.close();
  });

  test('a case-folded key is checked under its canonical name and forwarded canonical', async () => {
    daemon.received.length = 0;
    const out = await exchange(proxy.port, CREATE('{"Image":"busybox","hostconfig":{"PRIVILEGED":true}}'), { until: (s) => s.endsWith('}') });
    assert.match(out, /^HTTP\/1\.1 403 /);
    assert.match(out, /portcullis: ContainerCreate denied: HostConfig.Privileged is true \(rule PC_DENIED_PRIVILEGED\)/);
    assert.equal(daemon.received.length, 0);
  });

  test('an allowed body is re-serialised and sent with a Content-Length, even when it came chunked', async () => {
    daemon.received.length = 0;
    const json = '{"image":"busybox",  "HostConfig":{"Memory":9223372036854775807}}';
    const chunked = `POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n`;
    const out = await exchange(proxy.port, chunked, { until: (s) => s.endsWith('}') });
    assert.match(out, /^HTTP\/1\.1 200 /);
    const sent = Buffer.concat(daemon.received).toString('utf8');
    assert.doesNotMatch(sent, /Transfer-Encoding/i);
    const body = bodyOf(sent);
    assert.equal(body, '{"Image":"busybox","HostConfig":{"Memory":9223372036854775807}}');
    assert.match(sent, new RegExp(`Content-Length: ${Buffer.byteLength(body)}\\r\\n`));
  });

  test('duplicate keys that fold together are refused', async () => {
    daemon.received.length = 0;
    const out = await exchange(proxy.port, CREATE('{"Image":"b","HostConfig":{"Privileged":false,"privileged":true}}'), { until: (s) => s.endsWith('}') });
    assert.match(out, /^HTTP\/1\.1 403 /);
    assert.match(out, /PC_BAD_JSON/);
    assert.equal(daemon.received.length, 0);
  });

  test('data after the JSON value is refused', async () => {
    daemon.received.length = 0;
    const out = await exchange(proxy.port, CREATE('{"Image":"b"} {"HostConfig":{"Privileged":true}}'), { until: (s) => s.endsWith('}') });
    assert.match(out, /PC_BAD_JSON/);
    assert.equal(daemon.received.length, 0);
  });

  test('a body over the limit is refused with 413 before anything is forwarded', async () => {
    daemon.received.length = 0;
    const big = `{"Image":"b","Labels":{"x":"${'a'.repeat(70 * 1024)}"},"HostConfig":{"Privileged":true}}`;
    const out = await exchange(proxy.port, CREATE(big));
    assert.match(out, /^HTTP\/1\.1 413 /);
    assert.match(out, /PC_BODY_TOO_LARGE/);
    assert.equal(daemon.received.length, 0);
  });

  test('an oversized chunked body is refused with 413 too', async () => {
    daemon.received.length = 0;
    const piece = 'a'.repeat(16 * 1024);
    let wire = 'POST /containers/create HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n';
    for (let i = 0; i < 6; i++) wire += `${piece.length.toString(16)}\r\n${piece}\r\n`;
    wire += '0\r\n\r\n';
    const out = await exchange(proxy.port, wire);
    assert.match(out, /^HTTP\/1\.1 413 /);
    assert.equal(daemon.received.length, 0);
  });

  test('a failing check denies (fail closed)', async () => {
    const out = await exchange(proxy.port, CREATE('{"Image":"b","HostConfig":{"Throw":true}}'), { until: (s) => s.endsWith('}') });
    assert.match(out, /PC_INSPECT_FAILED/);
    assert.match(out, /boom/);
  });

  test('a pre-flight look-up on its own connection decides a start, and the connection stays usable', async () => {
    daemon.received.length = 0;
    const out = await exchange(
      proxy.port,
      'POST /v1.41/containers/c1/start HTTP/1.1\r\nHost: d\r\n\r\nPOST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 13\r\n\r\n{"Image":"b"}',
      { until: (s) => countResponses(s) === 2 && s.endsWith('}') },
    );
    assert.deepEqual([...out.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]), ['403', '200']);
    assert.match(out, /stored HostConfig.Privileged is true \(rule PC_DENIED_START_UNSAFE\)/);
    const sent = Buffer.concat(daemon.received).toString('latin1');
    assert.match(sent, /GET \/containers\/c1\/json HTTP\/1\.1/);
    assert.doesNotMatch(sent, /\/start/);
  });

  test('an allowed pre-flight check forwards the ID it checked, not the reference the client sent', async () => {
    const safe = await fakeDaemon(responder({ Id: 'c'.repeat(64), HostConfig: { Privileged: false } }));
    const p = await proxyTo(safe.path, proxyPolicy);
    try {
      const out = await exchange(p.port, 'POST /v1.41/containers/c1/start HTTP/1.1\r\nHost: d\r\n\r\n', { until: (x) => x.endsWith('}') });
      assert.match(out, /^HTTP\/1\.1 200 /);
      const sent = Buffer.concat(safe.received).toString('latin1');
      assert.match(sent, new RegExp(`POST /v1\\.41/containers/${'c'.repeat(64)}/start HTTP/1\\.1`));
      assert.doesNotMatch(sent, /containers\/c1\/start/);
    } finally {
      await p.close();
      await safe.close();
    }
  });

  test('the decision log records the inspector as the deciding rule', async () => {
    const denied = await waitForEntry(proxy, 'the privileged create', (e) => e.rule === 'PC_DENIED_PRIVILEGED');
    assert.equal(denied.decision, 'deny');
    assert.equal(denied.status, 403);
  });
});

describe('answers that must read like the daemon', () => {
  test('an inspector can answer with its own status and message, and nothing is forwarded', async () => {
    const daemon = await fakeDaemon(responder({}));
    const policy = policyWith(() => ({ allowed: false, rule: 'PC_TEST_HIDDEN', reason: 'hidden from this client', status: 404, message: 'No such container: web' }), ['ContainerInspect']);
    const p = await proxyTo(daemon.path, policy);
    try {
      const out = await exchange(p.port, 'GET /v1.41/containers/web/json HTTP/1.1\r\nHost: d\r\n\r\n', { until: (x) => x.endsWith('}') });
      assert.match(out, /^HTTP\/1\.1 404 /);
      assert.equal(bodyOf(out), '{"message":"No such container: web"}');
      assert.equal(daemon.received.length, 0);
      const entry = await waitForEntry(p, 'the inspect', (e) => e.operation === 'ContainerInspect');
      assert.equal(entry.rule, 'PC_TEST_HIDDEN');
      assert.equal(entry.status, 404);
    } finally {
      await p.close();
      await daemon.close();
    }
  });
});

describe('filtered answers', () => {
  test('a response filter rewrites a chunked inspect answer, and the connection goes on', async () => {
    const doc = '{"Id":"c1","Config":{"Env":["TOKEN=s3cret"]}}';
    const daemon = await fakeDaemon((socket) => {
      let pending = '';
      socket.on('data', (d) => {
        pending += d.toString('latin1');
        while (pending.includes('\r\n\r\n')) {
          const head = pending.slice(0, pending.indexOf('\r\n\r\n'));
          pending = pending.slice(pending.indexOf('\r\n\r\n') + 4);
          if (head.includes('/json')) {
            socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${doc.length.toString(16)}\r\n${doc}\r\n0\r\n\r\n`);
          } else {
            socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK');
          }
        }
      });
    });
    const scrub = (v: JsonValue): JsonValue => ({ ...(v as JsonObject), Config: { Env: [] } });
    const p = await proxyTo(daemon.path, policyWith(() => ({ allowed: true, response: scrub }), ['ContainerInspect']));
    try {
      const out = await exchange(p.port, 'GET /v1.41/containers/c1/json HTTP/1.1\r\nHost: d\r\n\r\nGET /_ping HTTP/1.1\r\nHost: d\r\n\r\n', {
        until: (x) => x.endsWith('OK'),
      });
      assert.doesNotMatch(out, /s3cret|Transfer-Encoding/);
      const filtered = '{"Id":"c1","Config":{"Env":[]}}';
      assert.match(out, new RegExp(`Content-Length: ${filtered.length}\\r\\n\\r\\n${filtered.replace(/[{}[\]]/g, '\\$&')}HTTP/1\\.1 200 OK`));
    } finally {
      await p.close();
      await daemon.close();
    }
  });
});
