import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePolicies } from '../../../src/policy/compile.js';
import { fakeLookup, inspectWith, j } from '../../policy/constraints/helpers.js';

/** A tenant policy with an image allowlist: the allowlist judges the names the client wrote. */
const policy = compilePolicies({
  tenant: { extends: 'hardened', rules: [], tenancy: { ownership: true }, images: { allow: ['myapp:1.*', 'busybox:*'] } },
}).get('tenant')!;

const A = 'sha256:a1' + '0'.repeat(62);

test('with an allowlist, the client\'s names are judged, then mapped into its tag space', async () => {
  const lookup = fakeLookup({ [`/images/${encodeURIComponent('busybox:latest')}/json`]: { status: 200, body: { Id: A, RepoTags: ['busybox:latest'] } } });
  const tagged = await inspectWith(policy.inspector!, { op: 'ImageTag', params: { name: 'busybox' }, query: { repo: ['myapp'], tag: ['1.2'] }, client: 'alice', lookup });
  assert.ok(tagged.allowed, tagged.allowed ? '' : tagged.reason);
  assert.deepEqual(tagged.query!.get('tag'), ['__alice.1.2']);
  const outside = await inspectWith(policy.inspector!, { op: 'ImageTag', params: { name: 'busybox' }, query: { repo: ['myapp'], tag: ['2'] }, client: 'alice', lookup });
  assert.ok(!outside.allowed && outside.rule === 'PC_IMAGE_NOT_ALLOWED');
});

test('with an allowlist, lists are presented in the client\'s names before the allowlist trims them', async () => {
  const v = await inspectWith(policy.inspector!, { op: 'ImageList', client: 'alice', lookup: fakeLookup() });
  assert.ok(v.allowed);
  const listed = v.response!(j([{ Id: A, RepoTags: ['myapp:__alice.1.2', 'myapp:__bob.1.3', 'other:__alice.1'], RepoDigests: [] }]));
  assert.deepEqual(listed, j([{ Id: A, RepoTags: ['myapp:1.2'], RepoDigests: [] }]));
});
