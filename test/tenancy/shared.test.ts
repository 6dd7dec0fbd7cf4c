import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTAINER_OPS } from '../../src/tenancy/inspector.js';
import {
  A1,
  A2,
  allowed,
  B1,
  bare,
  daemon,
  expectHidden,
  expectRule,
  filtersOf,
  j,
  LABEL,
  labelPath,
  namePath,
  ownedNetworksPath,
  ownedPath,
  ownedVolumesPath,
  queryOf,
  respond,
  run,
  tenancy,
  type LookupAnswer,
} from './helpers.js';

const SEL_YES = 'com.example.shared=yes';
const SEL_PUBLIC = 'com.example.public';
const policy = tenancy({ shared: { labels: [SEL_YES, SEL_PUBLIC] } });

const S1 = 's1' + '0'.repeat(62);
const S2 = 's2' + '0'.repeat(62);
const NA = 'n1' + '0'.repeat(62);
const NS = 'n5' + '0'.repeat(62);

/**
 * Besides alice's and bob's own containers (helpers.daemon): bob's cache (S1) carries
 * com.example.shared=yes, as does alice's web; registry (S2) carries com.example.public. Volume
 * bob.models and network bob.shared-net are shared; alice owns volume data and network front.
 */
function lookup(extra: Record<string, LookupAnswer> = {}) {
  return daemon({
    [labelPath('containers', SEL_YES)]: { status: 200, body: [{ Id: S1, Names: ['/bob.cache'] }, { Id: A1, Names: ['/alice.web'] }] },
    [labelPath('containers', SEL_PUBLIC)]: { status: 200, body: [{ Id: S2, Names: ['/registry'] }] },
    [ownedVolumesPath('alice')]: { status: 200, body: { Volumes: [{ Name: 'alice.data' }] } },
    [labelPath('volumes', SEL_YES)]: { status: 200, body: { Volumes: [{ Name: 'bob.models' }, { Name: 'alice.data' }] } },
    [labelPath('volumes', SEL_PUBLIC)]: { status: 200, body: { Volumes: null } },
    [ownedNetworksPath('alice')]: { status: 200, body: [{ Id: NA, Name: 'alice.front' }] },
    [labelPath('networks', SEL_YES)]: { status: 200, body: [{ Id: NS, Name: 'bob.shared-net' }] },
    [labelPath('networks', SEL_PUBLIC)]: { status: 200, body: [] },
    '/exec/e1/json': { status: 200, body: { ContainerID: A1 } },
    '/exec/es/json': { status: 200, body: { ContainerID: S1 } },
    ...extra,
  });
}

const go = (r: Parameters<typeof run>[0]) => run({ lookup: lookup(), ...r }, policy);

/** Container operations that only read (inspector.ts READ_CONTAINER_OPS), as the docs promise them. */
const READS = [
  'ContainerInspect', 'ContainerLogs', 'ContainerStats', 'ContainerTop', 'ContainerChanges', 'ContainerExport',
  'ContainerArchive', 'ContainerArchiveInfo', 'ContainerWait', 'CheckpointList',
];

