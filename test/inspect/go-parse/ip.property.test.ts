/**
 * parseGoIp against an independent model of Go's net.ParseIP (Go >= 1.22: netip.ParseAddr, zones
 * refused), written as Go scans: one pass over the characters, an ellipsis index, digits
 * accumulated per field. Plus addresses whose Go reading is documented (net and netip tests).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { goIpEqual, goIpUnspecified, parseGoIp } from '../../../src/inspect/go-parse/ip.js';

function modelV4(s: string): number[] | null {
  const out: number[] = [];
  let val = 0;
  let digLen = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch >= '0' && ch <= '9') {
      if (digLen === 1 && val === 0) return null; // leading zero
      val = val * 10 + Number(ch);
      digLen++;
      if (val > 255) return null;
    } else if (ch === '.') {
      if (i === 0 || i === s.length - 1 || s[i - 1] === '.') return null;
      if (out.length === 3) return null;
      out.push(val);
      val = 0;
      digLen = 0;
    } else return null;
  }
  if (out.length !== 3 || digLen === 0) return null;
  out.push(val);
  return out;
}

function modelV6(input: string): number[] | null {
  const ip = new Array<number>(16).fill(0);
  let s = input;
  let ellipsis = -1;
  if (s.startsWith('::')) {
    ellipsis = 0;
    s = s.slice(2);
    if (s === '') return ip;
  }
  let i = 0;
  while (i < 16) {
    let off = 0;
    let acc = 0;
    while (off < s.length) {
      const d = parseInt(s[off] as string, 16);
      if (Number.isNaN(d) || !/[0-9a-fA-F]/.test(s[off] as string)) break;
      acc = acc * 16 + d;
      off++;
      if (off > 4) return null;
    }
    if (off === 0) return null;
    if (off < s.length && s[off] === '.') {
      if (ellipsis < 0 && i !== 12) return null;
      if (i + 4 > 16) return null;
      const v4 = modelV4(s);
      if (v4 === null) return null;
      ip.splice(i, 4, ...v4);
      i += 4;
      s = '';
      break;
    }
    ip[i] = acc >> 8;
    ip[i + 1] = acc & 0xff;
    i += 2;
    s = s.slice(off);
    if (s === '') break;
    if (s[0] !== ':') return null; // '%' starts a zone, which ParseIP refuses
    if (s.length === 1) return null;
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) return null;
      ellipsis = i;
      s = s.slice(1);
      if (s === '') break;
    }
  }
  if (s !== '') return null;
  if (i < 16) {
    if (ellipsis < 0) return null;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j] as number;
    for (let j = ellipsis + n - 1; j >= ellipsis; j--) ip[j] = 0;
  } else if (ellipsis >= 0) return null;
  return ip;
}

function model(s: string): number[] | null {
  for (const ch of s) {
    if (ch === '.') {
      const v4 = modelV4(s);
      return v4 === null ? null : [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4];
    }
    if (ch === ':') return modelV6(s);
    if (ch === '%') return null;
  }
  return null;
}

function same(s: string): void {
  const got = parseGoIp(s);
  const want = model(s);
  assert.deepEqual(got === null ? null : [...got], want, JSON.stringify(s));
}

test('addresses whose Go reading is known', () => {
  const known: [string, string | null][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.1.2.3', '127.1.2.3'],
    ['::ffff:7f01:0203', '127.1.2.3'],
    ['0:0:0:0:0000:ffff:127.1.2.3', '127.1.2.3'],
    ['2001:4860:0:2001::68', '2001:4860:0:2001::68'],
    ['2001:4860:0000:2001:0000:0000:0000:0068', '2001:4860:0:2001::68'],
    ['::', '::'],
    ['::1', '::1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['127.001.002.003', null],
    ['::ffff:127.001.002.003', null],
    ['123.000.000.000', null],
    ['1.2..4', null],
    ['0123.0.0.1', null],
    ['127.0.0.256', null],
    ['fe80::1%lo0', null],
    ['fe80::1%911', null],
    ['[::1]', null],
    [' 127.0.0.1', null],
    ['127.0.0.1 ', null],
    ['', null],
    ['a1:a2:a3:a4::b1:b2:b3:b4', null],
    ['1:2:3:4:5:6:7:8::', null],
    ['::00001', null],
    ['1:2:3:4:5:6:7:8:9', null],
    ['::1.2.3', null],
    ['1.2.3.4::', null],
    ['abc', null],
    ['123:', null],
  ];
  for (const [s, want] of known) {
    const got = parseGoIp(s);
    if (want === null) assert.equal(got, null, JSON.stringify(s));
    else {
      assert.ok(got !== null, JSON.stringify(s));
      const w = parseGoIp(want);
      assert.ok(w !== null && goIpEqual(got, w), `${JSON.stringify(s)} is ${want}`);
    }
    same(s);
  }
});

test('unspecified addresses are 0.0.0.0, :: and the IPv4-mapped 0.0.0.0', () => {
  for (const s of ['0.0.0.0', '::', '::ffff:0.0.0.0', '0:0:0:0:0:0:0:0', '::0.0.0.0']) assert.ok(goIpUnspecified(parseGoIp(s)!), s);
  for (const s of ['127.0.0.1', '::1', '0.0.0.1', '::ffff:0.0.0.1', '1::']) assert.ok(!goIpUnspecified(parseGoIp(s)!), s);
});

const chars = fc.constantFrom(...'0123456789abcdefABCDEF.:%[] g'.split(''), '::', '.0', '255', '256', '00', 'ffff', '12345');

test('random strings: parseGoIp is the model', () => {
  fc.assert(
    fc.property(fc.array(chars, { maxLength: 24 }).map((a) => a.join('')), (s) => same(s)),
    { numRuns: 20000 },
  );
});

const octet = fc.integer({ min: 0, max: 255 }).map(String);
const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const group = fc.integer({ min: 0, max: 0xffff }).chain((n) => fc.constantFrom(n.toString(16), n.toString(16).toUpperCase(), n.toString(16).padStart(4, '0')));
const v6 = fc
  .tuple(fc.array(group, { minLength: 0, maxLength: 8 }), fc.integer({ min: -1, max: 8 }), fc.option(v4))
  .map(([gs, at, tail]) => {
    const parts = tail === null ? gs : [...gs.slice(0, 6), tail];
    if (at < 0 || at > parts.length) return parts.join(':');
    return `${parts.slice(0, at).join(':')}::${parts.slice(at).join(':')}`;
  });
const mutate = (s: string) =>
  fc.oneof(
    fc.constant(s),
    fc.constant(` ${s}`),
    fc.constant(`[${s}]`),
    fc.constant(`${s}%eth0`),
    fc.nat(Math.max(0, s.length - 1)).map((i) => s.slice(0, i) + s.slice(i + 1)),
    fc.tuple(fc.nat(s.length), fc.constantFrom('0', ':', '.', 'f')).map(([i, c]) => s.slice(0, i) + c + s.slice(i)),
  );

test('near-valid addresses: parseGoIp is the model', () => {
  fc.assert(
    fc.property(fc.oneof(v4, v6).chain(mutate), (s) => same(s)),
    { numRuns: 20000 },
  );
});
