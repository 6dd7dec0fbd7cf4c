import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { JsonStreamFilter, MAX_STREAM_VALUE_BYTES, type StreamFilter } from '../../src/http/json-stream-filter.js';
import { decodeGoJson, serializeJson } from '../../src/inspect/go-json.js';
import type { JsonObject } from '../../src/inspect/json-value.js';
import { EVENT_MESSAGE } from '../../src/inspect/stream-schemas.js';

const CHUNKED_HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';

const keepAll: StreamFilter = (v) => v;
const dropAll: StreamFilter = () => null;
/** Drops "destroy" events and marks the others, so both outcomes show. */
const someDropped: StreamFilter = (v) => {
  const o = v as JsonObject;
  return o.Action === 'destroy' ? null : { ...o, seen: true };
};

function filterOf(filter: StreamFilter, opts: { headRequest?: boolean; maxValueBytes?: number } = {}) {
  const pieces: Buffer[] = [];
  const f = new JsonStreamFilter({
    filter,
    schema: EVENT_MESSAGE,
    headRequest: opts.headRequest ?? false,
    sink: (b) => pieces.push(Buffer.from(b)),
    ...(opts.maxValueBytes === undefined ? {} : { maxValueBytes: opts.maxValueBytes }),
  });
  const out = (): string => Buffer.concat(pieces).toString('utf8');
  return { f, pieces, out };
}

