import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPERATIONS_BY_ID } from '../../src/catalogue/operations.js';
import { createImageInspector } from '../../src/images/inspector.js';
import { mergeImages } from '../../src/images/model.js';
import type { JsonValue } from '../../src/inspect/json-value.js';
import type { InspectVerdict } from '../../src/inspect/types.js';
import { compilePolicies } from '../../src/policy/compile.js';
import { fakeLookup, inspectWith, j, type LookupAnswer } from '../policy/constraints/helpers.js';

const ALLOW = ['busybox:local', 'registry.example.com/team/*'];

/** busybox:local, also tagged other:tag */
const SHARED = 'sha256:a1' + '0'.repeat(62);
/** only other:tag2 */
const HIDDEN = 'sha256:b2' + '0'.repeat(62);
/** cafe:latest: a name that is also hex */
const CAFE = 'sha256:c3' + '0'.repeat(62);
/** registry.example.com/team/app:1 and its pull record */
const TEAM = 'sha256:d4' + '0'.repeat(62);
const TEAM_DIGEST = 'sha256:' + 'e'.repeat(64);

const image = (Id: string, RepoTags: string[], RepoDigests: string[] = []) => ({ status: 200, body: { Id, RepoTags, RepoDigests, Size: 1 } });
const at = (ref: string) => `/images/${encodeURIComponent(ref)}/json`;

function daemon(extra: Record<string, LookupAnswer> = {}): ReturnType<typeof fakeLookup> {
  const shared = image(SHARED, ['busybox:local', 'other:tag']);
  const hidden = image(HIDDEN, ['other:tag2']);
  const team = image(TEAM, ['registry.example.com/team/app:1'], [`registry.example.com/team/app@${TEAM_DIGEST}`]);
  return fakeLookup({
    [at('a1')]: shared,
    [at('sha256:a1')]: shared,
    [at(SHARED)]: shared,
    [at(SHARED.slice(7))]: shared,
    [at('b2')]: hidden,
    [at(HIDDEN)]: hidden,
    [at('cafe')]: image(CAFE, ['cafe:latest']),
    [at('d4')]: team,
    [at('5')]: { status: 500, body: { message: 'boom' } },
    ...extra,
  });
}

interface Req {
  op: string;
  params?: Record<string, string>;
  query?: Record<string, string[]>;
  body?: unknown;
  lookup?: ReturnType<typeof fakeLookup>;
  allow?: string[];
}

function run(r: Req): Promise<InspectVerdict> {
  const inspector = createImageInspector(mergeImages({ allow: r.allow ?? ALLOW })!);
  return inspectWith(inspector, { ...r, client: 'ci', lookup: r.lookup ?? daemon() });
}

async function allowed(r: Req, expected: Omit<Extract<InspectVerdict, { allowed: true }>, 'allowed'> = {}): Promise<void> {
  const v = await run(r);
  assert.equal(v.allowed, true, v.allowed ? '' : `${v.rule}: ${v.reason}`);
  const { allowed: _, response, ...rest } = v as Extract<InspectVerdict, { allowed: true }>;
  const { response: wantResponse, ...wantRest } = expected;
  assert.deepEqual(rest, wantRest);
  assert.equal(response !== undefined, wantResponse !== undefined, 'response filter');
}

async function refused(r: Req, rule: string, ...parts: string[]): Promise<string> {
  const v = await run(r);
  assert.equal(v.allowed, false, `expected ${rule}`);
  if (v.allowed) throw new Error('unreachable');
  assert.equal(v.rule, rule, v.reason);
  assert.equal(v.status, undefined);
  for (const p of parts) assert.ok(v.reason.includes(p), `${JSON.stringify(v.reason)} should contain ${JSON.stringify(p)}`);
  return v.reason;
}

async function hidden(r: Req, shown: string): Promise<void> {
  const v = await run(r);
  assert.equal(v.allowed, false, `expected No such image: ${shown}`);
  if (v.allowed) return;
  assert.equal(v.rule, 'PC_IMAGE_HIDDEN', v.reason);
  assert.equal(v.status, 404);
  assert.equal(v.message, `No such image: ${shown}`);
}

const create = (Image: unknown): Req => ({ op: 'ContainerCreate', body: { Image, Cmd: ['true'] } });

