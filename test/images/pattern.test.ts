import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { imagesSchema, mergeImages } from '../../src/images/model.js';
import { compilePattern, patternAllows } from '../../src/images/pattern.js';
import { parseReference } from '../../src/images/reference.js';

const X = `sha256:${'a'.repeat(64)}`;
const Y = `sha256:${'b'.repeat(64)}`;

function allows(pattern: string, ref: string): boolean {
  const r = parseReference(ref);
  assert.ok(r.ok, ref);
  return patternAllows(compilePattern(pattern), r.ref);
}

/** Each pattern with the references it allows and the neighbours it does not. */
const TABLE: [pattern: string, yes: string[], no: string[]][] = [
  ['busybox:*', ['busybox:local', 'docker.io/library/busybox:1.36', 'busybox'], [`busybox@${X}`, `busybox:1@${X}`, 'busyboxx:1', 'team/busybox:1']],
  ['busybox:local', ['busybox:local', 'library/busybox:local', 'index.docker.io/busybox:local'], ['busybox:latest', 'busybox', 'busybox:local2', `busybox@${X}`]],
  ['busybox:1.*', ['busybox:1.36', 'busybox:1.'], ['busybox:2.0', 'busybox:10', 'busybox']],
  ['docker.io/library/alpine', ['alpine', 'alpine:3', `alpine@${X}`, `alpine:3@${X}`], ['alpinex', 'library/alpine/sub', 'team/alpine', 'localhost/alpine']],
  ['registry.example.com/team/*', ['registry.example.com/team/app:1', 'registry.example.com/team/app', `registry.example.com/team/x@${X}`], ['registry.example.com/team/sub/app:1', 'registry.example.com/other/app', 'team/app', 'registry.example.com/team']],
  [`busybox@${X}`, [`busybox@${X}`, `busybox:any@${X}`], [`busybox@${Y}`, 'busybox:latest', 'busybox', `alpine@${X}`]],
  ['*', ['busybox:1', 'alpine'], ['team/app', 'localhost/busybox']],
  ['*/*', ['team/app:1', 'busybox'], ['a/b/c', 'registry.example.com/app']],
  ['*.example.com/app', ['registry.example.com/app', 'a.b.example.com/app:1'], ['example.com/app', 'registry.example.org/app']],
  ['localhost:5000/app:v*', ['localhost:5000/app:v1'], ['localhost:5001/app:v1', 'localhost/app:v1', 'localhost:5000/app:1']],
  // "." is literal, not a regular expression's any character
  ['team/a.b', ['team/a.b:1'], ['team/axb:1']],
];

describe('image allowlist patterns', () => {
  for (const [pattern, yes, no] of TABLE) {
    test(pattern, () => {
      for (const ref of yes) assert.equal(allows(pattern, ref), true, `${pattern} should allow ${ref}`);
      for (const ref of no) assert.equal(allows(pattern, ref), false, `${pattern} should not allow ${ref}`);
    });
  }

  test('patterns are normalised like references', () => {
    assert.equal(compilePattern('busybox').canonical, 'docker.io/library/busybox');
    assert.equal(compilePattern('team/*:v*').canonical, 'docker.io/team/*:v*');
    assert.equal(compilePattern('busybox:*').everyTag, true);
    assert.equal(compilePattern('busybox').everyTag, true);
    assert.equal(compilePattern('busybox:v*').everyTag, false);
    assert.equal(compilePattern(`busybox@${X}`).everyTag, false);
  });

  test('malformed patterns are config errors', () => {
    for (const bad of ['', 'Busybox', 'busybox:', `busybox:1@${X}`, 'busybox@sha256:*', 'a//b', 'team/App:*']) {
      assert.throws(() => compilePattern(bad), /image pattern/, JSON.stringify(bad));
    }
  });
});

describe('images in the config', () => {
  test('the schema checks every pattern and knows only allow', () => {
    assert.deepEqual(imagesSchema.parse({ allow: ['busybox:*'] }), { allow: ['busybox:*'] });
    const bad = imagesSchema.safeParse({ allow: ['busybox:*', 'Nope'] });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0]?.path, ['allow', 1]);
    assert.match(bad.error?.issues[0]?.message ?? '', /image pattern "Nope"/);
    assert.equal(imagesSchema.safeParse({ deny: ['busybox'] }).success, false);
  });

  test('along extends the nearest allow list replaces the base\'s; none means no allowlist', () => {
    assert.equal(mergeImages(), null);
    assert.equal(mergeImages({}), null);
    const merged = mergeImages({ allow: ['alpine'] }, {}, { allow: ['busybox:local'] });
    assert.deepEqual(merged?.patterns.map((p) => p.text), ['busybox:local']);
    const none = mergeImages({ allow: ['alpine'] }, { allow: [] });
    assert.ok(none !== null);
    const alpine = parseReference('alpine');
    assert.ok(alpine.ok);
    assert.equal(none.allows(alpine.ref), false, 'an empty list allows no image');
  });
});
