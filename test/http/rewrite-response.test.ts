import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rewriteJsonResponse } from '../../src/http/rewrite-response.js';
import type { JsonObject, JsonValue } from '../../src/inspect/json-value.js';

const dropEnv = (v: JsonValue): JsonValue => {
  const o = v as JsonObject;
  return { ...o, Config: { ...(o.Config as JsonObject), Env: [] } };
};

test('a Content-Length body is rewritten and re-framed', () => {
  const body = '{"Id":"x","Config":{"Env":["SECRET=1"],"Memory":9223372036854775807}}';
  const raw = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  const out = rewriteJsonResponse(raw, dropEnv, false)!.toString();
  const newBody = '{"Id":"x","Config":{"Env":[],"Memory":9223372036854775807}}';
  assert.equal(out, `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${newBody.length}\r\n\r\n${newBody}`);
});

test('a chunked body is decoded, rewritten and sent with a Content-Length', () => {
  const body = '{"Config":{"Env":["A=b"]}}';
  const raw = Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n${body.slice(0, 5)}\r\n${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`);
  const out = rewriteJsonResponse(raw, dropEnv, false)!.toString();
  assert.doesNotMatch(out, /Transfer-Encoding|A=b/);
  assert.match(out, /\r\nContent-Length: 21\r\n\r\n\{"Config":\{"Env":\[\]\}\}$/);
});

test('errors and HEAD answers pass untouched', () => {
  const err = Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}');
  assert.equal(rewriteJsonResponse(err, dropEnv, false), err);
  const head = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n');
  assert.equal(rewriteJsonResponse(head, dropEnv, true), head);
});

test('an unreadable body is reported, not passed', () => {
  assert.equal(rewriteJsonResponse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n{"a'), dropEnv, false), null);
  assert.equal(rewriteJsonResponse(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), dropEnv, false), null);
});
