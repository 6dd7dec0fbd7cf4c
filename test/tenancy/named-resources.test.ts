import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { daemon, expectHidden, ownedNetworksPath, ownedVolumesPath, run, SHARED_NAMES, type LookupAnswer } from './helpers.js';

/**
 * alice owns volume av and network an; bob owns bv and bn; "orphan" exists and belongs to no one.
 * `names` says how the daemon knows them: `alice.av`, … or `av`, ….
 */
const lookup = (names: 'prefix' | 'shared') => {
  const n = (client: string, name: string): string => (names === 'prefix' ? `${client}.${name}` : name);
  const answers: Record<string, LookupAnswer> = {
    [ownedVolumesPath('alice')]: { status: 200, body: { Volumes: [{ Name: n('alice', 'av') }] } },
    [ownedNetworksPath('alice')]: { status: 200, body: [{ Id: 'a'.repeat(64), Name: n('alice', 'an') }] },
    [`/volumes/${n('bob', 'bv')}`]: { status: 200, body: { Name: n('bob', 'bv') } },
    [`/volumes/${n('alice', 'orphan')}`]: { status: 200, body: { Name: n('alice', 'orphan') } },
  };
  return daemon(answers, names);
};

const create = (names: 'prefix' | 'shared', hostConfig: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  op: 'ContainerCreate',
  body: { Image: 'busybox', HostConfig: hostConfig, ...extra },
  lookup: lookup(names),
});

describe('volumes and networks a create body names (one name space)', () => {
  const shared = (hc: Record<string, unknown>, extra: Record<string, unknown> = {}) => run(create('shared', hc, extra), SHARED_NAMES);

  test("another client's volume, by Binds or by Mounts, is no such volume", async () => {
    expectHidden(await shared({ Binds: ['bv:/data'] }), 'get bv: no such volume');
    expectHidden(await shared({ Mounts: [{ Type: 'volume', Source: 'bv', Target: '/data' }] }), 'get bv: no such volume');
    expectHidden(await shared({ Binds: ['orphan:/data'] }), 'get orphan: no such volume');
  });

  test('an own volume, a volume dockerd will create, and an anonymous one pass', async () => {
    for (const hc of [{ Binds: ['av:/data'] }, { Binds: ['fresh:/data'] }, { Binds: ['/data'] }, { Mounts: [{ Type: 'volume', Target: '/v' }] }]) {
      assert.equal((await shared(hc)).allowed, true, JSON.stringify(hc));
    }
  });

  test("another client's network, as NetworkMode or an endpoint, is not found", async () => {
    expectHidden(await shared({ NetworkMode: 'bn' }), 'network bn not found');
    expectHidden(await shared({}, { NetworkingConfig: { EndpointsConfig: { bn: {} } } }), 'network bn not found');
  });

  test('an own network, by name or ID prefix, and the predefined ones pass', async () => {
    for (const [hc, extra] of [
      [{ NetworkMode: 'an' }, {}],
      [{ NetworkMode: 'aaaaaaaa' }, {}],
      [{ NetworkMode: 'none' }, {}],
      [{ NetworkMode: 'bridge' }, {}],
      [{}, { NetworkingConfig: { EndpointsConfig: { an: { Aliases: ['web'] } } } }],
    ] as const) {
      assert.equal((await shared(hc, extra)).allowed, true, JSON.stringify([hc, extra]));
    }
  });
});

describe('volumes and networks a create body names (name prefixes)', () => {
  const prefixed = (hc: Record<string, unknown>, extra: Record<string, unknown> = {}) => run(create('prefix', hc, extra));

  test("another client's volume cannot be named: its name, and its daemon name, are new volumes in the client's name space", async () => {
    for (const name of ['bv', 'bob.bv']) {
      const r = create('prefix', { Binds: [`${name}:/data`] });
      assert.equal((await run(r)).allowed, true, name);
      assert.ok(r.lookup.calls.includes(`/volumes/alice.${name}`), name);
      assert.ok(!r.lookup.calls.includes('/volumes/bob.bv'), name);
    }
  });

  test("a volume in the client's name space it does not own is no such volume, by Binds or by Mounts", async () => {
    expectHidden(await prefixed({ Binds: ['orphan:/data'] }), 'get orphan: no such volume');
    expectHidden(await prefixed({ Mounts: [{ Type: 'volume', Source: 'orphan', Target: '/data' }] }), 'get orphan: no such volume');
    assert.equal((await prefixed({ Binds: ['av:/data'] })).allowed, true);
  });

  test("another client's network, by name or daemon name, is not found; an own one passes", async () => {
    for (const ref of ['bn', 'bob.bn']) {
      expectHidden(await prefixed({ NetworkMode: ref }), `network ${ref} not found`);
      expectHidden(await prefixed({}, { NetworkingConfig: { EndpointsConfig: { [ref]: {} } } }), `network ${ref} not found`);
    }
    assert.equal((await prefixed({ NetworkMode: 'an' })).allowed, true);
    assert.equal((await prefixed({}, { NetworkingConfig: { EndpointsConfig: { an: {} } } })).allowed, true);
  });

  test("the own network by its daemon name is not found: the client's names are the ones it gave", async () => {
    expectHidden(await prefixed({ NetworkMode: 'alice.an' }), 'network alice.an not found');
  });
});