describe('shared objects: visibility', () => {
  it('visible sets are one label-filtered list per selector, own objects first', async () => {
    const l = lookup();
    await go({ op: 'ContainerStop', params: { id: 'web' }, lookup: l });
    assert.deepEqual(l.calls, [ownedPath('alice'), labelPath('containers', SEL_YES), labelPath('containers', SEL_PUBLIC)]);
    const v = lookup();
    await go({ op: 'VolumeInspect', params: { name: 'data' }, lookup: v });
    assert.deepEqual(v.calls, [ownedVolumesPath('alice'), labelPath('volumes', SEL_YES), labelPath('volumes', SEL_PUBLIC)]);
  });

  it('a shared container is visible by its daemon name, ID and ID prefix; not by a name in the client\'s space', async () => {
    for (const [ref, id] of [['bob.cache', S1], ['/bob.cache', S1], [S1, S1], ['s1', S1], ['registry', S2]] as const) {
      assert.deepEqual(await go({ op: 'ContainerLogs', params: { id: ref } }), { allowed: true, params: { id } }, ref);
    }
    expectHidden(await go({ op: 'ContainerLogs', params: { id: 'cache' } }), 'No such container: cache');
  });

  it('a container neither own nor shared stays hidden', async () => {
    for (const ref of ['api', 'bob.api', B1]) expectHidden(await go({ op: 'ContainerLogs', params: { id: ref } }), `No such container: ${ref}`);
  });

  it('an ambiguous ID prefix across own and shared containers is hidden', async () => {
    const l = lookup({ [labelPath('containers', SEL_PUBLIC)]: { status: 200, body: [{ Id: 'a3' + '0'.repeat(62), Names: ['/registry'] }] } });
    expectHidden(await go({ op: 'ContainerLogs', params: { id: 'a' }, lookup: l }), 'No such container: a');
  });

  it('a failed list of a shared selector refuses (fail closed)', async () => {
    const l = lookup({ [labelPath('containers', SEL_PUBLIC)]: { status: 500, body: { message: 'x' } } });
    expectRule(await go({ op: 'ContainerLogs', params: { id: 'web' }, lookup: l }), 'PC_INSPECT_FAILED');
  });
});

