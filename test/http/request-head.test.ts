import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRequestHead } from '../../src/http/request-head.js';

const MAX = 64 * 1024;
const parse = (s: string) => parseRequestHead(Buffer.from(s, 'latin1'), MAX);

function ok(s: string) {
  const r = parse(s);
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  return (r as Extract<typeof r, { kind: 'ok' }>).head;
}

function refused(s: string, code = 'PC_BAD_FRAMING') {
  const r = parse(s);
  assert.equal(r.kind, 'error', `expected refusal of ${JSON.stringify(s)}`);
  assert.equal((r as Extract<typeof r, { kind: 'error' }>).code, code);
}

test('a plain GET parses with keep-alive and no body', () => {
  const h = ok('GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: x\r\n\r\n');
  assert.equal(h.method, 'GET');
  assert.equal(h.target, '/_ping');
  assert.equal(h.keepAlive, true);
  assert.equal(h.contentLength, null);
  assert.equal(h.chunked, false);
  assert.equal(h.length, 'GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: x\r\n\r\n'.length);
});

test('an incomplete head waits for more bytes', () => {
  assert.equal(parse('GET /_ping HTTP/1.1\r\nHost: d\r\n').kind, 'incomplete');
});

test('the head length excludes a following pipelined request', () => {
  const a = 'GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n';
  const h = ok(a + 'GET /version HTTP/1.1\r\nHost: d\r\n\r\n');
  assert.equal(h.length, a.length);
});

test('Content-Length and chunked framing are recognised', () => {
  assert.equal(ok('POST /x HTTP/1.1\r\nHost: d\r\nContent-Length: 12\r\n\r\n').contentLength, 12);
  assert.equal(ok('POST /x HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n').chunked, true);
  assert.equal(ok('POST /x HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: Chunked\r\n\r\n').chunked, true);
});

test('ambiguous framing is refused', () => {
  refused('POST /x HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n');
  refused('POST /x HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n');
  refused('POST /x HTTP/1.1\r\nHost: d\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n');
  refused('POST /x HTTP/1.1\r\nHost: d\r\nContent-Length: 5, 5\r\n\r\n');
  refused('POST /x HTTP/1.1\r\nHost: d\r\nContent-Length: +5\r\n\r\n');
  refused('POST /x HTTP/1.1\r\nHost: d\r\nContent-Length: 0x5\r\n\r\n');
  refused('POST /x HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: gzip, chunked\r\n\r\n');
  refused('POST /x HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n');
  refused('POST /x HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: xchunked\r\n\r\n');
});

test('obs-fold, bare LF and malformed names are refused', () => {
  refused('GET /x HTTP/1.1\r\nHost: d\r\nX-A: 1\r\n  continued\r\n\r\n');
  refused('GET /x HTTP/1.1\nHost: d\n\n');
  refused('GET /x HTTP/1.1\r\nHost: d\nX: y\r\n\r\n');
  refused('GET /x HTTP/1.1\r\nHost : d\r\n\r\n');
  refused('GET /x HTTP/1.1\r\nHost: d\r\nX-A: a\x00b\r\n\r\n');
});

test('bodies on HTTP/1.0 are refused, bodiless HTTP/1.0 is not', () => {
  refused('POST /x HTTP/1.0\r\nContent-Length: 3\r\n\r\n');
  refused('POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n');
  const h = ok('GET /_ping HTTP/1.0\r\n\r\n');
  assert.equal(h.keepAlive, false);
  assert.equal(ok('GET /_ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').keepAlive, true);
});

test('other versions, lower-case methods and non-ASCII targets are refused', () => {
  refused('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  refused('GET /_ping HTTP/1.2\r\nHost: d\r\n\r\n');
  refused('get /_ping HTTP/1.1\r\nHost: d\r\n\r\n');
  refused('GET  /_ping HTTP/1.1\r\nHost: d\r\n\r\n');
  refused('GET /_p\xe9ng HTTP/1.1\r\nHost: d\r\n\r\n');
});

test('Host is required once on HTTP/1.1', () => {
  refused('GET /_ping HTTP/1.1\r\n\r\n');
  refused('GET /_ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
});

test('Upgrade needs Connection: upgrade', () => {
  const h = ok('POST /exec/1/start HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  assert.equal(h.upgrade, 'tcp');
  refused('POST /exec/1/start HTTP/1.1\r\nHost: d\r\nUpgrade: tcp\r\n\r\n');
});

test('Connection: close ends keep-alive and names hop-by-hop fields', () => {
  const h = ok('GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close, X-Secret\r\n\r\n');
  assert.equal(h.keepAlive, false);
  assert.ok(h.connectionTokens.has('x-secret'));
});

test('an oversized head is refused, not buffered forever', () => {
  const big = 'GET /_ping HTTP/1.1\r\nHost: d\r\nX: ' + 'a'.repeat(MAX);
  refused(big, 'PC_HEADERS_TOO_LARGE');
});
