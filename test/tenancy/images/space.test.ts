import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InspectRefusal } from '../../../src/inspect/refusal.js';
import { clientKey, ImageSpace } from '../../../src/tenancy/images/space.js';

const alice = new ImageSpace('alice');

test('a client key holds no "." and keys of different clients differ', () => {
  assert.equal(clientKey('alice'), 'alice');
  assert.equal(clientKey('a_b.c@d'), 'a_ub_dc_ad');
  const names = ['a.b', 'a_db', 'a_b', 'a@b', 'a_ab', 'a_u'];
  assert.equal(new Set(names.map(clientKey)).size, names.length);
  for (const n of names) assert.ok(!clientKey(n).includes('.'));
});

test('tags of a client go into its tag space; reserved and over-long tags are refused', () => {
  assert.equal(alice.toDaemonTag('1'), '__alice.1');
  assert.throws(() => alice.toDaemonTag('__bob.1'), (e: unknown) => e instanceof InspectRefusal && e.rule === 'PC_TENANCY_IMAGE_NAME');
  assert.equal(alice.toDaemonTag('x'.repeat(128 - '__alice.'.length)).length, 128);
  assert.throws(() => alice.toDaemonTag('x'.repeat(129 - '__alice.'.length)), (e: unknown) => e instanceof InspectRefusal && e.rule === 'PC_TENANCY_IMAGE_NAME');
});

test('daemon names are presented: own without the marker, shared as they are, others dropped', () => {
  assert.equal(alice.present('myapp:__alice.1'), 'myapp:1');
  assert.equal(alice.present('localhost:5000/team/app:__alice.v2'), 'localhost:5000/team/app:v2');
  assert.equal(alice.present('myapp:__bob.1'), null);
  // A client whose name begins with alice's is another client.
  assert.equal(alice.present('myapp:__alice_ux.1'), null);
  assert.equal(alice.present('busybox:latest'), 'busybox:latest');
  assert.equal(alice.present('localhost:5000/app'), 'localhost:5000/app');
  assert.equal(alice.present('busybox@sha256:' + 'a'.repeat(64)), 'busybox@sha256:' + 'a'.repeat(64));
  assert.equal(alice.present('<none>:<none>'), '<none>:<none>');
  assert.equal(alice.presentText('Successfully tagged myapp:__alice.1\n'), 'Successfully tagged myapp:1\n');
  assert.equal(alice.presentText('Successfully tagged myapp:__alice_ux.1\n'), 'Successfully tagged myapp:__alice_ux.1\n');
});