describe('image allowlist: ContainerCreate', () => {
  it('allows an allowed name as written, without looking anything up', async () => {
    for (const name of ['busybox:local', 'docker.io/library/busybox:local', 'registry.example.com/team/app:1', 'registry.example.com/team/app']) {
      const lookup = daemon();
      await allowed({ ...create(name), lookup });
      assert.deepEqual(lookup.calls, [], name);
    }
  });

  it('refuses a name outside the allowlist, naming it', async () => {
    await refused(create('other:tag'), 'PC_IMAGE_NOT_ALLOWED', '"other:tag" (docker.io/library/other:tag)', 'not in the image allowlist (busybox:local, registry.example.com/team/*)');
    await refused(create('busybox'), 'PC_IMAGE_NOT_ALLOWED', 'docker.io/library/busybox:latest');
    await refused(create(`busybox@${TEAM_DIGEST}`), 'PC_IMAGE_NOT_ALLOWED');
    await refused(create('registry.example.com/team/sub/app:1'), 'PC_IMAGE_NOT_ALLOWED');
  });

  it('an image ID or ID prefix is allowed by an allowed name of the image, and pinned to the full ID', async () => {
    await allowed(create('a1'), { body: j({ Image: SHARED, Cmd: ['true'] }) });
    await allowed(create('sha256:a1'), { body: j({ Image: SHARED, Cmd: ['true'] }) });
    await allowed(create(SHARED.slice(7)), { body: j({ Image: SHARED, Cmd: ['true'] }) });
    await allowed(create(SHARED));
    // by a RepoDigest matching a repository pattern
    await allowed(create('d4'), { body: j({ Image: TEAM, Cmd: ['true'] }) });
  });

  it('an ID of an image without an allowed name, or of no image, answers like dockerd', async () => {
    await hidden(create('b2'), 'b2:latest');
    await hidden(create(HIDDEN), HIDDEN);
    await hidden(create('dead'), 'dead:latest');
  });

  it('a hex string that is an image\'s name is judged as that name (dockerd prefers the name)', async () => {
    await refused(create('cafe'), 'PC_IMAGE_NOT_ALLOWED', 'docker.io/library/cafe:latest');
    await allowed({ ...create('cafe'), allow: ['cafe'] });
  });

  it('fails closed on what cannot be read or looked up', async () => {
    await refused(create('Busybox'), 'PC_IMAGE_BAD_REFERENCE', '"Busybox"');
    await refused(create(5), 'PC_IMAGE_BAD_REFERENCE');
    await refused(create(''), 'PC_IMAGE_NOT_ALLOWED', 'names no image');
    await refused({ op: 'ContainerCreate', body: { Cmd: ['true'] } }, 'PC_IMAGE_NOT_ALLOWED', 'names no image');
    await refused(create('5'), 'PC_INSPECT_FAILED', 'answered 500');
  });
});

describe('image allowlist: pull (ImageCreate)', () => {
  const pull = (query: Record<string, string[]>): Req => ({ op: 'ImageCreate', query });

  it('allows an allowed reference, with the tag in fromImage or in tag', async () => {
    await allowed(pull({ fromImage: ['busybox'], tag: ['local'] }));
    await allowed(pull({ fromImage: ['busybox:local'] }));
    await allowed(pull({ fromImage: ['busybox:local:'] }));
    await allowed(pull({ fromImage: ['registry.example.com/team/app'], tag: [TEAM_DIGEST] }));
    // every tag of a repository whose every tag is allowed
    await allowed(pull({ fromImage: ['registry.example.com/team/app'] }));
  });

  it('refuses other references before anything is forwarded', async () => {
    await refused(pull({ fromImage: ['other'], tag: ['tag'] }), 'PC_IMAGE_NOT_ALLOWED', 'docker.io/library/other:tag');
    await refused(pull({ fromImage: ['busybox'], tag: ['latest'] }), 'PC_IMAGE_NOT_ALLOWED', 'busybox:latest');
    await refused(pull({ fromImage: ['busybox'], tag: [TEAM_DIGEST] }), 'PC_IMAGE_NOT_ALLOWED', `busybox@${TEAM_DIGEST}`);
    await refused(pull({ fromImage: ['busybox'] }), 'PC_IMAGE_NOT_ALLOWED', 'every tag of docker.io/library/busybox');
    await refused(pull({ fromImage: ['alpine'] }), 'PC_IMAGE_NOT_ALLOWED', 'alpine', '(every tag)');
    // dockerd reads the first value, and so does the check
    await refused(pull({ fromImage: ['other', 'busybox'], tag: ['local'] }), 'PC_IMAGE_NOT_ALLOWED', 'other:local');
  });

  it('refuses malformed tags and imports', async () => {
    await refused(pull({ fromImage: ['busybox'], tag: ['a:b'] }), 'PC_IMAGE_BAD_REFERENCE');
    await refused(pull({ fromImage: ['Busybox'], tag: ['local'] }), 'PC_IMAGE_BAD_REFERENCE');
    await refused(pull({ fromSrc: ['-'], repo: ['busybox'], tag: ['local'] }), 'PC_IMAGE_UNSUPPORTED', 'imports');
  });
});

