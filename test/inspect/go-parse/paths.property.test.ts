/**
 * goCleanPath against Node's posix.normalize with the trailing slash dropped (a different
 * implementation of the same lexical rules), plus path.Clean's documented examples; parseBindSpec
 * against a transliteration of linuxParser.ParseMountRaw and its validation.
 */
import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseBindSpec } from '../../../src/inspect/go-parse/bind-spec.js';
import { goCleanPath } from '../../../src/inspect/go-parse/clean-path.js';

function modelClean(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

test('path.Clean examples', () => {
  const known: [string, string][] = [
    ['a/c', 'a/c'], ['a//c', 'a/c'], ['a/c/.', 'a/c'], ['a/c/b/..', 'a/c'], ['/../a/c', '/a/c'], ['/../a/b/../././/c', '/a/c'],
    ['', '.'], ['/', '/'], ['//', '/'], ['/..', '/'], ['..', '..'], ['../..', '../..'], ['a/../..', '..'], ['/srv/ci/../../etc', '/etc'], ['\\etc', '\\etc'],
  ];
  for (const [p, want] of known) assert.equal(goCleanPath(p), want, p);
});

test('random paths: goCleanPath is the model', () => {
  const seg = fc.constantFrom('/', '//', '.', '..', 'a', 'b', '\\', ' ');
  fc.assert(fc.property(fc.array(seg, { maxLength: 12 }).map((a) => a.join('')), (p) => assert.equal(goCleanPath(p), modelClean(p), JSON.stringify(p))), { numRuns: 20000 });
});

// ---------------------------------------------------------------- ParseMountRaw

const rwModes = ['rw', 'ro'];
const labelModes = ['z', 'Z'];
const propagationModes = ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared'];
const copyModes = ['nocopy'];
const consistencyModes = ['consistent', 'cached', 'delegated'];

function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(',')) {
    const k = [rwModes, labelModes, propagationModes, copyModes, consistencyModes].findIndex((set) => set.includes(o));
    if (k < 0) return false;
    counts[k]!++;
  }
  return counts.every((n) => n <= 1);
}

/** strings.SplitN(s, sep, n) */
function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

type Model = { type: 'bind' | 'volume'; source: string; target: string; readOnly: boolean } | null;

function modelParse(raw: string): Model {
  const arr = splitN(raw, ':', 4);
  if (arr[0] === '') return null;
  let source = '';
  let target = '';
  let mode = '';
  switch (arr.length) {
    case 1:
      target = arr[0]!;
      break;
    case 2:
      if (validMountMode(arr[1]!)) return null;
      [source, target] = arr as [string, string];
      break;
    case 3:
      [source, target, mode] = arr as [string, string, string];
      break;
    default:
      return null;
  }
  if (!validMountMode(mode)) return null;
  const type = source.startsWith('/') ? 'bind' : 'volume';
  const readOnly = mode.split(',').includes('ro');
  // validateMountConfigImpl (bind source existence not checked for Binds)
  if (target.length === 0) return null;
  if (posix.normalize(target.replaceAll('\\', '/')).replace(/(.)\/$/, '$1') === '/') return null;
  if (!target.replaceAll('\\', '/').startsWith('/')) return null;
  if (type === 'bind') return { type, source: modelClean(source), target, readOnly };
  return { type, source, target, readOnly };
}

function fromImpl(raw: string): Model {
  const s = parseBindSpec(raw);
  if (s === null) return null;
  if (s.kind === 'anonymous') return { type: 'volume', source: '', target: s.target, readOnly: false };
  return { type: s.kind, source: s.kind === 'bind' ? s.source : s.name, target: s.target, readOnly: s.readOnly };
}

test('Binds whose dockerd reading is known', () => {
  assert.deepEqual(fromImpl('/srv/ci/../../etc:/x:ro'), { type: 'bind', source: '/etc', target: '/x', readOnly: true });
  assert.deepEqual(fromImpl('cache:/cache'), { type: 'volume', source: 'cache', target: '/cache', readOnly: false });
  assert.deepEqual(fromImpl('/data'), { type: 'volume', source: '', target: '/data', readOnly: false });
  for (const bad of ['/foo:ro', '/a:/b:ro ', '/a:/b: ro', '/a:/b:ro,rw', '/a:/b:RO', 'a:b:c:d', ':/x', '/a:/', '/a:x', 'C:\\Windows:/x', '/a:/b:z,Z']) {
    assert.equal(parseBindSpec(bad), null, bad);
  }
});

test('random Binds: parseBindSpec is the model', () => {
  const piece = fc.constantFrom(':', '/', '//', '..', 'a', 'C', '\\', ' ', ',', 'ro', 'rw', 'z', 'Z', 'rshared', 'nocopy', 'cached', 'RO');
  fc.assert(fc.property(fc.array(piece, { maxLength: 10 }).map((a) => a.join('')), (raw) => assert.deepEqual(fromImpl(raw), modelParse(raw), JSON.stringify(raw))), { numRuns: 20000 });
});
