import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTenantImagesInspector } from '../../../src/tenancy/images/inspector.js';
import type { InspectVerdict } from '../../../src/inspect/types.js';
import { fakeLookup, inspectWith, j, type LookupAnswer } from '../../policy/constraints/helpers.js';

const A = 'sha256:a1' + '0'.repeat(62);
const B = 'sha256:b1' + '0'.repeat(62);
const S = 'sha256:c1' + '0'.repeat(62);
const N = 'sha256:d1' + '0'.repeat(62);
const img = (Id: string, RepoTags: string[], RepoDigests: string[] = []) => ({ status: 200, body: { Id, RepoTags, RepoDigests } });

/**
 * alice has myapp:1 (A); bob has myapp:1 (B) and tagged the shared busybox too; busybox:latest
 * is shared (S); N has no name at all.
 */
function daemon(extra: Record<string, LookupAnswer> = {}): ReturnType<typeof fakeLookup> {
  const a = img(A, ['myapp:__alice.1']);
  const b = img(B, ['myapp:__bob.1']);
  const s = img(S, ['busybox:latest', 'mybox:__bob.x'], ['busybox@sha256:' + 'e'.repeat(64)]);
  return fakeLookup({
    [`/images/${encodeURIComponent('myapp:__alice.1')}/json`]: a,
    [`/images/${encodeURIComponent(A)}/json`]: a,
    [`/images/${encodeURIComponent('myapp:__bob.1')}/json`]: b,
    [`/images/${encodeURIComponent(B)}/json`]: b,
    [`/images/${encodeURIComponent('busybox:latest')}/json`]: s,
    [`/images/${encodeURIComponent(S)}/json`]: s,
    [`/images/${encodeURIComponent(N)}/json`]: img(N, []),
    '/images/json': { status: 200, body: [a.body, b.body, s.body] },
    ...extra,
  });
}

async function run(op: string, r: { params?: Record<string, string>; query?: Record<string, string[]>; body?: unknown; client?: string; lookup?: ReturnType<typeof fakeLookup> } = {}): Promise<InspectVerdict> {
  return inspectWith(createTenantImagesInspector(), { op, ...r, client: r.client ?? 'alice', lookup: r.lookup ?? daemon() });
}

function refused(v: InspectVerdict, rule: string, status?: number): void {
  assert.equal(v.allowed, false, 'expected a refusal');
  if (v.allowed) return;
  assert.equal(v.rule, rule, v.reason);
  if (status !== undefined) assert.equal(v.status, status);
}

test('run resolves the client\'s own name first, pinned to its daemon name', async () => {
  assert.deepEqual((await run('ContainerCreate', { body: { Image: 'myapp:1' } })), { allowed: true, body: j({ Image: 'myapp:__alice.1' }) });
  assert.deepEqual((await run('ContainerCreate', { body: { Image: 'myapp:1' }, client: 'bob' })), { allowed: true, body: j({ Image: 'myapp:__bob.1' }) });
  // Shared names resolve for everybody, as given with their tag.
  assert.deepEqual(await run('ContainerCreate', { body: { Image: 'busybox' } }), { allowed: true, body: j({ Image: 'busybox:latest' }) });
});

test('another client\'s image is no image: by name, by daemon name, by ID and by prefix', async () => {
  for (const ref of ['myapp:__bob.1', B, 'b1', 'mybox:x']) refused(await run('ImageInspect', { params: { name: ref } }), 'PC_HIDDEN', 404);
  for (const ref of ['myapp:__bob.1', B, 'b1']) refused(await run('ContainerCreate', { body: { Image: ref } }), 'PC_HIDDEN', 404);
  // bob's mybox:x is mybox:__bob.x on the daemon: alice's mybox:x goes to dockerd as it is, where it is no image
  assert.deepEqual(await run('ContainerCreate', { body: { Image: 'mybox:x' } }), { allowed: true });
  // carol has no myapp:1 and none is shared: dockerd reads the name as a name only, and says so itself
  assert.deepEqual(await run('ContainerCreate', { body: { Image: 'myapp:1' }, client: 'carol' }), { allowed: true });
  refused(await run('ImageInspect', { params: { name: 'myapp:1' }, client: 'carol' }), 'PC_HIDDEN', 404);
});

test('a hex name the daemon answers by ID prefix is not taken for the name', async () => {
  const lookup = daemon({ [`/images/${encodeURIComponent('b1:latest')}/json`]: img(B, ['myapp:__bob.1']) });
  refused(await run('ImageInspect', { params: { name: 'b1' }, lookup }), 'PC_HIDDEN', 404);
  const own = await run('ImageInspect', { params: { name: 'a1' }, lookup });
  assert.ok(own.allowed && own.params?.['name'] === A);
});

test('an image without any name is reachable by its full ID only', async () => {
  assert.deepEqual(await run('ContainerCreate', { body: { Image: N } }), { allowed: true });
  assert.deepEqual(await run('ContainerCreate', { body: { Image: N.slice('sha256:'.length) } }), { allowed: true, body: j({ Image: N }) });
  refused(await run('ContainerCreate', { body: { Image: 'd1' } }), 'PC_HIDDEN', 404);
});