describe('shared objects: read-only', () => {
  it('every reading container operation is allowed on a shared container', async () => {
    for (const op of READS) {
      assert.ok(CONTAINER_OPS.has(op), op);
      assert.deepEqual(bare(await go({ op, params: { id: 'bob.cache' } }), { response: op === 'ContainerInspect' }), { allowed: true, params: { id: S1 } }, op);
    }
  });

  it('every other container operation is refused on a shared container, and allowed on an own one (even one carrying a shared label)', async () => {
    const changes = [...CONTAINER_OPS].filter((op) => !READS.includes(op));
    assert.ok(changes.includes('ContainerStop') && changes.includes('ContainerExec') && changes.includes('ContainerAttach') && changes.includes('PutContainerArchive'));
    for (const op of changes) {
      expectRule(await go({ op, params: { id: 'bob.cache' } }), 'PC_SHARED_READ_ONLY');
      expectRule(await go({ op, params: { id: 'registry' } }), 'PC_SHARED_READ_ONLY');
      assert.deepEqual(await go({ op, params: { id: 'web' } }), { allowed: true, params: { id: A1 } }, op);
      assert.deepEqual(await go({ op, params: { id: 'db' } }), { allowed: true, params: { id: A2 } }, op);
    }
  });

  it('ContainerRename of a shared container is refused before its name is looked at', async () => {
    const l = lookup();
    expectRule(await go({ op: 'ContainerRename', params: { id: 'bob.cache' }, query: { name: ['x'] }, lookup: l }), 'PC_SHARED_READ_ONLY');
    assert.ok(!l.calls.some((c) => c.includes('name')));
  });

  it('exec instances in a shared container can be inspected, not started or resized; in an own container all three pass', async () => {
    assert.deepEqual(await go({ op: 'ExecInspect', params: { id: 'es' } }), { allowed: true });
    for (const op of ['ExecStart', 'ExecResize']) expectRule(await go({ op, params: { id: 'es' } }), 'PC_SHARED_READ_ONLY');
    for (const op of ['ExecInspect', 'ExecStart', 'ExecResize']) assert.deepEqual(await go({ op, params: { id: 'e1' } }), { allowed: true }, op);
  });

  it('a shared volume can be inspected (by its daemon name), not deleted or updated; an own one can', async () => {
    const v = await go({ op: 'VolumeInspect', params: { name: 'bob.models' } });
    assert.deepEqual(bare(v, { response: true }), { allowed: true, params: { name: 'bob.models' } });
    assert.deepEqual(respond(v, { Name: 'bob.models' }), j({ Name: 'bob.models' }));
    for (const op of ['VolumeDelete', 'VolumeUpdate']) {
      expectRule(await go({ op, params: { name: 'bob.models' } }), 'PC_SHARED_READ_ONLY');
      // alice.data also carries the shared label: it is still alice's
      assert.deepEqual(await go({ op, params: { name: 'data' } }), { allowed: true, params: { name: 'alice.data' } }, op);
    }
    expectHidden(await go({ op: 'VolumeInspect', params: { name: 'models' } }), 'get models: no such volume');
  });

  it('a shared network can be inspected and joined, not removed; an own one can be removed', async () => {
    assert.deepEqual(bare(await go({ op: 'NetworkInspect', params: { id: 'bob.shared-net' } }), { response: true }), { allowed: true, params: { id: NS } });
    for (const op of ['NetworkConnect', 'NetworkDisconnect']) {
      // Other clients are on a shared network: the container gets no alias there (docs/tenancy.md, identities).
      const body = { Container: A1 };
      assert.deepEqual(await go({ op, params: { id: 'bob.shared-net' }, body: { Container: 'web' } }), { allowed: true, params: { id: NS }, body: j(body) }, op);
    }
    expectRule(await go({ op: 'NetworkDelete', params: { id: 'bob.shared-net' } }), 'PC_SHARED_READ_ONLY');
    expectRule(await go({ op: 'NetworkDelete', params: { id: 'n5' } }), 'PC_SHARED_READ_ONLY');
    assert.deepEqual(await go({ op: 'NetworkDelete', params: { id: 'front' } }), { allowed: true, params: { id: NA } });
  });

  it('a shared container cannot be connected to or disconnected from a network; an own one can', async () => {
    for (const op of ['NetworkConnect', 'NetworkDisconnect']) {
      for (const net of ['front', 'bob.shared-net']) {
        expectRule(await go({ op, params: { id: net }, body: { Container: 'bob.cache' } }), 'PC_SHARED_READ_ONLY');
        assert.equal((await go({ op, params: { id: net }, body: { Container: 'db' } })).allowed, true, `${op} ${net}`);
      }
    }
  });

  it('a shared volume\'s name cannot be created again (dockerd would answer with the shared volume); a free name can', async () => {
    const one = tenancy({ names: 'shared', shared: { labels: [SEL_YES] } });
    const l = () =>
      daemon(
        {
          [ownedVolumesPath('alice')]: { status: 200, body: { Volumes: [] } },
          [labelPath('volumes', SEL_YES)]: { status: 200, body: { Volumes: [{ Name: 'models' }] } },
          '/volumes/models': { status: 200, body: { Name: 'models' } },
        },
        'shared',
      );
    expectHidden(await run({ op: 'VolumeCreate', body: { Name: 'models' }, lookup: l() }, one), 'volume name "models" is already in use by another client', 409);
    assert.equal((await run({ op: 'VolumeCreate', body: { Name: 'other' }, lookup: l() }, one)).allowed, true);
  });

  it('ImageCommit of a shared container is refused (a commit pauses it); of an own one pinned', async () => {
    expectRule(await go({ op: 'ImageCommit', query: { container: ['bob.cache'] } }), 'PC_SHARED_READ_ONLY');
    assert.deepEqual(queryOf(await go({ op: 'ImageCommit', query: { container: ['web'] } })), { container: [A1] });
  });

  it('inspect of a shared network lists only the attached containers the client sees; of an own one all', async () => {
    const answer = { Name: 'bob.shared-net', Containers: { [S1]: { Name: 'bob.cache' }, [A1]: { Name: 'alice.web' }, [B1]: { Name: 'bob.api' } } };
    assert.deepEqual(respond(await go({ op: 'NetworkInspect', params: { id: 'bob.shared-net' } }), answer), j({ Name: 'bob.shared-net', Containers: { [S1]: { Name: 'bob.cache' }, [A1]: { Name: 'web' } } }));
    const own = { Name: 'alice.front', Containers: { [A1]: { Name: 'alice.web' }, [B1]: { Name: 'bob.api' } } };
    assert.deepEqual(respond(await go({ op: 'NetworkInspect', params: { id: 'front' } }), own), j({ Name: 'front', Containers: { [A1]: { Name: 'web' }, [B1]: { Name: 'bob.api' } } }));
  });
});

