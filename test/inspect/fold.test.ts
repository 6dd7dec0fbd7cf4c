import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goEqualFold, goFoldKey, goFoldRune } from '../../src/inspect/fold.js';

// Orbits from Go's unicode/letter_test.go (simpleFoldTests): every member folds to the same key,
// the key is the orbit minimum.
const ORBITS = ['Aa', 'δΔ', 'KkK', 'Ssſ', 'ρϱΡ', '\u0345Ιιι', 'İ', 'ı', '\u13b0\uab80'];

test('Go SimpleFold orbits (unicode/letter_test.go)', () => {
  for (const orbit of ORBITS) {
    const cps = [...orbit].map((c) => c.codePointAt(0)!);
    const min = Math.min(...cps);
    for (const cp of cps) assert.equal(goFoldRune(cp), min, `U+${cp.toString(16)} in orbit ${orbit}`);
  }
  // singletons really are alone
  assert.notEqual(goFoldKey('İ'), goFoldKey('i'));
  assert.notEqual(goFoldKey('İ'), goFoldKey('I'));
  assert.notEqual(goFoldKey('ı'), goFoldKey('i'));
  assert.notEqual(goFoldKey('ı'), goFoldKey('I'));
});

// Go's strings/bytes EqualFold tests.
const EQUAL_FOLD: [string, string, boolean][] = [
  ['abc', 'abc', true],
  ['ABcd', 'ABcd', true],
  ['123abc', '123ABC', true],
  ['αβδ', 'ΑΒΔ', true],
  ['abc', 'xyz', false],
  ['abc', 'XYZ', false],
  ['abcdefghijk', 'abcdefghijX', false],
  ['abcdefghijk', 'abcdefghij\u212A', true],
  ['abcdefghijK', 'abcdefghij\u212A', true],
  ['abcdefghijkz', 'abcdefghij\u212Ay', false],
  ['abcdefghijKz', 'abcdefghij\u212Ay', false],
  ['1', '2', false],
  ['utf-8', 'US-ASCII', false],
  // field-name cases that matter to Portcullis
  ['Privileged', 'PRIVILEGED', true],
  ['SecurityOpt', 'ſecurityOpt', true],
  ['CapAdd', 'capadd', true],
  ['Links', 'Lin\u212As', true],
  ['Init', 'ınit', false],
  ['Isolation', 'İsolation', false],
  ['ß', 'ẞ', true],
  ['ß', 'ss', false],
  ['ς', 'Σ', true],
  ['Dns', 'DNS', true],
];

test('Go EqualFold cases', () => {
  for (const [a, b, want] of EQUAL_FOLD) {
    assert.equal(goEqualFold(a, b), want, `${a} vs ${b}`);
    assert.equal(goFoldKey(a) === goFoldKey(b), want, `key ${a} vs ${b}`);
  }
});

test('ASCII keys fold like Go foldName (upper case)', () => {
  assert.equal(goFoldKey('privileged'), 'PRIVILEGED');
  assert.equal(goFoldKey('a_b-1{}'), 'A_B-1{}');
  assert.equal(goFoldKey('ſ\u212A'), 'SK');
});

test('orbit table agrees with simple case folding (RegExp /iu) over every cased code point', () => {
  // Every code point that could belong to a non-trivial simple-fold orbit changes under some
  // case mapping or folding.
  const cased = /[\p{Changes_When_Casemapped}\p{Changes_When_Casefolded}]/u;
  const chars: number[] = [];
  for (let c = 0x80; c <= 0x10ffff; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    if (cased.test(String.fromCodePoint(c))) chars.push(c);
  }
  assert.ok(chars.length > 2000);
  const all = chars.map((c) => String.fromCodePoint(c)).join('');
  const byKey = new Map<number, number[]>();
  for (const c of chars) {
    const k = goFoldRune(c);
    const l = byKey.get(k);
    if (l) l.push(c);
    else byKey.set(k, [c]);
  }
  for (const c of chars) {
    const s = String.fromCodePoint(c);
    const esc = /[\\^$.*+?()[\]{}|/-]/.test(s) ? `\\${s}` : s;
    const matches = new Set<number>();
    for (const m of all.matchAll(new RegExp(esc, 'giu'))) matches.add(m[0].codePointAt(0)!);
    // ASCII members are not in `all`; add them through the key
    const expected = new Set((byKey.get(goFoldRune(c)) ?? []).filter((x) => x >= 0x80));
    expected.add(c);
    assert.deepEqual([...matches].sort((a, b) => a - b), [...expected].sort((a, b) => a - b), `U+${c.toString(16)}`);
    // the key is the orbit minimum, ASCII included
    for (let a = 0x41; a <= 0x7a; a++) {
      if (new RegExp(`^${esc}$`, 'iu').test(String.fromCharCode(a))) assert.ok(goFoldRune(c) <= a && goFoldRune(c) === goFoldRune(a));
    }
  }
});
