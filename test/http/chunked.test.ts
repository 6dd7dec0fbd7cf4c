import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ChunkedDecoder, chunkHeader, CHUNK_END, LAST_CHUNK } from '../../src/http/chunked.js';

function decodeAll(wire: Buffer, splits: number[] = []): { data: Buffer; used: number; error: string | null; done: boolean } {
  const out: Buffer[] = [];
  const d = new ChunkedDecoder((b) => out.push(Buffer.from(b)));
  let used = 0;
  let pos = 0;
  const cuts = [...splits.filter((s) => s > 0 && s < wire.length).sort((a, b) => a - b), wire.length];
  for (const cut of cuts) {
    if (cut <= pos || d.done) continue;
    const n = d.feed(wire.subarray(pos, cut));
    if (n < 0) return { data: Buffer.concat(out), used, error: d.error, done: false };
    used += n;
    pos = cut;
    if (d.done) break;
  }
  return { data: Buffer.concat(out), used, error: null, done: d.done };
}

function encode(pieces: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of pieces) {
    if (p.length === 0) continue;
    parts.push(Buffer.from(chunkHeader(p.length)), p, Buffer.from(CHUNK_END));
  }
  parts.push(Buffer.from(LAST_CHUNK));
  return Buffer.concat(parts);
}

test('decodes a simple body and stops at its end', () => {
  const wire = Buffer.from('5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\nGET /next');
  const r = decodeAll(wire);
  assert.equal(r.data.toString(), 'hello world');
  assert.equal(r.done, true);
  assert.equal(wire.subarray(r.used).toString(), 'GET /next');
});

test('property: re-framed bodies decode to the same bytes however the wire is split', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.array(fc.nat(3000), { maxLength: 10 }), (arrays, splits) => {
      const pieces = arrays.map((a) => Buffer.from(a));
      const wire = encode(pieces);
      const r = decodeAll(wire, splits);
      assert.equal(r.error, null);
      assert.equal(r.done, true);
      assert.equal(r.used, wire.length);
      assert.deepEqual(r.data, Buffer.concat(pieces));
    }),
  );
});

test('malformed chunk framing is refused', () => {
  for (const bad of [
    'x\r\n',
    '\r\n',
    '5\nhello\r\n0\r\n\r\n',
    '5\r\nhelloX\r\n0\r\n\r\n',
    '-5\r\nhello\r\n',
    '0x5\r\nhello\r\n',
    ' 5\r\nhello\r\n',
    '5 \r\nhello\r\n',
    '0\r\nTrailer: x\r\n\r\n',
    '11111111111111111\r\n',
    '5\r\nhello\n0\r\n\r\n',
  ]) {
    const r = decodeAll(Buffer.from(bad));
    assert.notEqual(r.error, null, `accepted ${JSON.stringify(bad)}`);
  }
});