describe('shared objects: used in create bodies', () => {
  it('a shared volume is mounted by its daemon name, as it is: no new volume, no label', async () => {
    const l = lookup();
    const v = await go({ op: 'ContainerCreate', body: { Image: 'i', HostConfig: { Binds: ['bob.models:/m:ro'], Mounts: [{ Type: 'volume', Source: 'bob.models', Target: '/n' }] } }, lookup: l });
    assert.deepEqual(allowed(v).body, j({ Image: 'i', HostConfig: { Binds: ['bob.models:/m:ro'], Mounts: [{ Type: 'volume', Source: 'bob.models', Target: '/n' }] }, Labels: { [LABEL]: 'alice' } }));
    assert.ok(!l.calls.includes('/volumes/alice.bob.models'));
  });

  it('a shared network is joined by its daemon name, without the container\'s alias (other clients are on it)', async () => {
    const l = lookup({ [namePath('alice.web2')]: { status: 200, body: [] } });
    const v = await go({ op: 'ContainerCreate', query: { name: ['web2'] }, body: { Image: 'i', HostConfig: { NetworkMode: 'bob.shared-net' } }, lookup: l });
    assert.deepEqual(allowed(v).body, j({ Image: 'i', HostConfig: { NetworkMode: 'bob.shared-net' }, Labels: { [LABEL]: 'alice' } }));
    const keyed = await go({ op: 'ContainerCreate', query: { name: ['web2'] }, body: { Image: 'i', NetworkingConfig: { EndpointsConfig: { 'bob.shared-net': {} } } }, lookup: l });
    assert.deepEqual(allowed(keyed).body, j({ Image: 'i', NetworkingConfig: { EndpointsConfig: { 'bob.shared-net': {} } }, Labels: { [LABEL]: 'alice' } }));
  });

  it('on a shared network, aliases go into the client\'s name space (refused without prefixes)', async () => {
    const l = () => lookup({ [namePath('alice.web2')]: { status: 200, body: [] } });
    const v = await go({ op: 'ContainerCreate', query: { name: ['web2'] }, body: { Image: 'i', NetworkingConfig: { EndpointsConfig: { 'bob.shared-net': { Aliases: ['api', 'bob.api'] } } } }, lookup: l() });
    assert.deepEqual(allowed(v).body, j({ Image: 'i', NetworkingConfig: { EndpointsConfig: { 'bob.shared-net': { Aliases: ['alice.api', 'alice.bob.api'] } } }, Labels: { [LABEL]: 'alice' } }));
    const c = await go({ op: 'NetworkConnect', params: { id: 'bob.shared-net' }, body: { Container: 'web', EndpointConfig: { Aliases: ['api'] } } });
    assert.deepEqual(allowed(c).body, j({ Container: A1, EndpointConfig: { Aliases: ['alice.api'] } }));
  });

  it('on a shared network, DNS names, MAC and static IP addresses are refused; on an own network they pass', async () => {
    const l = () => lookup({ [namePath('alice.web2')]: { status: 200, body: [] } });
    const identities: Record<string, unknown>[] = [
      { DNSNames: ['api'] },
      { MacAddress: '02:42:ac:11:00:02' },
      { IPAMConfig: { IPv4Address: '172.30.0.9' } },
      { IPAMConfig: { IPv6Address: 'fd00::9' } },
      { IPAMConfig: { LinkLocalIPs: ['169.254.0.9'] } },
    ];
    for (const ep of identities) {
      const create = (net: string) => go({ op: 'ContainerCreate', query: { name: ['web2'] }, body: { Image: 'i', NetworkingConfig: { EndpointsConfig: { [net]: ep } } }, lookup: l() });
      expectRule(await create('bob.shared-net'), 'PC_TENANCY_IDENTITY');
      assert.equal((await create('front')).allowed, true, JSON.stringify(ep));
      const connect = (net: string) => go({ op: 'NetworkConnect', params: { id: net }, body: { Container: 'web', EndpointConfig: ep } });
      expectRule(await connect('bob.shared-net'), 'PC_TENANCY_IDENTITY');
      assert.equal((await connect('front')).allowed, true, JSON.stringify(ep));
    }
    const mac = (mode: string) => go({ op: 'ContainerCreate', query: { name: ['web2'] }, body: { Image: 'i', MacAddress: '02:42:ac:11:00:02', HostConfig: { NetworkMode: mode } }, lookup: l() });
    expectRule(await mac('bob.shared-net'), 'PC_TENANCY_IDENTITY');
    assert.equal((await mac('front')).allowed, true);
  });

  it('a shared container can be linked to (pinned), but not entered: its namespaces and volumes stay its own', async () => {
    const v = await go({ op: 'ContainerCreate', body: { Image: 'i', HostConfig: { Links: ['bob.cache:cache'] } } });
    assert.deepEqual(allowed(v).body, j({ Image: 'i', HostConfig: { Links: [`${S1}:cache`] }, Labels: { [LABEL]: 'alice' } }));
    for (const hc of [{ NetworkMode: 'container:bob.cache' }, { PidMode: 'container:registry' }, { IpcMode: 'container:registry' }, { VolumesFrom: ['bob.cache:ro'] }]) {
      expectRule(await go({ op: 'ContainerCreate', body: { Image: 'i', HostConfig: hc } }), 'PC_SHARED_READ_ONLY');
    }
    // the own neighbour
    const own = await go({ op: 'ContainerCreate', body: { Image: 'i', HostConfig: { PidMode: 'container:web', VolumesFrom: ['web:ro'] } } });
    assert.deepEqual(allowed(own).body, j({ Image: 'i', HostConfig: { PidMode: `container:${A1}`, VolumesFrom: [`${A1}:ro`] }, Labels: { [LABEL]: 'alice' } }));
    expectHidden(await go({ op: 'ContainerCreate', body: { Image: 'i', HostConfig: { VolumesFrom: ['api'] } } }), 'No such container: api');
  });
});

