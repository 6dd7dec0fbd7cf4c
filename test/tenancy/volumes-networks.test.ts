import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { A1, bare, daemon, expectHidden, expectRule, j, LABEL, ownedNetworksPath, ownedVolumesPath, respond, run, SHARED_NAMES, type LookupAnswer } from './helpers.js';

const N1 = 'n1' + '0'.repeat(62);
const NB = 'n2' + '0'.repeat(62);
/** alice owns volume data and network front; bob's theirs exists; `names` says how the daemon knows them. */
const lookups = (names: 'prefix' | 'shared' = 'prefix'): Record<string, LookupAnswer> => {
  const n = (client: string, name: string): string => (names === 'prefix' ? `${client}.${name}` : name);
  return {
    [ownedVolumesPath('alice')]: { status: 200, body: { Volumes: [{ Name: n('alice', 'data') }], Warnings: null } },
    [ownedNetworksPath('alice')]: { status: 200, body: [{ Id: N1, Name: n('alice', 'front') }] },
    [`/volumes/${n('bob', 'theirs')}`]: { status: 200, body: { Name: n('bob', 'theirs') } },
  };
};

describe('tenancy: volumes', () => {
  it('pins an own volume to its daemon name and hides others with dockerd\'s message', async () => {
    for (const op of ['VolumeInspect', 'VolumeDelete', 'VolumeUpdate']) {
      const v = await run({ op, params: { name: 'data' }, lookup: daemon(lookups()) });
      assert.deepEqual(bare(v, { response: op === 'VolumeInspect' }), { allowed: true, params: { name: 'alice.data' } }, op);
      for (const ref of ['theirs', 'bob.theirs', 'alice.data']) {
        expectHidden(await run({ op, params: { name: ref }, lookup: daemon(lookups()) }), `get ${ref}: no such volume`);
      }
    }
  });

  it('VolumeInspect answers with the client\'s name', async () => {
    const v = await run({ op: 'VolumeInspect', params: { name: 'data' }, lookup: daemon(lookups()) });
    assert.deepEqual(respond(v, { Name: 'alice.data', Driver: 'local' }), j({ Name: 'data', Driver: 'local' }));
  });

  it('with one name space, pins by the daemon name and leaves the answer alone', async () => {
    for (const op of ['VolumeInspect', 'VolumeDelete', 'VolumeUpdate']) {
      assert.deepEqual(await run({ op, params: { name: 'data' }, lookup: daemon(lookups('shared'), 'shared') }, SHARED_NAMES), { allowed: true, params: { name: 'data' } });
      expectHidden(await run({ op, params: { name: 'theirs' }, lookup: daemon(lookups('shared'), 'shared') }, SHARED_NAMES), 'get theirs: no such volume');
    }
  });

  it('labels a created volume, prefixes its name and answers with the client\'s name', async () => {
    const lookup = daemon(lookups());
    const v = await run({ op: 'VolumeCreate', body: { Name: 'new' }, lookup });
    assert.deepEqual(bare(v, { response: true }), { allowed: true, body: j({ Name: 'alice.new', Labels: { [LABEL]: 'alice' } }) });
    assert.ok(lookup.calls.includes('/volumes/alice.new'));
    assert.deepEqual(respond(v, { Name: 'alice.new', Driver: 'local' }), j({ Name: 'new', Driver: 'local' }));
  });

  it('with name prefixes, another client\'s volume name is free; one in the client\'s name space it does not own is refused', async () => {
    assert.equal((await run({ op: 'VolumeCreate', body: { Name: 'theirs' }, lookup: daemon(lookups()) })).allowed, true);
    const squatted = daemon({ ...lookups(), '/volumes/alice.taken': { status: 200, body: { Name: 'alice.taken' } } });
    expectHidden(await run({ op: 'VolumeCreate', body: { Name: 'taken' }, lookup: squatted }), 'volume name "taken" is already in use by another client', 409);
    // the client's own volume: dockerd answers with it
    assert.deepEqual(
      bare(await run({ op: 'VolumeCreate', body: { Name: 'data' }, lookup: daemon({ ...lookups(), '/volumes/alice.data': { status: 200, body: { Name: 'alice.data' } } }) }), { response: true }),
      { allowed: true, body: j({ Name: 'alice.data', Labels: { [LABEL]: 'alice' } }) },
    );
  });

  it('with name prefixes, refuses a volume name dockerd would refuse without the prefix (400, dockerd\'s words)', async () => {
    for (const name of ['x', '-x', 'a b', 'a/b', '.x']) {
      expectHidden(
        await run({ op: 'VolumeCreate', body: { Name: name }, lookup: daemon(lookups()) }),
        `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
        400,
      );
    }
    for (const name of ['xy', 'a.b', 'a_b-c', '0x']) {
      assert.equal((await run({ op: 'VolumeCreate', body: { Name: name }, lookup: daemon(lookups()) })).allowed, true, name);
    }
  });

  it('a volume without a name (dockerd picks one) is labelled, not renamed', async () => {
    assert.deepEqual(await run({ op: 'VolumeCreate', body: {}, lookup: daemon(lookups()) }), { allowed: true, body: j({ Labels: { [LABEL]: 'alice' } }) });
  });

  it('with one name space, refuses a name another client owns and leaves names (even short ones) to dockerd', async () => {
    expectHidden(await run({ op: 'VolumeCreate', body: { Name: 'theirs' }, lookup: daemon(lookups('shared'), 'shared') }, SHARED_NAMES), 'volume name "theirs" is already in use by another client', 409);
    assert.deepEqual(bare(await run({ op: 'VolumeCreate', body: { Name: 'x' }, lookup: daemon(lookups('shared'), 'shared') }, SHARED_NAMES), { response: true }), {
      allowed: true,
      body: j({ Name: 'x', Labels: { [LABEL]: 'alice' } }),
    });
  });
});

describe('tenancy: networks', () => {
  it('pins an own network by name, ID and prefix; hides others', async () => {
    for (const ref of ['front', N1, 'n1']) {
      assert.deepEqual(bare(await run({ op: 'NetworkInspect', params: { id: ref }, lookup: daemon(lookups()) }), { response: true }), { allowed: true, params: { id: N1 } });
      assert.deepEqual(await run({ op: 'NetworkDelete', params: { id: ref }, lookup: daemon(lookups()) }), { allowed: true, params: { id: N1 } });
    }
    for (const ref of ['back', NB, 'n2', 'bridge', 'alice.front']) {
      expectHidden(await run({ op: 'NetworkDelete', params: { id: ref }, lookup: daemon(lookups()) }), `network ${ref} not found`);
    }
  });

  it('NetworkInspect answers with the client\'s names; with one name space it is left alone', async () => {
    const v = await run({ op: 'NetworkInspect', params: { id: 'front' }, lookup: daemon(lookups()) });
    assert.deepEqual(respond(v, { Id: N1, Name: 'alice.front', Containers: { [A1]: { Name: 'alice.web' } } }), j({ Id: N1, Name: 'front', Containers: { [A1]: { Name: 'web' } } }));
    assert.deepEqual(await run({ op: 'NetworkInspect', params: { id: 'front' }, lookup: daemon(lookups('shared'), 'shared') }, SHARED_NAMES), { allowed: true, params: { id: N1 } });
  });

  it('connect and disconnect need a visible container, pinned in the body', async () => {
    for (const op of ['NetworkConnect', 'NetworkDisconnect']) {
      // connect also gives the container the name its client knows as an alias on the network
      const body = op === 'NetworkConnect' ? { Container: A1, EndpointConfig: { Aliases: ['web'] } } : { Container: A1 };
      assert.deepEqual(await run({ op, params: { id: 'front' }, body: { Container: 'web' }, lookup: daemon(lookups()) }), {
        allowed: true,
        params: { id: N1 },
        body: j(body),
      });
      expectHidden(await run({ op, params: { id: 'front' }, body: { Container: 'api' }, lookup: daemon(lookups()) }), 'No such container: api');
    }
  });

  it('connect keeps the client\'s aliases and adds its name once; with one name space adds nothing', async () => {
    const v = await run({ op: 'NetworkConnect', params: { id: 'front' }, body: { Container: 'web', EndpointConfig: { Aliases: ['x', 'web'] } }, lookup: daemon(lookups()) });
    assert.deepEqual(v, { allowed: true, params: { id: N1 }, body: j({ Container: A1, EndpointConfig: { Aliases: ['x', 'web'] } }) });
    const one = await run({ op: 'NetworkConnect', params: { id: 'front' }, body: { Container: 'web' }, lookup: daemon(lookups('shared'), 'shared') }, SHARED_NAMES);
    assert.deepEqual(one, { allowed: true, params: { id: N1 }, body: j({ Container: A1 }) });
    expectRule(await run({ op: 'NetworkConnect', params: { id: 'front' }, body: { Container: 'web', EndpointConfig: { Aliases: 'x' } }, lookup: daemon(lookups()) }), 'PC_DENIED_MALFORMED_BODY');
  });

  it('refuses a network named like a predefined one, as dockerd would; a similar name passes', async () => {
    for (const name of ['bridge', 'host', 'none', 'default']) {
      const v = await run({ op: 'NetworkCreate', body: { Name: name } });
      expectHidden(v, `operation is not permitted on predefined ${name} network `, 403);
    }
    assert.equal((await run({ op: 'NetworkCreate', body: { Name: 'bridged' } })).allowed, true);
  });

  it('labels a created network and prefixes its name', async () => {
    assert.deepEqual(await run({ op: 'NetworkCreate', body: { Name: 'n', Labels: { a: 'b' } } }), { allowed: true, body: j({ Name: 'alice.n', Labels: { a: 'b', [LABEL]: 'alice' } }) });
    assert.deepEqual(await run({ op: 'NetworkCreate', body: { Name: 'n' } }, SHARED_NAMES), { allowed: true, body: j({ Name: 'n', Labels: { [LABEL]: 'alice' } }) });
  });
});
