import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponseTracker } from '../../src/http/response-tracker.js';

function feedAll(t: ResponseTracker, parts: string[]) {
  return parts.map((p) => t.feed(Buffer.from(p, 'latin1')));
}

test('Content-Length response completes at its last byte, even split', () => {
  const t = new ResponseTracker();
  t.expect(false, false);
  const evs = feedAll(t, ['HTTP/1.1 200 OK\r\nContent-Len', 'gth: 2\r\n\r', '\nO', 'K']);
  assert.deepEqual(evs.map((e) => e.kind), ['more', 'more', 'more', 'complete']);
  assert.equal(t.status, 200);
});

test('chunked response completes after the last chunk', () => {
  const t = new ResponseTracker();
  t.expect(false, false);
  const ev = t.feed(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'));
  assert.equal(ev.kind, 'complete');
});

test('HEAD, 204 and 304 responses have no body', () => {
  const t = new ResponseTracker();
  t.expect(true, false);
  assert.equal(t.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n')).kind, 'complete');
  t.expect(false, false);
  assert.equal(t.feed(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n')).kind, 'complete');
});

test('100 Continue is passed over to the final response', () => {
  const t = new ResponseTracker();
  t.expect(false, false);
  const ev = t.feed(Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n'));
  assert.equal(ev.kind, 'complete');
  assert.equal(t.status, 201);
});

test('101 is a hijack at the end of the head', () => {
  const t = new ResponseTracker();
  t.expect(false, true);
  const head = 'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n';
  const ev = t.feed(Buffer.from(head + 'stdout bytes'));
  assert.deepEqual(ev, { kind: 'hijack', at: head.length });
});

test('a 200 raw stream without framing is a hijack only for hijacking operations', () => {
  const head = 'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\r\n';
  const t = new ResponseTracker();
  t.expect(false, true);
  assert.equal(t.feed(Buffer.from(head)).kind, 'hijack');
  t.expect(false, false);
  assert.equal(t.feed(Buffer.from(head)).kind, 'more');
  assert.equal(t.untilClose, true);
});

test('a 404 with a body on a hijacking operation is an ordinary response', () => {
  const t = new ResponseTracker();
  t.expect(false, true);
  const ev = t.feed(Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'));
  assert.equal(ev.kind, 'complete');
});

test('Connection: close is noticed', () => {
  const t = new ResponseTracker();
  t.expect(false, false);
  t.feed(Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'));
  assert.equal(t.closes, true);
});

test('malformed upstream framing is an error, not a guess', () => {
  const t = new ResponseTracker();
  t.expect(false, false);
  assert.equal(t.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n')).kind, 'error');
  t.expect(false, false);
  assert.equal(t.feed(Buffer.from('garbage\r\n\r\n')).kind, 'error');
});
