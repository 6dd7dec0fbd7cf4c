/**
 * normalizeGoCapability against a model of oci/caps NormalizeLegacyCapabilities: Go's
 * strings.ToUpper maps each rune by its simple (one rune to one rune) upper case, modelled here
 * with JavaScript's toUpperCase where that yields a single code point and the rune itself
 * otherwise; then "ALL" as is, else "CAP_" prefixed when missing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { normalizeGoCapability } from '../../../src/inspect/go-parse/capability.js';

function goToUpper(s: string): string {
  let out = '';
  for (const ch of s) {
    const up = ch.toUpperCase();
    out += [...up].length === 1 ? up : ch;
  }
  return out;
}

function model(s: string): string {
  const c = goToUpper(s);
  if (c === 'ALL') return c;
  return c.startsWith('CAP_') ? c : `CAP_${c}`;
}

/** The implementation may refuse (null) exactly the names that can never be a capability: non-ASCII after upper-casing. */
function agrees(s: string): void {
  const want = model(s);
  const got = normalizeGoCapability(s);
  if (/^[\x00-\x7f]*$/.test(want)) assert.equal(got, want, JSON.stringify(s));
  else assert.equal(got, null, JSON.stringify(s));
}

test('known spellings', () => {
  assert.equal(normalizeGoCapability('sys_admin'), 'CAP_SYS_ADMIN');
  assert.equal(normalizeGoCapability('CAP_SYS_ADMIN'), 'CAP_SYS_ADMIN');
  assert.equal(normalizeGoCapability('cap_sys_admin'), 'CAP_SYS_ADMIN');
  assert.equal(normalizeGoCapability('all'), 'ALL');
  assert.equal(normalizeGoCapability('CAP_ALL'), 'CAP_ALL');
  assert.equal(normalizeGoCapability(' SYS_ADMIN'), 'CAP_ SYS_ADMIN');
  assert.equal(normalizeGoCapability('ſys_admin'), 'CAP_SYS_ADMIN');
  assert.equal(normalizeGoCapability('ałl'), null);
  assert.equal(normalizeGoCapability('ß'), null);
});

test('every BMP character whose simple upper case is ASCII is handled as Go does', () => {
  for (let cp = 0x80; cp <= 0xffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    agrees(String.fromCodePoint(cp));
    agrees(`cap_${String.fromCodePoint(cp)}`);
  }
});

test('random names: normalizeGoCapability is the model', () => {
  const piece = fc.oneof(fc.constantFrom('cap_', 'CAP_', 'sys', 'SYS', '_', 'admin', 'all', 'ALL', ' ', 'ı', 'ſ', 'ß', 'K', 'ŉ'), fc.string({ unit: 'grapheme', maxLength: 2 }));
  fc.assert(fc.property(fc.array(piece, { maxLength: 6 }).map((a) => a.join('')), agrees), { numRuns: 20000 });
});