test('tag: the source is pinned to its ID, the new name goes into the client\'s tag space', async () => {
  const v = await run('ImageTag', { params: { name: 'busybox' }, query: { repo: ['myapp'], tag: ['1'] } });
  assert.ok(v.allowed);
  assert.deepEqual(v.params, { name: S });
  assert.deepEqual(Object.fromEntries(v.query!), { repo: ['myapp'], tag: ['__alice.1'] });
  const latest = await run('ImageTag', { params: { name: 'myapp:1' }, query: { repo: ['localhost:5000/team/app'] } });
  assert.ok(latest.allowed);
  assert.deepEqual(Object.fromEntries(latest.query!), { repo: ['localhost:5000/team/app'], tag: ['__alice.latest'] });
  refused(await run('ImageTag', { params: { name: 'busybox' }, query: { repo: ['myapp'], tag: ['__bob.1'] } }), 'PC_TENANCY_IMAGE_NAME');
  refused(await run('ImageTag', { params: { name: 'myapp:__bob.1' }, query: { repo: ['x'] } }), 'PC_HIDDEN', 404);
});

test('rmi: own names by their daemon name; shared names and IDs with names of others are refused', async () => {
  const own = await run('ImageDelete', { params: { name: 'myapp:1' } });
  assert.ok(own.allowed);
  assert.deepEqual(own.params, { name: 'myapp:__alice.1' });
  assert.deepEqual(own.response!(j([{ Untagged: 'myapp:__alice.1' }, { Deleted: A }])), j([{ Untagged: 'myapp:1' }, { Deleted: A }]));
  const byId = await run('ImageDelete', { params: { name: 'a1' } });
  assert.ok(byId.allowed && byId.params?.['name'] === A);
  refused(await run('ImageDelete', { params: { name: 'busybox' } }), 'PC_SHARED_READ_ONLY');
  refused(await run('ImageDelete', { params: { name: S } }), 'PC_SHARED_READ_ONLY');
  refused(await run('ImageDelete', { params: { name: 'myapp:1' }, client: 'carol' }), 'PC_HIDDEN', 404);
});

test('build: every t goes into the tag space, cachefrom is pinned or dropped, the output is renamed', async () => {
  const v = await run('ImageBuild', { query: { t: ['myapp:1', 'localhost:5000/x'], cachefrom: ['["myapp:1","myapp:__bob.1","nothing:1"]'] } });
  assert.ok(v.allowed);
  assert.deepEqual(v.query!.get('t'), ['myapp:__alice.1', 'localhost:5000/x:__alice.latest']);
  assert.deepEqual(v.query!.get('cachefrom'), [JSON.stringify([A])]);
  assert.deepEqual(v.events!(j({ stream: 'Successfully tagged myapp:__alice.1\n' })), j({ stream: 'Successfully tagged myapp:1\n' }));
  refused(await run('ImageBuild', { query: { t: ['myapp@sha256:' + 'e'.repeat(64)] } }), 'PC_TENANCY_IMAGE_NAME');
  refused(await run('ImageBuild', { query: { t: ['myapp:__bob.1'] } }), 'PC_TENANCY_IMAGE_NAME');
});

test('build: a cachefrom of null (Compose v2, a nil list in Go) is an empty list; anything but a list of strings is refused', async () => {
  const v = await run('ImageBuild', { query: { t: ['myapp:1'], cachefrom: [' null '] } });
  assert.ok(v.allowed);
  assert.deepEqual(v.query!.get('cachefrom'), ['[]']);
  refused(await run('ImageBuild', { query: { t: ['myapp:1'], cachefrom: ['nul'] } }), 'PC_TENANCY_IMAGE_NAME');
  refused(await run('ImageBuild', { query: { t: ['myapp:1'], cachefrom: ['{"a":1}'] } }), 'PC_TENANCY_IMAGE_NAME');
  refused(await run('ImageBuild', { query: { t: ['myapp:1'], cachefrom: ['[1]'] } }), 'PC_TENANCY_IMAGE_NAME');
});

test('commit and import name their result in the tag space; pull stays a shared name', async () => {
  const c = await run('ImageCommit', { query: { container: ['x'], repo: ['myapp'], tag: ['2'] } });
  assert.ok(c.allowed);
  assert.deepEqual(Object.fromEntries(c.query!), { container: ['x'], repo: ['myapp'], tag: ['__alice.2'] });
  const i = await run('ImageCreate', { query: { fromSrc: ['-'], repo: ['myapp:3'] } });
  assert.ok(i.allowed);
  assert.deepEqual(Object.fromEntries(i.query!), { fromSrc: ['-'], repo: ['myapp'], tag: ['__alice.3'] });
  assert.deepEqual(await run('ImageCreate', { query: { fromImage: ['busybox'], tag: ['latest'] } }), { allowed: true });
  refused(await run('ImageCreate', { query: { fromImage: ['myapp'], tag: ['__bob.1'] } }), 'PC_TENANCY_IMAGE_NAME');
  refused(await run('ImageCreate', { query: { fromImage: ['myapp:__bob.1'] } }), 'PC_TENANCY_IMAGE_NAME');
  // docker pull -a: every tag the registry has, which may be spelt like a client's daemon names
  refused(await run('ImageCreate', { query: { fromImage: ['myapp'] } }), 'PC_TENANCY_IMAGES_UNSUPPORTED');
  assert.deepEqual(await run('ImageCreate', { query: { fromImage: ['myapp@sha256:' + 'e'.repeat(64)] } }), { allowed: true });
});

