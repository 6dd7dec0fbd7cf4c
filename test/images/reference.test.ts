import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  canonicalString,
  familiarString,
  fullImageId,
  parseReference,
  withDefaultTag,
  withTagOrDigest,
  type Reference,
} from '../../src/images/reference.js';

const HEX = 'a'.repeat(64);
const DIGEST = `sha256:${HEX}`;

function canonical(text: string): string {
  const r = parseReference(text);
  assert.ok(r.ok, `${text}: ${r.ok ? '' : r.reason}`);
  return canonicalString(r.ref);
}

describe('image references: ParseNormalizedNamed', () => {
  test('normalises as the docker CLI and dockerd do', () => {
    const cases: [string, string][] = [
      ['busybox', 'docker.io/library/busybox'],
      ['busybox:local', 'docker.io/library/busybox:local'],
      ['library/busybox', 'docker.io/library/busybox'],
      ['docker.io/busybox', 'docker.io/library/busybox'],
      ['index.docker.io/busybox:1', 'docker.io/library/busybox:1'],
      ['index.docker.io/team/app', 'docker.io/team/app'],
      ['team/app:1.0', 'docker.io/team/app:1.0'],
      ['a/b/c', 'docker.io/a/b/c'],
      ['localhost/app', 'localhost/app'],
      ['localhost:5000/app:v1', 'localhost:5000/app:v1'],
      ['registry.example.com/team/app', 'registry.example.com/team/app'],
      ['registry:5000/app', 'registry:5000/app'],
      ['[::1]:5000/app', '[::1]:5000/app'],
      ['Example.com/app', 'Example.com/app'],
      ['Registry/app', 'Registry/app'],
      ['a-b__c/d.e_f--g', 'docker.io/a-b__c/d.e_f--g'],
      [`busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`],
      [`busybox:1.36@${DIGEST}`, `docker.io/library/busybox:1.36@${DIGEST}`],
      // one component is never a registry, whatever it looks like
      ['localhost:5000', 'docker.io/library/localhost:5000'],
      ['example.com', 'docker.io/library/example.com'],
      // a name in the ID's spelling is a name: repository "sha256", tag "abc"
      ['sha256:abc', 'docker.io/library/sha256:abc'],
      ['busybox:Tag_1.x-y', 'docker.io/library/busybox:Tag_1.x-y'],
    ];
    for (const [text, want] of cases) assert.equal(canonical(text), want, text);
  });

  test('refuses what dockerd refuses (fail closed)', () => {
    const bad = [
      '',
      'Busybox',
      'team/App',
      'busybox:',
      ':tag',
      'busybox:-x',
      `busybox:${'t'.repeat(129)}`,
      HEX,
      'busybox@sha256:abc',
      `busybox@md5:${'a'.repeat(32)}`,
      `busybox@sha256:${'A'.repeat(64)}`,
      `busybox@sha256:${'a'.repeat(63)}`,
      'a//b',
      'a/',
      '/a',
      '-a',
      'a__-b',
      'a b',
      'busybox:a:b',
      // a first component with "." or ":" is a registry, and these are not host names: the Go
      // parser would fall back to a path without registry, which daemons read differently
      'foo_bar.com/app',
      'a-b__c.d_e/f--g',
      'exa_mple:5000/app',
      `x/${'a'.repeat(250)}`,
      'busybox*',
    ];
    for (const text of bad) assert.equal(parseReference(text).ok, false, JSON.stringify(text));
    assert.equal(parseReference(`x/${'a'.repeat(243)}`).ok, true, 'docker.io/x/ + 243 = 255 characters');
  });

  test('familiar strings are what the docker CLI shows', () => {
    const cases: [string, string][] = [
      ['docker.io/library/busybox:latest', 'busybox:latest'],
      ['docker.io/team/app', 'team/app'],
      ['docker.io/library/a/b', 'library/a/b'],
      ['localhost:5000/x:1', 'localhost:5000/x:1'],
      [`busybox@${DIGEST}`, `busybox@${DIGEST}`],
    ];
    for (const [text, want] of cases) {
      const r = parseReference(text);
      assert.ok(r.ok);
      assert.equal(familiarString(r.ref), want);
    }
  });

  test('full image IDs as ParseAnyReference reads them', () => {
    assert.equal(fullImageId(HEX), DIGEST);
    assert.equal(fullImageId(DIGEST), DIGEST);
    assert.equal(fullImageId(`sha512:${'b'.repeat(128)}`), `sha512:${'b'.repeat(128)}`);
    for (const not of ['abc', 'sha256:abc', `sha256:${'A'.repeat(64)}`, `${HEX}0`, `md5:${'a'.repeat(32)}`, 'busybox']) {
      assert.equal(fullImageId(not), null, not);
    }
  });

  test('default tag and the tag parameter', () => {
    const r = parseReference('busybox');
    assert.ok(r.ok);
    assert.equal(canonicalString(withDefaultTag(r.ref)), 'docker.io/library/busybox:latest');
    const digested = parseReference(`busybox@${DIGEST}`);
    assert.ok(digested.ok);
    assert.equal(withDefaultTag(digested.ref), digested.ref);
    assert.equal(canonicalString(withTagOrDigest(r.ref, 'local')!), 'docker.io/library/busybox:local');
    assert.equal(canonicalString(withTagOrDigest(r.ref, DIGEST)!), `docker.io/library/busybox@${DIGEST}`);
    const tagged = parseReference(`busybox:1@${DIGEST}`);
    assert.ok(tagged.ok);
    assert.equal(canonicalString(withTagOrDigest(tagged.ref, '2')!), `docker.io/library/busybox:2@${DIGEST}`);
    assert.equal(withTagOrDigest(r.ref, 'sha256:abc'), null);
    assert.equal(withTagOrDigest(r.ref, 'a/b'), null);
  });
});

