import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeGoJson, MAX_JSON_DEPTH, serializeJson } from '../../src/inspect/go-json.js';
import { JsonNumber, type JsonValue } from '../../src/inspect/json-value.js';
import { ANY, SCHEMAS, type Descriptor } from '../../src/inspect/schemas.js';

const CREATE = SCHEMAS.ContainerCreate;

function ok(body: string | Buffer, schema: Descriptor = CREATE): JsonValue {
  const r = decodeGoJson(typeof body === 'string' ? Buffer.from(body) : body, schema);
  if (!r.ok) assert.fail(`refused: ${r.reason}`);
  return r.value;
}
function refused(body: string | Buffer, schema: Descriptor = CREATE): string {
  const r = decodeGoJson(typeof body === 'string' ? Buffer.from(body) : body, schema);
  assert.equal(r.ok, false, `accepted ${String(body)}`);
  return (r as { reason: string }).reason;
}
function roundTrip(body: string, schema: Descriptor = CREATE): string {
  return serializeJson(ok(body, schema));
}

test('top-level legacy HostConfig field is canonicalised', () => {
  assert.equal(roundTrip('{"privileged":true}'), '{"Privileged":true}');
});

test('struct keys fold onto the canonical spelling', () => {
  assert.equal(roundTrip('{"HostConfig":{"PRIVILEGED":true}}'), '{"HostConfig":{"Privileged":true}}');
  assert.equal(roundTrip('{"hostconfig":{"Capadd":["ALL"]}}'), '{"HostConfig":{"CapAdd":["ALL"]}}');
  assert.equal(roundTrip('{"HostConfig":{"Pri\\u0076ileged":true}}'), '{"HostConfig":{"Privileged":true}}');
  // ſ (U+017F) folds to s, K (U+212A) to k
  assert.equal(roundTrip('{"HostConfig":{"\u017FecurityOpt":["x"],"Lin\u212As":["a:b"]}}'), '{"HostConfig":{"SecurityOpt":["x"],"Links":["a:b"]}}');
  assert.equal(roundTrip('{"HostConfig":{"\\u017fecurityopt":["x"]}}'), '{"HostConfig":{"SecurityOpt":["x"]}}');
  // ı (U+0131) does not fold to i: an unknown key, kept as sent
  assert.equal(roundTrip('{"HostConfig":{"Prıvileged":true}}'), '{"HostConfig":{"Prıvileged":true}}');
  // Dns is spelled with a json tag
  assert.equal(roundTrip('{"HostConfig":{"DNS":["1.1.1.1"]}}'), '{"HostConfig":{"Dns":["1.1.1.1"]}}');
});

test('duplicates that fold together are refused in structs', () => {
  assert.equal(refused('{"HostConfig":{"Privileged":false,"privileged":true}}'), 'duplicate key "privileged" (folds with "Privileged")');
  assert.equal(refused('{"HostConfig":{"Privileged":false,"Privileged":true}}'), 'duplicate key "Privileged"');
  assert.match(refused('{"HostConfig":{"CapAdd":[],"Cap\\u0041dd":["ALL"]}}'), /duplicate key "CapAdd"/);
  assert.match(refused('{"HostConfig":{"SecurityOpt":[],"\u017FecurityOpt":["seccomp=unconfined"]}}'), /duplicate key/);
  assert.match(refused('{"HostConfig":{},"hostconfig":{"Privileged":true}}'), /duplicate key "hostconfig" \(folds with "HostConfig"\)/);
  // unknown struct keys and unknown-typed objects too
  assert.match(refused('{"Whatever":1,"WHATEVER":2}'), /duplicate key/);
  assert.match(refused('{"a":{"x":1,"X":2}}', ANY), /duplicate key "X" \(folds with "x"\)/);
});

test('map keys are exact: case variants kept, exact duplicates refused', () => {
  assert.deepEqual(Object.keys(ok('{"Labels":{"a":"1","A":"2"}}') as Record<string, JsonValue>), ['Labels']);
  assert.equal(roundTrip('{"Labels":{"a":"1","A":"2"}}'), '{"Labels":{"a":"1","A":"2"}}');
  assert.equal(refused('{"Labels":{"a":"1","a":"2"}}'), 'duplicate key "a"');
  assert.equal(refused('{"Labels":{"a":"1","\\u0061":"2"}}'), 'duplicate key "a"');
  assert.equal(roundTrip('{"HostConfig":{"Sysctls":{"net.ipv4.ip_forward":"1","NET.ipv4.ip_forward":"0"}}}'), '{"HostConfig":{"Sysctls":{"net.ipv4.ip_forward":"1","NET.ipv4.ip_forward":"0"}}}');
  // map keys are not renamed even if they look like field names
  assert.equal(roundTrip('{"Labels":{"privileged":"x"}}'), '{"Labels":{"privileged":"x"}}');
  // values of a map of structs are structs again
  assert.equal(
    roundTrip('{"NetworkingConfig":{"EndpointsConfig":{"net":{"aliases":["a"]},"NET":{}}}}'),
    '{"NetworkingConfig":{"EndpointsConfig":{"net":{"Aliases":["a"]},"NET":{}}}}',
  );
});