describe('image allowlist: image object routes', () => {
  it('inspect, history, attestations, delete and save answer "No such image" for images outside the allowlist', async () => {
    for (const op of ['ImageInspect', 'ImageHistory', 'ImageAttestations', 'ImageDelete', 'ImageGet']) {
      await hidden({ op, params: { name: 'other:tag' } }, 'other:tag');
      await hidden({ op, params: { name: 'other' } }, 'other:latest');
      await hidden({ op, params: { name: 'b2' } }, 'b2:latest');
      await hidden({ op, params: { name: HIDDEN } }, HIDDEN);
    }
  });

  it('the legitimate neighbours pass: allowed names as written, IDs pinned', async () => {
    const filters: Record<string, boolean> = { ImageInspect: true, ImageHistory: true, ImageAttestations: false, ImageDelete: false, ImageGet: false };
    for (const [op, filtered] of Object.entries(filters)) {
      const response = filtered ? (v: JsonValue) => v : undefined;
      await allowed({ op, params: { name: 'busybox:local' } }, response === undefined ? {} : { response });
      if (op === 'ImageDelete') continue;
      await allowed({ op, params: { name: 'a1' } }, { params: { name: SHARED }, ...(response === undefined ? {} : { response }) });
    }
  });

  it('inspect and history answers keep only allowed names', async () => {
    const inspect = await run({ op: 'ImageInspect', params: { name: 'busybox:local' } });
    assert.ok(inspect.allowed && inspect.response);
    assert.deepEqual(inspect.response(j({ Id: SHARED, RepoTags: ['busybox:local', 'other:tag'], RepoDigests: [] })), j({ Id: SHARED, RepoTags: ['busybox:local'], RepoDigests: [] }));
    const history = await run({ op: 'ImageHistory', params: { name: 'busybox:local' } });
    assert.ok(history.allowed && history.response);
    assert.deepEqual(history.response(j([{ Id: SHARED, Tags: ['other:tag', 'busybox:local'] }, { Id: '<missing>', Tags: null }])), j([{ Id: SHARED, Tags: ['busybox:local'] }, { Id: '<missing>', Tags: null }]));
  });

  it('save of a repository (every tag) needs every tag allowed', async () => {
    await refused({ op: 'ImageGet', params: { name: 'busybox' } }, 'PC_IMAGE_NOT_ALLOWED', 'every tag of docker.io/library/busybox', 'name a tag');
    await allowed({ op: 'ImageGet', params: { name: 'registry.example.com/team/app' } });
  });

  it('docker save a b checks and pins every name', async () => {
    await allowed({ op: 'ImageGetAll', query: { names: ['busybox:local', 'registry.example.com/team/app:1'] } });
    const v = await run({ op: 'ImageGetAll', query: { names: ['busybox:local', 'a1'] } });
    assert.ok(v.allowed);
    assert.deepEqual(v.query?.get('names'), ['busybox:local', SHARED]);
    await hidden({ op: 'ImageGetAll', query: { names: ['busybox:local', 'other:tag'] } }, 'other:tag');
  });

  it('removing by ID needs every name of the image allowed (a pull record of an allowed repository counts)', async () => {
    await refused({ op: 'ImageDelete', params: { name: 'a1' } }, 'PC_IMAGE_NOT_ALLOWED', SHARED, '1 name(s) outside');
    await allowed({ op: 'ImageDelete', params: { name: 'd4' } }, { params: { name: TEAM } });
  });

  it('DistributionInspect judges the name alone', async () => {
    const lookup = daemon();
    await allowed({ op: 'DistributionInspect', params: { name: 'busybox:local' }, lookup });
    await hidden({ op: 'DistributionInspect', params: { name: 'other' } }, 'other:latest');
    await refused({ op: 'DistributionInspect', params: { name: SHARED } }, 'PC_IMAGE_BAD_REFERENCE');
    assert.deepEqual(lookup.calls, []);
  });
});