// ---------------------------------------------------------------- properties

const alnum = fc.stringMatching(/^[a-z0-9]{1,6}$/);
const separator = fc.constantFrom('.', '_', '__', '-', '--');
const pathComponent = fc
  .tuple(alnum, fc.array(fc.tuple(separator, alnum), { maxLength: 2 }))
  .map(([head, rest]) => head + rest.map(([s, a]) => s + a).join(''));
const registry = fc.oneof(
  fc.constant('docker.io'),
  fc.constant('localhost'),
  fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,5}[a-z0-9]$/), fc.constantFrom('.com', '.io', ':5000', '.example.org:443')).map(([a, b]) => a + b),
);
const reference: fc.Arbitrary<Reference> = fc
  .record({
    domain: registry,
    components: fc.array(pathComponent, { minLength: 1, maxLength: 3 }),
    tag: fc.option(fc.stringMatching(/^\w[\w.-]{0,10}$/), { nil: null }),
    digest: fc.option(fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`), { nil: null }),
  })
  .map(({ domain, components, tag, digest }) => {
    if (domain !== 'docker.io') return { domain, path: components.join('/'), tag, digest };
    // Docker Hub names of one component are official images under library/; a first component
    // with a "." would be read as a registry in the familiar spelling (as it is by the docker CLI).
    const [first, ...rest] = components as [string, ...string[]];
    const path = rest.length === 0 ? `library/${first}` : [first.replaceAll('.', '_'), ...rest].join('/');
    return { domain, path, tag, digest };
  });

describe('image references: properties', () => {
  test('the canonical and the familiar spelling both read back as the same reference', () => {
    fc.assert(
      fc.property(reference, (r) => {
        for (const text of [canonicalString(r), familiarString(r)]) {
          const back = parseReference(text);
          assert.ok(back.ok, `${text}: ${back.ok ? '' : back.reason}`);
          assert.deepEqual(back.ref, r);
        }
      }),
    );
  });

  test('parsing any string never throws, and what it accepts is a fixed point of normalisation', () => {
    const text = fc.oneof(fc.string({ maxLength: 40 }), reference.map(familiarString).chain((s) => fc.nat(s.length).map((i) => s.slice(0, i) + s.slice(i + 1))));
    fc.assert(
      fc.property(text, (s) => {
        const r = parseReference(s);
        if (!r.ok) return;
        const again = parseReference(canonicalString(r.ref));
        assert.ok(again.ok);
        assert.deepEqual(again.ref, r.ref);
      }),
    );
  });

  test('upper case in a repository path is always refused', () => {
    fc.assert(
      fc.property(reference, fc.nat(), (r, at) => {
        const components = r.path.split('/');
        const i = at % components.length;
        components[i] = components[i]!.toUpperCase();
        if (components[i] === components[i]!.toLowerCase()) return; // digits only: nothing to raise
        const text = `${r.domain}/${components.join('/')}`;
        assert.equal(parseReference(text).ok, false, text);
      }),
    );
  });
});
