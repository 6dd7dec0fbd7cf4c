import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  A1,
  A2,
  allowed,
  B1,
  daemon,
  expectHidden,
  filtersOf,
  j,
  LABEL,
  labelPath,
  ownedPath,
  respond,
  run,
  SHARED_NAMES,
  tenancy,
} from './helpers.js';

const OWNER = { [`${LABEL}=alice`]: true };
const list = (op: string, filters: unknown, inspector = tenancy()) => run({ op, query: { filters: [JSON.stringify(filters)] } }, inspector);

/** dockerd's `name` filter: a regular expression, for containers tried on the name with and without its "/". */
function dockerdMatches(pattern: string, name: string, container: boolean): boolean {
  const re = new RegExp(pattern);
  return re.test(name) || (container && re.test(name.replace(/^\//, '')));
}

describe('lists: name filters in the client\'s name space', () => {
  it('ContainerList: an anchored pattern gets the escaped prefix after its anchor, an unanchored one is left', async () => {
    const v = await list('ContainerList', { name: { '^/web$': true, '^db': true, 'eb$': true } });
    assert.deepEqual(filtersOf(v), { name: { '^/alice\\.web$': true, '^alice\\.db': true, 'eb$': true }, label: OWNER });
  });

  it('ContainerList: each rewritten pattern matches the daemon names exactly where the client\'s pattern matches the client\'s names', async () => {
    const patterns = ['^/web$', '^web$', '^/w', '^w', '^web', 'web', 'eb$', '^/my-web$', '^(web|db)$'];
    const names = ['web', 'webapp', 'db', 'my-web', 'aweb'];
    for (const p of patterns) {
      const rewritten = Object.keys((filtersOf(await list('ContainerList', { name: { [p]: true } })) as { name: Record<string, true> }).name);
      assert.equal(rewritten.length, 1);
      for (const n of names) {
        assert.equal(dockerdMatches(rewritten[0]!, `/alice.${n}`, true), dockerdMatches(p, `/${n}`, true), `${p} on ${n} (as ${rewritten[0]})`);
      }
    }
    // the "." of the prefix is escaped: it matches no other character
    const [p] = Object.keys((filtersOf(await list('ContainerList', { name: { '^/web$': true } })) as { name: Record<string, true> }).name);
    assert.equal(dockerdMatches(p!, '/aliceXweb', true), false);
  });

  it('NetworkList and VolumeList: the same, anchored at "^" (names without "/")', async () => {
    for (const op of ['NetworkList', 'VolumeList']) {
      const v = await list(op, { name: { '^front$': true, 'ont$': true } });
      assert.deepEqual(filtersOf(v), { name: { '^alice\\.front$': true, 'ont$': true }, label: OWNER }, op);
      for (const p of ['^front$', '^fr', 'ont$', 'front']) {
        const [rewritten] = Object.keys((filtersOf(await list(op, { name: { [p]: true } })) as { name: Record<string, true> }).name);
        for (const n of ['front', 'frontend', 'back']) assert.equal(dockerdMatches(rewritten!, `alice.${n}`, false), dockerdMatches(p, n, false), `${op} ${p} ${n}`);
      }
    }
  });

  it('ContainerList: network and volume filters get the daemon names beside the client\'s', async () => {
    const f = filtersOf(await list('ContainerList', { network: { front: true }, volume: { data: true } })) as Record<string, Record<string, true>>;
    assert.deepEqual(Object.keys(f['network']!).sort(), ['alice.front', 'front']);
    assert.ok(f['volume']!['data'] && f['volume']!['alice.data']);
  });

  it('with one name space, filters are forwarded as given (plus the owner label)', async () => {
    const given = { name: { '^/web$': true, '^web': true }, network: { front: true }, volume: { data: true } };
    assert.deepEqual(filtersOf(await list('ContainerList', given, SHARED_NAMES)), { ...given, label: OWNER });
    assert.deepEqual(filtersOf(await list('NetworkList', { name: { '^front$': true } }, SHARED_NAMES)), { name: { '^front$': true }, label: OWNER });
  });

  it('with shared objects, names are still rewritten (and no owner label is pushed)', async () => {
    const v = await list('ContainerList', { name: { '^/web$': true } }, tenancy({ shared: { labels: ['s'] } }));
    assert.deepEqual(filtersOf(v), { name: { '^/alice\\.web$': true } });
  });
});

describe('lists: before and since', () => {
  it('are resolved among the visible containers, as dockerd would, to full IDs', async () => {
    const v = await list('ContainerList', { before: { web: true }, since: { a2: true }, status: { exited: true } });
    assert.deepEqual(filtersOf(v), { before: { [A1]: true }, since: { [A2]: true }, status: { exited: true }, label: OWNER });
    assert.deepEqual(filtersOf(await list('ContainerList', { before: { '/db': true } })), { before: { [A2]: true }, label: OWNER });
  });

  it('another client\'s container (by name, daemon name or ID), or an ambiguous prefix, is no such container', async () => {
    for (const key of ['before', 'since']) {
      for (const ref of ['api', 'bob.api', B1, 'a']) {
        expectHidden(await list('ContainerList', { [key]: { [ref]: true } }), `No such container: ${ref}`);
      }
    }
  });

  it('a shared container can be a bound; with one name space the daemon name is the client\'s', async () => {
    const S1 = 's1' + '0'.repeat(62);
    const lookup = daemon({ [labelPath('containers', 'pub')]: { status: 200, body: [{ Id: S1, Names: ['/bob.cache'] }] } });
    const shared = await run({ op: 'ContainerList', query: { filters: ['{"since":["bob.cache"]}'] }, lookup }, tenancy({ shared: { labels: ['pub'] } }));
    assert.deepEqual(filtersOf(shared), { since: { [S1]: true } });
    const one = await run({ op: 'ContainerList', query: { filters: ['{"before":["web"]}'] }, lookup: daemon({}, 'shared') }, SHARED_NAMES);
    assert.deepEqual(filtersOf(one), { before: { [A1]: true }, label: OWNER });
  });

  it('without before or since no container is looked up', async () => {
    const lookup = daemon();
    await run({ op: 'ContainerList', query: { filters: ['{"status":["running"]}'] }, lookup });
    assert.deepEqual(lookup.calls, []);
    await run({ op: 'ContainerList', query: { filters: ['{"since":["web"]}'] }, lookup });
    assert.deepEqual(lookup.calls, [ownedPath('alice')]);
  });
});

describe('lists: answers with the client\'s names', () => {
  it('ContainerList presents every entry the daemon returned (it already filtered them by owner)', async () => {
    const v = await run({ op: 'ContainerList' });
    const entries = [
      { Id: A1, Names: ['/alice.web', '/alice.app/web'], NetworkSettings: { Networks: { 'alice.front': {} } }, Labels: { [LABEL]: 'alice' } },
      { Id: A2, Names: ['/alice.db'], Labels: { [LABEL]: 'alice' } },
    ];
    assert.deepEqual(
      respond(v, entries),
      j([
        { Id: A1, Names: ['/web', '/app/web'], NetworkSettings: { Networks: { front: {} } }, Labels: { [LABEL]: 'alice' } },
        { Id: A2, Names: ['/db'], Labels: { [LABEL]: 'alice' } },
      ]),
    );
  });

  it('NetworkList and VolumeList present names; a null volume list stays null', async () => {
    assert.deepEqual(respond(await run({ op: 'NetworkList' }), [{ Id: 'n', Name: 'alice.front', Containers: {} }]), j([{ Id: 'n', Name: 'front', Containers: {} }]));
    const vols = await run({ op: 'VolumeList' });
    assert.deepEqual(respond(vols, { Volumes: [{ Name: 'alice.data' }], Warnings: ['w'] }), j({ Volumes: [{ Name: 'data' }], Warnings: ['w'] }));
    assert.deepEqual(respond(vols, { Volumes: null, Warnings: null }), j({ Volumes: null, Warnings: null }));
  });

  it('with one name space, lists are not rewritten at all', async () => {
    for (const op of ['ContainerList', 'NetworkList', 'VolumeList']) {
      const v = await run({ op }, SHARED_NAMES);
      assert.deepEqual(v, { allowed: true, query: new Map([['filters', [JSON.stringify({ label: OWNER })]]]) }, op);
    }
  });
});

describe('prunes', () => {
  it('the names of pruned volumes and networks are the client\'s; container IDs need nothing', async () => {
    const vols = await run({ op: 'VolumePrune' });
    assert.deepEqual(respond(vols, { VolumesDeleted: ['alice.data', 'legacy'], SpaceReclaimed: 10 }), j({ VolumesDeleted: ['data', 'legacy'], SpaceReclaimed: 10 }));
    assert.deepEqual(respond(vols, { VolumesDeleted: null, SpaceReclaimed: 0 }), j({ VolumesDeleted: null, SpaceReclaimed: 0 }));
    assert.deepEqual(respond(await run({ op: 'NetworkPrune' }), { NetworksDeleted: ['alice.front'] }), j({ NetworksDeleted: ['front'] }));
    assert.equal(allowed(await run({ op: 'ContainerPrune' })).response, undefined);
  });

  it('with one name space, prune answers are left alone', async () => {
    for (const op of ['ContainerPrune', 'VolumePrune', 'NetworkPrune']) {
      assert.deepEqual(await run({ op }, SHARED_NAMES), { allowed: true, query: new Map([['filters', [JSON.stringify({ label: OWNER })]]]) }, op);
    }
  });
});

describe('system df', () => {
  const usage = {
    LayersSize: 100,
    Images: [{ Id: 'sha256:i', Containers: 3, Labels: { [LABEL]: 'bob' } }],
    Containers: [
      { Id: A1, Names: ['/alice.web'], Labels: { [LABEL]: 'alice' }, Mounts: [{ Type: 'volume', Name: 'alice.data' }] },
      { Id: B1, Names: ['/bob.api'], Labels: { [LABEL]: 'bob' } },
      { Id: 's1', Names: ['/bob.cache'], Labels: { [LABEL]: 'bob', pub: 'yes' } },
      { Id: 'c', Names: ['/stray'], Labels: {} },
    ],
    Volumes: [
      { Name: 'alice.data', Labels: { [LABEL]: 'alice' }, UsageData: { Size: 1, RefCount: 1 } },
      { Name: 'bob.v', Labels: { [LABEL]: 'bob' } },
      { Name: 'bob.models', Labels: { pub: 'yes' } },
      { Name: 'anon', Labels: null },
    ],
    BuildCache: [{ ID: 'bc', Size: 5 }],
  };

  it('keeps only the client\'s containers and volumes, under its names; images stay, the build cache is emptied', async () => {
    const v = await run({ op: 'SystemDataUsage' });
    assert.deepEqual(
      respond(v, usage),
      j({
        ...usage,
        Containers: [{ Id: A1, Names: ['/web'], Labels: { [LABEL]: 'alice' }, Mounts: [{ Type: 'volume', Name: 'data' }] }],
        Volumes: [{ Name: 'data', Labels: { [LABEL]: 'alice' }, UsageData: { Size: 1, RefCount: 1 } }],
        BuildCache: [],
      }),
    );
  });

  it('shared containers and volumes are kept as they are', async () => {
    const v = await run({ op: 'SystemDataUsage' }, tenancy({ shared: { labels: ['pub=yes'] } }));
    const out = respond(v, usage) as { Containers: { Id: string }[]; Volumes: { Name: string }[] };
    assert.deepEqual(out.Containers.map((c) => c.Id), [A1, 's1']);
    assert.deepEqual(out.Volumes.map((c) => c.Name), ['data', 'bob.models']);
  });

  it('with one name space, names are left; answers of one type (no BuildCache, null lists) get nothing added', async () => {
    const v = await run({ op: 'SystemDataUsage' }, SHARED_NAMES);
    const out = respond(v, usage) as { Containers: { Names: string[] }[] };
    assert.deepEqual(out.Containers.map((c) => c.Names), [['/alice.web']]);
    assert.deepEqual(respond(v, { Images: [], Containers: null, Volumes: null }), j({ Images: [], Containers: null, Volumes: null }));
  });
});