function chunk(s: string): string {
  return `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
}

/** The payloads of a chunked body, checking its framing; throws unless it ends with the last chunk. */
function dechunk(body: string): string[] {
  const raw = Buffer.from(body, 'utf8');
  const out: string[] = [];
  let i = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', i);
    assert.ok(eol > i, `chunk size line at ${i}`);
    const size = parseInt(raw.toString('latin1', i, eol), 16);
    i = eol + 2;
    if (size === 0) {
      assert.equal(raw.toString('latin1', i), '\r\n', 'nothing after the last chunk');
      return out;
    }
    out.push(raw.toString('utf8', i, i + size));
    i += size;
    assert.equal(raw.toString('latin1', i, i + 2), '\r\n');
    i += 2;
  }
}

function split(out: string): { head: string; body: string } {
  const end = out.indexOf('\r\n\r\n');
  return { head: out.slice(0, end + 4), body: out.slice(end + 4) };
}

const E1 = '{"Type":"container","Action":"start","Actor":{"ID":"a1","Attributes":{"name":"web"}},"time":1}';
const E2 = '{"Type":"container","Action":"destroy","Actor":{"ID":"a2","Attributes":{}},"time":2}';
const E3 = '{"Type":"network","Action":"connect","Actor":{"ID":"n1","Attributes":{"x":"a\\nb"}},"time":3}';

describe('json stream filter', () => {
  test('each kept event becomes one chunk as soon as its line ends; dropped ones are not sent', () => {
    const { f, pieces, out } = filterOf(someDropped);
    assert.ok(f.feed(Buffer.from(CHUNKED_HEAD)));
    assert.equal(pieces.length, 1, 'the head goes out at once');
    assert.ok(f.feed(Buffer.from(chunk(`${E1}\n${E2.slice(0, 10)}`))));
    assert.equal(pieces.length, 2, 'the first event goes out without waiting for the second');
    assert.ok(f.feed(Buffer.from(chunk(`${E2.slice(10)}\n`))));
    assert.equal(pieces.length, 2, 'a dropped event sends nothing');
    assert.ok(f.feed(Buffer.from(chunk(`${E3}\n`) + '0\r\n\r\n')));
    assert.ok(f.done);
    const { head, body } = split(out());
    assert.equal(head, CHUNKED_HEAD);
    const marked = (e: string) => `${e.slice(0, -1)},"seen":true}\n`;
    assert.deepEqual(dechunk(body), [marked(E1), marked(E3)]);
    assert.equal(pieces.at(-1)!.toString(), '0\r\n\r\n');
  });

  test('a drop-everything filter sends the head and the last chunk only', () => {
    const { f, out } = filterOf(dropAll);
    assert.ok(f.feed(Buffer.from(CHUNKED_HEAD + chunk(`${E1}\n${E2}\n`) + '0\r\n\r\n')));
    assert.equal(out(), `${CHUNKED_HEAD}0\r\n\r\n`);
  });

  test('whitespace and empty lines between values are skipped; CRLF line ends are read', () => {
    const { f, out } = filterOf(keepAll);
    assert.ok(f.feed(Buffer.from(CHUNKED_HEAD + chunk(`\n  \n${E1}\r\n\t\r\n ${E3} \n\n`) + '0\r\n\r\n')));
    assert.deepEqual(dechunk(split(out()).body), [`${E1}\n`, `${E3}\n`]);
  });

  test('what is kept of an unfinished event is a copy: the read buffer may be reused', () => {
    const { f, out } = filterOf(keepAll);
    const wire = Buffer.from(CHUNKED_HEAD + chunk(`${E1}\n`) + '0\r\n\r\n');
    const cut = CHUNKED_HEAD.length + 20;
    const scratch = Buffer.alloc(wire.length);
    wire.copy(scratch, 0, 0, cut);
    assert.ok(f.feed(scratch.subarray(0, cut)));
    scratch.fill('x');
    wire.copy(scratch, 0, cut);
    assert.ok(f.feed(scratch.subarray(0, wire.length - cut)));
    assert.deepEqual(dechunk(split(out()).body), [`${E1}\n`]);
  });

  test('an event above the bound fails before its end arrives', () => {
    const { f, out } = filterOf(keepAll);
    assert.ok(f.feed(Buffer.from(CHUNKED_HEAD + chunk(`${E1}\n`))));
    const big = `{"Type":"container","Actor":{"ID":"${'a'.repeat(MAX_STREAM_VALUE_BYTES)}`;
    assert.equal(f.feed(Buffer.from(chunk(big))), false);
    assert.match(f.error!, /larger than 1048576 bytes/);
    assert.equal(f.feed(Buffer.from(chunk('"}}\n'))), false, 'nothing more is taken');
    assert.deepEqual(split(out()).body, chunk(`${E1}\n`));
  });

  test('an event exactly at the bound passes, one byte more does not', () => {
    const e = `{"id":"${'a'.repeat(20)}"}`;
    const { f, out } = filterOf(keepAll, { maxValueBytes: e.length });
    assert.equal(f.feed(Buffer.from(CHUNKED_HEAD + chunk(`${e}\n${e} \n`))), false);
    assert.equal(f.error, 'a value is larger than 29 bytes');
    assert.deepEqual(split(out()).body, chunk(`${e}\n`));
  });

  for (const [name, garbage] of [
    ['cut JSON', '{"Type":"container",\n'],
    ['two values on a line', '{"id":"a"} {"id":"b"}\n'],
    ['keys that fold together', '{"Type":"a","type":"b"}\n'],
    ['not JSON at all', 'HTTP/1.1 200 OK\n'],
  ] as const) {
    test(`garbage (${name}) stops the filter and nothing of it, or after it, is sent`, () => {
      const { f, out } = filterOf(keepAll);
      assert.equal(f.feed(Buffer.from(CHUNKED_HEAD + chunk(`${E1}\n${garbage}${E3}\n`))), false);
      assert.match(f.error!, /a value cannot be read/);
      assert.deepEqual(split(out()).body, chunk(`${E1}\n`));
      assert.equal(f.feed(Buffer.from('0\r\n\r\n')), false);
      assert.equal(f.done, false);
    });
  }

  test('a filter that throws stops the stream', () => {
    const { f } = filterOf(() => {
      throw new Error('boom');
    });
    assert.equal(f.feed(Buffer.from(CHUNKED_HEAD + chunk(`${E1}\n`))), false);
    assert.equal(f.error, 'the filter failed: boom');
  });

  test('broken chunked framing and bytes after the end fail', () => {
    const a = filterOf(keepAll);
    assert.equal(a.f.feed(Buffer.from(`${CHUNKED_HEAD}zz\r\n`)), false);
    assert.match(a.f.error!, /malformed chunked framing/);
    const b = filterOf(keepAll);
    assert.equal(b.f.feed(Buffer.from(`${CHUNKED_HEAD}0\r\n\r\nHTTP/1.1 200 OK\r\n`)), false);
    assert.equal(b.f.error, 'bytes after the end of the answer');
  });

  test('a daemon closing a chunked stream mid-answer is a failure', () => {
    const { f } = filterOf(keepAll);
    assert.ok(f.feed(Buffer.from(CHUNKED_HEAD + chunk(`${E1}\n`))));
    assert.equal(f.end(), false);
  });

  test('a non-200 answer passes untouched, whatever its body', () => {
    const err = 'HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{"message":1';
    const { f, out } = filterOf(dropAll);
    assert.ok(f.feed(Buffer.from(err.slice(0, 30))));
    assert.ok(f.feed(Buffer.from(err.slice(30))));
    assert.ok(f.done);
    assert.equal(out(), err);
  });

  test('a HEAD answer is its head only, untouched', () => {
    const head = 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n';
    const { f, out } = filterOf(dropAll, { headRequest: true });
    assert.ok(f.feed(Buffer.from(head)));
    assert.ok(f.done);
    assert.equal(out(), head);
  });

  test('an interim 1xx head passes and the final one is filtered', () => {
    const { f, out } = filterOf(dropAll);
    assert.ok(f.feed(Buffer.from(`HTTP/1.1 100 Continue\r\n\r\n${CHUNKED_HEAD}${chunk(`${E1}\n`)}0\r\n\r\n`)));
    assert.equal(out(), `HTTP/1.1 100 Continue\r\n\r\n${CHUNKED_HEAD}0\r\n\r\n`);
  });

  test('a Content-Length answer on HTTP/1.1 is re-framed as chunked', () => {
    const body = `${E1}\n${E2}\n`;
    const { f, out } = filterOf(someDropped);
    assert.ok(f.feed(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nApi-Version: 1.41\r\n\r\n${body}`)));
    assert.ok(f.done);
    assert.equal(f.closes, false);
    const { head, body: sent } = split(out());
    assert.equal(head, 'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nTransfer-Encoding: chunked\r\n\r\n');
    assert.deepEqual(dechunk(sent), [`${E1.slice(0, -1)},"seen":true}\n`]);
  });

  test('an empty Content-Length answer ends at once', () => {
    const { f, out } = filterOf(keepAll);
    assert.ok(f.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')));
    assert.ok(f.done);
    assert.equal(out(), 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
  });

  test('on HTTP/1.0 a Content-Length answer becomes close-delimited', () => {
    const body = `${E1}\n`;
    const { f, out } = filterOf(keepAll);
    assert.ok(f.feed(Buffer.from(`HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: ${body.length}\r\n\r\n${body}`)));
    assert.ok(f.done);
    assert.ok(f.closes);
    assert.equal(out(), `HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n${E1}\n`);
  });

  test('a close-delimited answer stays so, and a last value without its newline still counts', () => {
    const { f, out } = filterOf(keepAll);
    assert.ok(f.feed(Buffer.from(`HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n${E1}\n${E3}`)));
    assert.equal(out(), `HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${E1}\n`);
    assert.equal(f.done, false);
    assert.ok(f.end());
    assert.ok(f.done);
    assert.ok(out().endsWith(`${E1}\n${E3}\n`));
  });

  test('a close-delimited answer cut inside a value fails at the close', () => {
    const { f } = filterOf(keepAll);
    assert.ok(f.feed(Buffer.from(`HTTP/1.0 200 OK\r\n\r\n${E1.slice(0, 20)}`)));
    assert.equal(f.end(), false);
    assert.match(f.error!, /a value cannot be read/);
  });

  test('labels that differ only in case are read as the CLI reads them, not refused', () => {
    const e = '{"Type":"container","Action":"start","Actor":{"ID":"a","Attributes":{"Tier":"1","tier":"2"}}}';
    const { f, out } = filterOf(keepAll);
    assert.ok(f.feed(Buffer.from(`${CHUNKED_HEAD}${chunk(`${e}\n`)}0\r\n\r\n`)));
    assert.deepEqual(dechunk(split(out()).body), [`${e}\n`]);
  });
});

// ---------------------------------------------------------------- property

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('a', 'Z', '\n', '\r', '"', '\\', '/', '\t', '<', 'é', '\u2028', '😀', ' ', '0'), maxLength: 12 }),
);
const event = fc.record({
  Type: fc.constantFrom('container', 'network', 'image'),
  Action: fc.constantFrom('start', 'destroy', 'die'),
  Actor: fc.record({ ID: text, Attributes: fc.dictionary(text, text, { maxKeys: 4 }) }),
  time: fc.nat(),
});
/** An event line as json.Encoder writes it, or whitespace between values. */
const line = fc.oneof(
  { weight: 5, arbitrary: event.map((e) => `${JSON.stringify(e)}\n`) },
  { weight: 1, arbitrary: fc.constantFrom('\n', ' \n', '\t\r\n') },
);
const framing = fc.constantFrom('chunked', 'length', 'close');

/** `bytes` cut at the given points (taken modulo its length, so they fall anywhere). */
function cutAt(bytes: Buffer, points: number[]): Buffer[] {
  const cuts = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...cuts, bytes.length]) {
    if (c > from) out.push(bytes.subarray(from, c));
    from = Math.max(from, c);
  }
  return out;
}

/** The reference: each line decoded, filtered and re-serialised on its own. */
function expected(lines: string[], filter: StreamFilter): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (l.trim() === '') continue;
    const d = decodeGoJson(Buffer.from(l), EVENT_MESSAGE);
    assert.ok(d.ok);
    const kept = filter(d.value);
    if (kept !== null) out.push(`${serializeJson(kept)}\n`);
  }
  return out;
}

test('property: any event sequence, chunked and read in any pieces, comes out filtered one event per chunk', () => {
  fc.assert(
    fc.property(
      fc.array(line, { maxLength: 8 }),
      framing,
      fc.array(fc.nat(), { maxLength: 10 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.constantFrom(keepAll, dropAll, someDropped),
      (lines, how, chunkCuts, readCuts, filter) => {
        const body = Buffer.from(lines.join(''), 'utf8');
        let wire: Buffer;
        if (how === 'chunked') {
          const parts = cutAt(body, chunkCuts).map((p) => Buffer.concat([Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from('\r\n')]));
          wire = Buffer.concat([Buffer.from(CHUNKED_HEAD), ...parts, Buffer.from('0\r\n\r\n')]);
        } else if (how === 'length') {
          wire = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
        } else {
          wire = Buffer.concat([Buffer.from('HTTP/1.0 200 OK\r\n\r\n'), body]);
        }
        const { f, pieces, out } = filterOf(filter);
        // Fed as the proxy feeds it: views of one reused read buffer.
        const scratch = Buffer.alloc(wire.length);
        for (const piece of cutAt(wire, readCuts)) {
          piece.copy(scratch);
          assert.ok(f.feed(scratch.subarray(0, piece.length)), f.error ?? '');
          scratch.fill(0x7b);
        }
        if (how === 'close') assert.ok(f.end(), f.error ?? '');
        assert.ok(f.done);
        const want = expected(lines, filter);
        const { head, body: sent } = split(out());
        if (how === 'close') {
          assert.equal(head, 'HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n');
          assert.equal(sent, want.join(''));
        } else {
          assert.equal(head, how === 'chunked' ? CHUNKED_HEAD : 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
          assert.deepEqual(dechunk(sent), want);
          // One write per kept event, after the head and before the last chunk.
          assert.equal(pieces.length, want.length + 2);
        }
      },
    ),
    { numRuns: 400 },
  );
});