test('trailing data after the first value is refused (Go would ignore it)', () => {
  assert.match(refused('{"Image":"x"} {"HostConfig":{"Privileged":true}}'), /trailing data/);
  assert.match(refused('{"Image":"x"}x'), /trailing data/);
  assert.match(refused('1 2', ANY), /trailing data/);
  ok('{"Image":"x"}  \r\n\t');
});

test('numbers are forwarded from their literal', () => {
  assert.equal(roundTrip('{"Memory":9223372036854775807}'), '{"Memory":9223372036854775807}');
  assert.equal(roundTrip('{"HostConfig":{"NanoCpus":-9223372036854775808,"x":1.50e+3}}'), '{"HostConfig":{"NanoCpus":-9223372036854775808,"x":1.50e+3}}');
  const v = ok('{"Memory":9223372036854775807}') as { Memory: JsonNumber };
  assert.ok(v.Memory instanceof JsonNumber);
  assert.equal(v.Memory.literal, '9223372036854775807');
});

test('invalid JSON is refused', () => {
  for (const bad of ['{', '{"a"}', '{"a":}', '[1,]', '{"a":1,}', '01', '1.', '.5', '-', '1e', '+1', 'tru', 'nul', 'NaN', '"\t"', '"\\x"', '"\\u12"', "{'a':1}", '{"a":1}}', '\ufeff{}', '{"a":1 "b":2}']) {
    assert.match(refused(bad, ANY), /invalid JSON|trailing data/, bad);
  }
});

test('empty body is null', () => {
  assert.equal(ok(''), null);
  assert.equal(ok(' \n\t\r '), null);
});

test('nesting limit', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  ok(deep(MAX_JSON_DEPTH), ANY);
  assert.match(refused(deep(MAX_JSON_DEPTH + 1), ANY), /nesting deeper than/);
  assert.match(refused('{"a":'.repeat(100000) + '1' + '}'.repeat(100000), ANY), /nesting deeper than/);
});

test('surrogates and invalid UTF-8 become U+FFFD like Go', () => {
  assert.equal(ok('"\\ud800"', ANY), '\ufffd');
  assert.equal(ok('"\\udc00x"', ANY), '\ufffdx');
  assert.equal(ok('"\\ud800\\u0041"', ANY), '\ufffdA');
  assert.equal(ok('"\\ud800\\ud800\\udc00"', ANY), '\ufffd\u{10000}');
  assert.equal(ok('"\\ud83d\\ude00"', ANY), '😀');
  assert.equal(serializeJson(ok('"\\ud800"', ANY)), '"\ufffd"');
  // invalid bytes: one U+FFFD per byte (utf8.DecodeRune), including truncated sequences
  assert.equal(ok(Buffer.from([0x22, 0xff, 0x61, 0x22]), ANY), '\ufffda');
  assert.equal(ok(Buffer.from([0x22, 0xe2, 0x82, 0x22]), ANY), '\ufffd\ufffd');
  assert.equal(ok(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), ANY), '\ufffd\ufffd\ufffd');
  assert.equal(ok(Buffer.from([0x22, 0xc0, 0xaf, 0x22]), ANY), '\ufffd\ufffd');
  assert.equal(ok(Buffer.from('"é€😀"'), ANY), 'é€😀');
  // a key with an invalid byte still folds after replacement
  assert.match(refused(Buffer.concat([Buffer.from('{"a\ufffd":1,"a'), Buffer.from([0xff]), Buffer.from('":2}')]), ANY), /duplicate key/);
});

test('serializeJson escapes what Go needs and keeps __proto__ as data', () => {
  assert.equal(serializeJson('a"\\\n\r\t\u0001<>&\u2028\u2029'), '"a\\"\\\\\\n\\r\\t\\u0001\\u003c\\u003e\\u0026\\u2028\\u2029"');
  const v = ok('{"__proto__":{"x":1},"Labels":{"__proto__":"y"}}');
  assert.equal(serializeJson(v), '{"__proto__":{"x":1},"Labels":{"__proto__":"y"}}');
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.throws(() => serializeJson(new JsonNumber('1e')));
  assert.throws(() => serializeJson(new JsonNumber('NaN')));
});

test('decoding the serialised output again is a fixed point', () => {
  const body = '{"hostconfig":{"capadd":["ALL"],"Binds":["/:/h"],"Sysctls":{"a":"1","A":"2"}},"Image":"x\\u003c","Labels":{"k":"v"},"memory":1e3}';
  const once = roundTrip(body);
  assert.equal(roundTrip(once), once);
});