test('load, prune, push of the client\'s own image and every-tag push and save are refused; their neighbours pass', async () => {
  refused(await run('ImageLoad'), 'PC_TENANCY_IMAGES_UNSUPPORTED');
  refused(await run('ImagePrune'), 'PC_TENANCY_IMAGES_UNSUPPORTED');
  refused(await run('ImagePush', { params: { name: 'myapp' }, query: { tag: ['1'] } }), 'PC_TENANCY_IMAGES_UNSUPPORTED');
  refused(await run('ImagePush', { params: { name: 'busybox' } }), 'PC_TENANCY_IMAGES_UNSUPPORTED');
  assert.deepEqual(await run('ImagePush', { params: { name: 'busybox' }, query: { tag: ['latest'] } }), { allowed: true });
  refused(await run('ImageGet', { params: { name: 'busybox' } }), 'PC_TENANCY_IMAGES_UNSUPPORTED');
  assert.deepEqual(await run('ImageGet', { params: { name: 'busybox:latest' } }), { allowed: true, params: { name: 'busybox:latest' } });
  // the client's own image goes by ID: its daemon name stays out of the tarball
  assert.deepEqual(await run('ImageGet', { params: { name: 'myapp:1' } }), { allowed: true, params: { name: A } });
  const all = await run('ImageGetAll', { query: { names: ['myapp:1', 'busybox:latest'] } });
  assert.ok(all.allowed);
  assert.deepEqual(all.query!.get('names'), [A, 'busybox:latest']);
  refused(await run('ImageGetAll', { query: { names: ['myapp:1', 'myapp:__bob.1'] } }), 'PC_HIDDEN', 404);
});

test('lists show own and shared names only; reference filters also match the daemon names', async () => {
  const v = await run('ImageList', { query: { filters: ['{"reference":{"myapp:1":true}}'] } });
  assert.ok(v.allowed);
  assert.deepEqual(JSON.parse(v.query!.get('filters')![0]!), { reference: { 'myapp:1': true, 'myapp:__alice.1': true } });
  const listed = v.response!(
    j([
      { Id: A, RepoTags: ['myapp:__alice.1'], RepoDigests: [] },
      { Id: B, RepoTags: ['myapp:__bob.1'], RepoDigests: [] },
      { Id: S, RepoTags: ['busybox:latest', 'mybox:__bob.x'], RepoDigests: [] },
      { Id: N, RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'] },
    ]),
  );
  assert.deepEqual(listed, j([{ Id: A, RepoTags: ['myapp:1'], RepoDigests: [] }, { Id: S, RepoTags: ['busybox:latest'], RepoDigests: [] }]));
  const inspect = await run('ImageInspect', { params: { name: 'busybox' } });
  assert.ok(inspect.allowed);
  assert.deepEqual(inspect.response!(j({ Id: S, RepoTags: ['busybox:latest', 'mybox:__alice.y', 'mybox:__bob.x'] })), j({ Id: S, RepoTags: ['busybox:latest', 'mybox:y'] }));
  const ps = await run('ContainerList');
  assert.ok(ps.allowed);
  assert.deepEqual(ps.response!(j([{ Image: 'myapp:__alice.1', ImageID: A }, { Image: 'myapp:__bob.1', ImageID: B }])), j([{ Image: 'myapp:1', ImageID: A }, { Image: B, ImageID: B }]));
});

test('a look-up that fails refuses', async () => {
  const lookup = daemon({ [`/images/${encodeURIComponent('myapp:__alice.1')}/json`]: new Error('daemon gone') });
  refused(await run('ContainerCreate', { body: { Image: 'myapp:1' }, lookup }), 'PC_INSPECT_FAILED');
});

test('container events show the client\'s image names', async () => {
  const v = await run('SystemEvents');
  assert.ok(v.allowed);
  const ev = (image: string) => j({ Type: 'container', Action: 'start', from: image, Actor: { ID: 'x', Attributes: { image, name: 'web' } } });
  assert.deepEqual(v.events!(ev('myapp:__alice.1')), ev('myapp:1'));
  assert.deepEqual(v.events!(ev('busybox:latest')), ev('busybox:latest'));
  assert.deepEqual(v.events!(j({ Type: 'image', Action: 'tag', Actor: { ID: A, Attributes: { name: 'myapp:__alice.1' } } })), j({ Type: 'image', Action: 'tag', Actor: { ID: A, Attributes: { name: 'myapp:__alice.1' } } }));
});
