import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { A1, daemon, enc, expectHidden, j, LABEL, run } from './helpers.js';

const owned = { label: { [`${LABEL}=alice`]: true } };
const N1 = 'n1' + '0'.repeat(62);
const NB = 'n2' + '0'.repeat(62);
const lookups = {
  [`/volumes?filters=${enc(owned)}`]: { status: 200, body: { Volumes: [{ Name: 'data' }], Warnings: null } },
  [`/networks?filters=${enc(owned)}`]: { status: 200, body: [{ Id: N1, Name: 'front' }] },
  '/volumes/theirs': { status: 200, body: { Name: 'theirs' } },
};

describe('tenancy: volumes', () => {
  it('pins an own volume and hides others with dockerd\'s message', async () => {
    for (const op of ['VolumeInspect', 'VolumeDelete', 'VolumeUpdate']) {
      assert.deepEqual(await run({ op, params: { name: 'data' }, lookup: daemon(lookups) }), { allowed: true, params: { name: 'data' } });
      expectHidden(await run({ op, params: { name: 'theirs' }, lookup: daemon(lookups) }), 'get theirs: no such volume');
    }
  });

  it('labels a created volume and refuses a name another client owns', async () => {
    assert.deepEqual(await run({ op: 'VolumeCreate', body: { Name: 'new' }, lookup: daemon(lookups) }), { allowed: true, body: j({ Name: 'new', Labels: { [LABEL]: 'alice' } }) });
    expectHidden(await run({ op: 'VolumeCreate', body: { Name: 'theirs' }, lookup: daemon(lookups) }), 'volume name "theirs" is already in use by another client', 409);
  });
});

describe('tenancy: networks', () => {
  it('pins an own network by name, ID and prefix; hides others', async () => {
    for (const ref of ['front', N1, 'n1']) {
      assert.deepEqual(await run({ op: 'NetworkInspect', params: { id: ref }, lookup: daemon(lookups) }), { allowed: true, params: { id: N1 } });
    }
    for (const ref of ['back', NB, 'n2', 'bridge']) {
      expectHidden(await run({ op: 'NetworkDelete', params: { id: ref }, lookup: daemon(lookups) }), `network ${ref} not found`);
    }
  });

  it('connect and disconnect need a visible container, pinned in the body', async () => {
    for (const op of ['NetworkConnect', 'NetworkDisconnect']) {
      assert.deepEqual(await run({ op, params: { id: 'front' }, body: { Container: 'web' }, lookup: daemon(lookups) }), {
        allowed: true,
        params: { id: N1 },
        body: j({ Container: A1 }),
      });
      expectHidden(await run({ op, params: { id: 'front' }, body: { Container: 'api' }, lookup: daemon(lookups) }), 'No such container: api');
    }
  });

  it('labels a created network', async () => {
    assert.deepEqual(await run({ op: 'NetworkCreate', body: { Name: 'n', Labels: { a: 'b' } } }), { allowed: true, body: j({ Name: 'n', Labels: { a: 'b', [LABEL]: 'alice' } }) });
  });
});
