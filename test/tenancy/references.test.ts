/**
 * Every field of a body dockerd reads as a reference to another object (docs/tenancy.md, "Body
 * references"): pinned within the client's own objects, or refused. Each case names bob's object
 * by ID, prefix and name, and has a neighbour naming alice's own that passes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { A1, allowed, daemon, expectHidden, expectRule, j, LABEL, namePath, ownedNetworksPath, queryOf, run, type LookupAnswer } from './helpers.js';

const NA = 'na' + '0'.repeat(62);
const NB = 'nb' + '0'.repeat(62);
const OWNER = { [LABEL]: 'alice' };

/** alice owns network an (NA), bob owns network bn (`bob.bn`, NB), hidden from alice. */
function lookup(extra: Record<string, LookupAnswer> = {}) {
  return daemon({
    [ownedNetworksPath('alice')]: { status: 200, body: [{ Id: NA, Name: 'alice.an' }] },
    [ownedNetworksPath('bob')]: { status: 200, body: [{ Id: NB, Name: 'bob.bn' }] },
    [namePath('alice.cc')]: { status: 200, body: [] },
    ...extra,
  });
}

const create = (endpoint: unknown) =>
  run({ op: 'ContainerCreate', query: { name: ['cc'] }, body: { Image: 'i', NetworkingConfig: { EndpointsConfig: { an: endpoint } } }, lookup: lookup() });
const connect = (endpoint: unknown) => run({ op: 'NetworkConnect', params: { id: 'an' }, body: { Container: 'web', EndpointConfig: endpoint }, lookup: lookup() });

describe('tenancy: references inside endpoint settings', () => {
  it('NetworkID naming another network (bob\'s by ID, prefix, name; or none the client has) is refused on create and connect', async () => {
    for (const ref of [NB, NB.slice(0, 12), 'bn', 'bob.bn', 'nothing']) {
      expectRule(await create({ NetworkID: ref }), 'PC_TENANCY_REFERENCE');
      expectRule(await connect({ NetworkID: ref }), 'PC_TENANCY_REFERENCE');
    }
  });

  it('NetworkID naming the endpoint\'s own network (ID, prefix, name) is pinned to its ID; empty passes', async () => {
    for (const ref of [NA, NA.slice(0, 12), 'an']) {
      const body = allowed(await create({ NetworkID: ref })).body as { NetworkingConfig: { EndpointsConfig: Record<string, { NetworkID: string }> } };
      assert.equal(body.NetworkingConfig.EndpointsConfig['alice.an']?.NetworkID, NA);
      const c = allowed(await connect({ NetworkID: ref })).body as { EndpointConfig: { NetworkID: string } };
      assert.equal(c.EndpointConfig.NetworkID, NA);
    }
    assert.equal((await create({ NetworkID: '' })).allowed, true);
  });

  it('NetworkID on a predefined network\'s endpoint is refused (dockerd ignores it there, nothing needs it)', async () => {
    const v = await run({ op: 'ContainerCreate', body: { Image: 'i', NetworkingConfig: { EndpointsConfig: { none: { NetworkID: NB } } } }, lookup: lookup() });
    expectRule(v, 'PC_TENANCY_REFERENCE');
  });

  it('a non-empty EndpointID is refused; an empty one passes', async () => {
    expectRule(await create({ EndpointID: 'e'.repeat(64) }), 'PC_TENANCY_REFERENCE');
    expectRule(await connect({ EndpointID: 'e'.repeat(64) }), 'PC_TENANCY_REFERENCE');
    assert.equal((await create({ EndpointID: '' })).allowed, true);
  });

  it('endpoint Links name a visible container and become its daemon name; bob\'s are hidden', async () => {
    const body = allowed(await create({ Links: ['web', 'db:database'] })).body;
    assert.deepEqual(
      body,
      j({ Image: 'i', NetworkingConfig: { EndpointsConfig: { 'alice.an': { Links: ['alice.web:web', 'alice.db:database'], Aliases: ['cc'] } } }, Labels: OWNER }),
    );
    const c = allowed(await connect({ Links: [`${A1.slice(0, 12)}:w`] })).body as { EndpointConfig: { Links: string[] } };
    assert.deepEqual(c.EndpointConfig.Links, ['alice.web:w']);
    for (const ref of ['api', 'bob.api', 'b1' + '0'.repeat(62), 'b1']) {
      expectHidden(await create({ Links: [`${ref}:x`] }), `No such container: ${ref}`);
      expectHidden(await connect({ Links: [ref] }), `No such container: ${ref}`);
    }
  });

  it('endpoint Links in forms whose reading differs are refused', async () => {
    for (const spec of ['/web:/c/web', 'web:a:b', '', 'web:', ':web']) expectRule(await create({ Links: [spec] }), 'PC_TENANCY_REFERENCE');
    expectRule(await create({ Links: 'web' }), 'PC_DENIED_MALFORMED_BODY');
  });
});

describe('tenancy: other body and query references', () => {
  it('ImageBuild networkmode: own network pinned to its ID, own container pinned; bob\'s hidden; predefined pass', async () => {
    const build = (mode: string) => run({ op: 'ImageBuild', query: { networkmode: [mode] }, lookup: lookup() });
    assert.deepEqual(queryOf(await build('an'))['networkmode'], [NA]);
    assert.deepEqual(queryOf(await build('container:web'))['networkmode'], [`container:${A1}`]);
    for (const mode of ['default', 'none', 'host', 'bridge']) assert.deepEqual(allowed(await build(mode)), { allowed: true });
    for (const ref of [NB, 'bn', 'bob.bn']) expectHidden(await build(ref), `network ${ref} not found`);
    expectHidden(await build('container:api'), 'No such container: api');
  });

  it('NetworkCreate ConfigFrom names a visible network by exact name and becomes its daemon name', async () => {
    const v = await run({ op: 'NetworkCreate', body: { Name: 'x', ConfigFrom: { Network: 'an' } }, lookup: lookup() });
    assert.deepEqual(allowed(v).body, j({ Name: 'alice.x', ConfigFrom: { Network: 'alice.an' }, Labels: OWNER }));
    for (const ref of ['bn', 'bob.bn', NB, 'alice.an']) {
      expectHidden(await run({ op: 'NetworkCreate', body: { Name: 'x', ConfigFrom: { Network: ref } }, lookup: lookup() }), `configuration network "${ref}" not found`);
    }
  });
});

describe('tenancy: aliases on a shared network without name prefixes', () => {
  it('are refused, since there is no name space to put them in; none pass', async () => {
    const { scopeSharedEndpoint } = await import('../../src/tenancy/identity.js');
    const { Names } = await import('../../src/tenancy/names.js');
    assert.throws(() => scopeSharedEndpoint(j({ Aliases: ['web'] }) as never, 'w', new Names('alice', 'shared')), /no aliases without name prefixes/);
    assert.deepEqual(scopeSharedEndpoint(j({ Aliases: [] }) as never, 'w', new Names('alice', 'shared')), j({ Aliases: [] }));
  });
});