describe('image allowlist: names put on images', () => {
  const tag = (name: string, query: Record<string, string[]>): Req => ({ op: 'ImageTag', params: { name }, query });

  it('tags a visible image with an allowed name only', async () => {
    await allowed(tag('busybox:local', { repo: ['registry.example.com/team/app'], tag: ['v1'] }));
    await allowed(tag('a1', { repo: ['registry.example.com/team/app:v2'] }), { params: { name: SHARED } });
    await refused(tag('busybox:local', { repo: ['other'], tag: ['x'] }), 'PC_IMAGE_NOT_ALLOWED', 'docker.io/library/other:x');
    await refused(tag('busybox:local', { repo: ['busybox'] }), 'PC_IMAGE_NOT_ALLOWED', 'busybox:latest');
    await hidden(tag('other:tag', { repo: ['busybox'], tag: ['local'] }), 'other:tag');
  });

  it('refuses tags dockerd would not read as a new name', async () => {
    await refused(tag('busybox:local', {}), 'PC_IMAGE_BAD_REFERENCE', 'no repository');
    await refused(tag('busybox:local', { repo: [`registry.example.com/team/app@${TEAM_DIGEST}`] }), 'PC_IMAGE_BAD_REFERENCE', 'digest');
    await refused(tag('busybox:local', { repo: ['registry.example.com/team/app'], tag: ['-x'] }), 'PC_IMAGE_BAD_REFERENCE');
  });

  it('pushes allowed names only; every tag only when every tag is allowed', async () => {
    await allowed({ op: 'ImagePush', params: { name: 'busybox' }, query: { tag: ['local'] } });
    await allowed({ op: 'ImagePush', params: { name: 'registry.example.com/team/app' } });
    await hidden({ op: 'ImagePush', params: { name: 'other' }, query: { tag: ['tag'] } }, 'other:tag');
    await refused({ op: 'ImagePush', params: { name: 'busybox' } }, 'PC_IMAGE_NOT_ALLOWED', 'every tag');
  });

  it('refuses what puts unchecked content under a name', async () => {
    for (const op of ['ImageBuild', 'ImageLoad', 'ImageCommit', 'ImagePrune', 'Session', 'GRPC']) {
      await refused({ op }, 'PC_IMAGE_UNSUPPORTED', `${op} is refused under an image allowlist`);
    }
  });

  it('services name allowed images, by name only', async () => {
    const service = (Image?: string): Req => ({ op: 'ServiceCreate', body: { Name: 's', TaskTemplate: { ContainerSpec: Image === undefined ? {} : { Image } } } });
    await allowed(service('busybox:local'));
    await allowed({ ...service('registry.example.com/team/app:1'), op: 'ServiceUpdate' });
    await refused(service('other:tag'), 'PC_IMAGE_NOT_ALLOWED', 'docker.io/library/other:tag');
    await refused(service('a1'), 'PC_IMAGE_NOT_ALLOWED', 'image ID');
    await refused(service(), 'PC_IMAGE_NOT_ALLOWED', 'names no image');
  });
});

describe('image allowlist: lists', () => {
  it('ImageList and SystemDataUsage get a response filter; ImageSearch is left alone', async () => {
    for (const op of ['ImageList', 'SystemDataUsage']) {
      const v = await run({ op });
      assert.ok(v.allowed && v.response !== undefined, op);
    }
    const inspector = createImageInspector(mergeImages({ allow: ALLOW })!);
    assert.equal(inspector.wants(OPERATIONS_BY_ID.get('ImageSearch')!), false);
  });
});

describe('image allowlist in a policy', () => {
  const policies = compilePolicies({ ci: { extends: 'hardened', rules: [], images: { allow: ['busybox:local'] } }, child: { extends: 'ci', rules: [] } });

  it('runs in the inspector of the policy and of the policies that extend it', async () => {
    for (const name of ['ci', 'child']) {
      const inspector = policies.get(name)!.inspector!;
      const v = await inspectWith(inspector, { op: 'ImageLoad', client: 'c', lookup: fakeLookup() });
      assert.equal(v.allowed, false);
      assert.equal(!v.allowed && v.rule, 'PC_IMAGE_UNSUPPORTED');
      const create = await inspectWith(inspector, { op: 'ContainerCreate', body: { Image: 'busybox:local' }, client: 'c', lookup: fakeLookup() });
      assert.equal(create.allowed, true);
    }
  });

  it('a policy without images.allow restricts no image', async () => {
    const inspector = policies.get('hardened')!.inspector!;
    assert.equal(inspector.wants(OPERATIONS_BY_ID.get('ImageLoad')!), false);
    assert.equal(inspector.wants(OPERATIONS_BY_ID.get('ImageList')!), false);
    const create = await inspectWith(inspector, { op: 'ContainerCreate', body: { Image: 'other:tag' }, client: 'c', lookup: fakeLookup() });
    assert.equal(create.allowed, true);
  });
});