describe('shared objects: lists', () => {
  const own = { Id: A1, Names: ['/alice.web'], Labels: { [LABEL]: 'alice' } };
  const ownPresented = { ...own, Names: ['/web'] };
  const sharedYes = { Id: S1, Names: ['/bob.cache'], Labels: { [LABEL]: 'bob', 'com.example.shared': 'yes' } };
  const sharedNo = { Id: 'c1', Names: ['/bob.no'], Labels: { [LABEL]: 'bob', 'com.example.shared': 'no' } };
  const sharedKey = { Id: S2, Names: ['/registry'], Labels: { 'com.example.public': '' } };
  const bobs = { Id: B1, Names: ['/bob.api'], Labels: { [LABEL]: 'bob' } };
  const unlabelled = { Id: 'c2', Names: ['/x'], Labels: null };
  const noLabels = { Id: 'c3', Names: ['/y'] };
  const otherOwnerValue = { Id: 'c4', Names: ['/z'], Labels: { [LABEL]: 'alice2' } };
  const all = [bobs, own, sharedNo, sharedYes, unlabelled, sharedKey, noLabels, otherOwnerValue];

  it('ContainerList pushes no owner label but keeps the client\'s filters, and filters the answer to own and shared entries', async () => {
    const v = await go({ op: 'ContainerList', query: { all: ['1'], filters: ['{"label":["app=x"],"status":["exited"]}'] } });
    assert.deepEqual(queryOf(v), { all: ['1'], filters: [JSON.stringify({ label: { 'app=x': true }, status: { exited: true } })] });
    assert.deepEqual(respond(v, all), j([ownPresented, sharedYes, sharedKey]));
  });

  it('VolumeList and NetworkList are filtered the same way, with the client\'s names', async () => {
    const vols = [
      { Name: 'alice.data', Labels: { [LABEL]: 'alice' } },
      { Name: 'bob.models', Labels: { 'com.example.shared': 'yes' } },
      { Name: 'bob.private', Labels: { [LABEL]: 'bob' } },
      { Name: 'anon', Labels: null },
    ];
    const v = await go({ op: 'VolumeList' });
    assert.deepEqual(filtersOf(v), {});
    assert.deepEqual(respond(v, { Volumes: vols, Warnings: null }), j({ Volumes: [{ ...vols[0], Name: 'data' }, vols[1]], Warnings: null }));
    assert.deepEqual(respond(v, { Volumes: null, Warnings: null }), j({ Volumes: null, Warnings: null }));
    const nets = [
      { Id: NA, Name: 'alice.front', Labels: { [LABEL]: 'alice' } },
      { Id: 'b', Name: 'bridge', Labels: {} },
      { Id: NS, Name: 'bob.shared-net', Labels: { [LABEL]: 'bob', 'com.example.public': 'whatever' } },
      { Id: 'x', Name: 'bob.back', Labels: { [LABEL]: 'bob' } },
    ];
    const n = await go({ op: 'NetworkList' });
    assert.deepEqual(respond(n, nets), j([{ ...nets[0], Name: 'front' }, nets[2]]));
  });

  it('a positive ContainerList limit is applied after filtering: dropped upstream, with all=1 (dockerd lists every state under a limit)', async () => {
    const v = await go({ op: 'ContainerList', query: { all: ['0'], limit: ['2'], size: ['1'] } });
    assert.deepEqual(queryOf(v), { size: ['1'], filters: ['{}'], all: ['1'] });
    assert.deepEqual(respond(v, all), j([ownPresented, sharedYes]));
    const one = await go({ op: 'ContainerList', query: { limit: ['1'] } });
    assert.deepEqual(respond(one, all), j([ownPresented]));
  });

  it('a limit of 0, a negative or an empty one is passed on untouched and cuts nothing', async () => {
    for (const limit of ['0', '-1', '']) {
      const v = await go({ op: 'ContainerList', query: { limit: [limit] } });
      assert.deepEqual(queryOf(v), { limit: [limit], filters: ['{}'] }, limit);
      assert.deepEqual(respond(v, all), j([ownPresented, sharedYes, sharedKey]), limit);
    }
  });

  it('refuses a limit that is no integer or is given twice; without shared objects the daemon judges the limit', async () => {
    for (const limit of [['x'], ['1.5'], ['1', '2']]) expectRule(await go({ op: 'ContainerList', query: { limit } }), 'PC_TENANCY_FILTERS');
    const plain = await run({ op: 'ContainerList', query: { limit: ['2'] } });
    assert.deepEqual(queryOf(plain), { limit: ['2'], filters: [JSON.stringify({ label: { [`${LABEL}=alice`]: true } })] });
    assert.deepEqual(respond(plain, [own, own]), j([ownPresented, ownPresented]));
  });

  it('prunes still push the owner label: shared objects are never pruned', async () => {
    for (const op of ['ContainerPrune', 'VolumePrune', 'NetworkPrune']) {
      const v = await go({ op, query: { filters: ['{"until":["24h"]}'] } });
      assert.deepEqual(bare(v, { response: op !== 'ContainerPrune' }), { allowed: true, query: new Map([['filters', [JSON.stringify({ until: { '24h': true }, label: { [`${LABEL}=alice`]: true } })]]]) }, op);
    }
  });
});
