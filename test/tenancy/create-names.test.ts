import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  A1,
  allowed,
  B1,
  daemon,
  expectHidden,
  expectRule,
  j,
  LABEL,
  namePath,
  ownedNetworksPath,
  ownedVolumesPath,
  queryOf,
  run,
  SHARED_NAMES,
  type LookupAnswer,
} from './helpers.js';

const NA = 'n1' + '0'.repeat(62);
const NB = 'n2' + '0'.repeat(62);
const OWNER = { [LABEL]: 'alice' };

/**
 * alice owns volumes av (`alice.av`) and legacy (from before prefixes, `legacy`), networks an
 * (`alice.an`, NA) and back (`alice.back`, NB); `alice.orphan` exists but is no one's.
 */
function lookup(extra: Record<string, LookupAnswer> = {}) {
  return daemon({
    [ownedVolumesPath('alice')]: { status: 200, body: { Volumes: [{ Name: 'alice.av' }, { Name: 'legacy' }] } },
    [ownedNetworksPath('alice')]: { status: 200, body: [{ Id: NA, Name: 'alice.an' }, { Id: NB, Name: 'alice.back' }] },
    '/volumes/alice.orphan': { status: 200, body: { Name: 'alice.orphan' } },
    [namePath('alice.web')]: { status: 200, body: [] },
    ...extra,
  });
}

/** The body a ContainerCreate with `hc` (and `extra`) is forwarded with, by alice with name prefixes. */
async function forwarded(hc: unknown, extra: Record<string, unknown> = {}, query: Record<string, string[]> = {}, l = lookup()): Promise<unknown> {
  return allowed(await run({ op: 'ContainerCreate', query, body: { Image: 'i', HostConfig: hc, ...extra }, lookup: l })).body;
}

const expected = (hc: unknown, extra: Record<string, unknown> = {}) => j({ Image: 'i', HostConfig: hc, ...extra, Labels: OWNER });
const newMount = (source: string, target: string, more: Record<string, unknown> = {}, options: Record<string, unknown> = {}) => ({
  Type: 'volume',
  Source: source,
  Target: target,
  ...more,
  VolumeOptions: { ...options, Labels: OWNER },
});

describe('create bodies: volumes, with name prefixes', () => {
  it('a bind of a volume that does not exist yet becomes a mount that creates it, prefixed, with the owner label', async () => {
    const l = lookup();
    assert.deepEqual(await forwarded({ Binds: ['fresh:/data'] }, {}, {}, l), expected({ Binds: [], Mounts: [newMount('alice.fresh', '/data')] }));
    assert.ok(l.calls.includes('/volumes/alice.fresh'));
    assert.ok(!l.calls.includes('/volumes/fresh'));
  });

  it('bind options a mount can express carry over', async () => {
    const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['ro', { ReadOnly: true }, {}],
      ['rw', {}, {}],
      ['nocopy', {}, { NoCopy: true }],
      ['ro,nocopy', { ReadOnly: true }, { NoCopy: true }],
    ];
    for (const [opts, more, options] of cases) {
      assert.deepEqual(await forwarded({ Binds: [`fresh:/data:${opts}`] }), expected({ Binds: [], Mounts: [newMount('alice.fresh', '/data', more, options)] }), opts);
    }
  });

  it('bind options a mount cannot express keep the bind, renamed', async () => {
    for (const opts of ['z', 'ro,Z', 'rprivate', 'ro,nocopy,shared']) {
      assert.deepEqual(await forwarded({ Binds: [`fresh:/data:${opts}`] }), expected({ Binds: [`alice.fresh:/data:${opts}`] }), opts);
    }
  });

  it('an own volume is mounted by its daemon name, not relabelled and not looked up again', async () => {
    const l = lookup();
    assert.deepEqual(
      await forwarded({ Binds: ['av:/data:ro', 'legacy:/l'], Mounts: [{ Type: 'volume', Source: 'av', Target: '/m' }] }, {}, {}, l),
      expected({ Binds: ['alice.av:/data:ro', 'legacy:/l'], Mounts: [{ Type: 'volume', Source: 'alice.av', Target: '/m' }] }),
    );
    assert.ok(!l.calls.some((c) => c.startsWith('/volumes/')), l.calls.join(' '));
  });

  it('a volume mount of a new volume gets the owner label in its VolumeOptions, over the client\'s', async () => {
    const given = { Type: 'volume', Source: 'fresh', Target: '/f', ReadOnly: true, VolumeOptions: { NoCopy: true, Labels: { [LABEL]: 'bob', app: 'x' } } };
    assert.deepEqual(
      await forwarded({ Mounts: [given] }),
      expected({ Mounts: [{ ...given, Source: 'alice.fresh', VolumeOptions: { NoCopy: true, Labels: { [LABEL]: 'alice', app: 'x' } } }] }),
    );
    assert.deepEqual(await forwarded({ Mounts: [{ Type: 'volume', Source: 'fresh', Target: '/f', VolumeOptions: null }] }), expected({ Mounts: [newMount('alice.fresh', '/f')] }));
  });

  it('host paths, anonymous volumes and other mount types are left alone, and no volume is looked up', async () => {
    const hc = {
      Binds: ['/host:/h:ro'],
      Mounts: [{ Type: 'volume', Target: '/anon' }, { Type: 'volume', Source: '', Target: '/anon2' }, { Type: 'bind', Source: '/srv', Target: '/srv' }, { Type: 'tmpfs', Target: '/t' }],
    };
    const l = lookup();
    assert.deepEqual(await forwarded(hc, {}, {}, l), expected(hc));
    assert.ok(!l.calls.some((c) => c.startsWith('/volumes')), l.calls.join(' '));
  });

  it('binds turned into mounts come after the mounts given; other binds stay', async () => {
    const bind = { Type: 'bind', Source: '/srv', Target: '/srv' };
    assert.deepEqual(
      await forwarded({ Binds: ['fresh:/f', '/h:/h', 'av:/a'], Mounts: [bind] }),
      expected({ Binds: ['/h:/h', 'alice.av:/a'], Mounts: [bind, newMount('alice.fresh', '/f')] }),
    );
  });

  it('refuses a new volume\'s name dockerd would refuse without the prefix (400, dockerd\'s words), by bind or mount', async () => {
    for (const name of ['x', 'a$b', '_x']) {
      const message = `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`;
      expectHidden(await run({ op: 'ContainerCreate', body: { Image: 'i', HostConfig: { Binds: [`${name}:/d`] } }, lookup: lookup() }), message, 400);
      expectHidden(await run({ op: 'ContainerCreate', body: { Image: 'i', HostConfig: { Mounts: [{ Type: 'volume', Source: name, Target: '/d' }] } }, lookup: lookup() }), message, 400);
    }
    assert.deepEqual(await forwarded({ Binds: ['xy:/d'] }), expected({ Binds: [], Mounts: [newMount('alice.xy', '/d')] }));
  });

  it('refuses malformed volume fields and passes their well-formed neighbours', async () => {
    const bad: unknown[] = [
      { Binds: 'fresh:/d' },
      { Binds: [1] },
      { Mounts: { Type: 'volume' } },
      { Mounts: [{ Type: 'volume', Source: 'fresh', Target: '/d', VolumeOptions: 'x' }] },
    ];
    for (const hc of bad) expectRule(await run({ op: 'ContainerCreate', body: { Image: 'i', HostConfig: hc }, lookup: lookup() }), 'PC_DENIED_MALFORMED_BODY');
    expectRule(await run({ op: 'ContainerCreate', body: { Image: 'i', HostConfig: [] }, lookup: lookup() }), 'PC_DENIED_MALFORMED_BODY');
    for (const hc of [{ Binds: null }, { Binds: ['fresh:/d'] }, { Mounts: null }, { Mounts: [{ Type: 'volume', Source: 'fresh', Target: '/d', VolumeOptions: {} }] }]) {
      assert.equal((await run({ op: 'ContainerCreate', body: { Image: 'i', HostConfig: hc }, lookup: lookup() })).allowed, true, JSON.stringify(hc));
    }
  });

  it('with one name space, volumes keep their names and a bind stays a bind', async () => {
    const l = daemon({ [ownedVolumesPath('alice')]: { status: 200, body: { Volumes: [{ Name: 'av' }] } } }, 'shared');
    const v = await run({ op: 'ContainerCreate', body: { Image: 'i', HostConfig: { Binds: ['av:/a'], Mounts: [{ Type: 'volume', Source: 'av', Target: '/m' }] } }, lookup: l }, SHARED_NAMES);
    assert.deepEqual(allowed(v).body, expected({ Binds: ['av:/a'], Mounts: [{ Type: 'volume', Source: 'av', Target: '/m' }] }));
  });
});

describe('create bodies: networks, with name prefixes', () => {
  const web = { name: ['web'] };

  it('NetworkMode names an own network: rewritten to its daemon name, the container\'s name added as an alias there', async () => {
    const v = await run({ op: 'ContainerCreate', query: web, body: { Image: 'i', HostConfig: { NetworkMode: 'an' } }, lookup: lookup() });
    assert.deepEqual(allowed(v).body, expected({ NetworkMode: 'alice.an' }, { NetworkingConfig: { EndpointsConfig: { 'alice.an': { Aliases: ['web'] } } } }));
    assert.deepEqual(queryOf(v), { name: ['alice.web'] });
  });

  it('the alias is the name without its slash; without a name no alias and no endpoint is added', async () => {
    const slash = await run({ op: 'ContainerCreate', query: { name: ['/web'] }, body: { Image: 'i', HostConfig: { NetworkMode: 'an' } }, lookup: lookup() });
    assert.deepEqual(allowed(slash).body, expected({ NetworkMode: 'alice.an' }, { NetworkingConfig: { EndpointsConfig: { 'alice.an': { Aliases: ['web'] } } } }));
    assert.deepEqual(await forwarded({ NetworkMode: 'an' }), expected({ NetworkMode: 'alice.an' }));
  });

  it('a network by ID or ID prefix becomes its daemon name', async () => {
    assert.deepEqual(await forwarded({ NetworkMode: NA }), expected({ NetworkMode: 'alice.an' }));
    assert.deepEqual(await forwarded({ NetworkMode: 'n2' }), expected({ NetworkMode: 'alice.back' }));
  });

  it('EndpointsConfig is re-keyed to daemon names, the alias appended once, other settings kept', async () => {
    const nc = {
      EndpointsConfig: { an: { Aliases: ['x'], IPAMConfig: { IPv4Address: '10.0.0.5' } }, [NB]: { Aliases: ['web'] } },
      Other: 1,
    };
    const v = await run({ op: 'ContainerCreate', query: web, body: { Image: 'i', HostConfig: { NetworkMode: 'an' }, NetworkingConfig: nc }, lookup: lookup() });
    assert.deepEqual(
      allowed(v).body,
      expected(
        { NetworkMode: 'alice.an' },
        {
          NetworkingConfig: {
            EndpointsConfig: { 'alice.an': { Aliases: ['x', 'web'], IPAMConfig: { IPv4Address: '10.0.0.5' } }, 'alice.back': { Aliases: ['web'] } },
            Other: 1,
          },
        },
      ),
    );
  });

  it('endpoint settings given as null get the alias; without a name they stay null', async () => {
    const body = { Image: 'i', NetworkingConfig: { EndpointsConfig: { an: null } } };
    const named = await run({ op: 'ContainerCreate', query: web, body, lookup: lookup() });
    assert.deepEqual(allowed(named).body, j({ Image: 'i', NetworkingConfig: { EndpointsConfig: { 'alice.an': { Aliases: ['web'] } } }, Labels: OWNER }));
    const anonymous = await run({ op: 'ContainerCreate', body, lookup: lookup() });
    assert.deepEqual(allowed(anonymous).body, j({ Image: 'i', NetworkingConfig: { EndpointsConfig: { 'alice.an': null } }, Labels: OWNER }));
  });

  it('the predefined networks are left alone, get no alias and look no network up', async () => {
    for (const mode of ['bridge', 'host', 'none', 'default']) {
      const l = lookup();
      const body = { Image: 'i', HostConfig: { NetworkMode: mode }, NetworkingConfig: { EndpointsConfig: { [mode]: {} } } };
      const v = await run({ op: 'ContainerCreate', query: web, body, lookup: l });
      assert.deepEqual(allowed(v).body, j({ ...body, Labels: OWNER }), mode);
      assert.ok(!l.calls.some((c) => c.startsWith('/networks')), mode);
    }
    // beside a user network, a predefined endpoint keeps its key and settings
    const v = await run({ op: 'ContainerCreate', query: web, body: { Image: 'i', NetworkingConfig: { EndpointsConfig: { bridge: {}, an: {} } } }, lookup: lookup() });
    assert.deepEqual(allowed(v).body, j({ Image: 'i', NetworkingConfig: { EndpointsConfig: { bridge: {}, 'alice.an': { Aliases: ['web'] } } }, Labels: OWNER }));
  });

  it('container:<ref> network mode is pinned, not taken for a network', async () => {
    const l = lookup();
    assert.deepEqual(await forwarded({ NetworkMode: 'container:web' }, {}, {}, l), expected({ NetworkMode: `container:${A1}` }));
    assert.ok(!l.calls.some((c) => c.startsWith('/networks')));
  });

  it('refuses malformed network fields and passes their well-formed neighbours', async () => {
    const bad: Record<string, unknown>[] = [
      { NetworkingConfig: 'x' },
      { NetworkingConfig: { EndpointsConfig: [] } },
      { NetworkingConfig: { EndpointsConfig: { an: 'x' } } },
      { NetworkingConfig: { EndpointsConfig: { an: { Aliases: 'x' } } } },
    ];
    for (const extra of bad) {
      expectRule(await run({ op: 'ContainerCreate', query: web, body: { Image: 'i', ...extra }, lookup: lookup() }), 'PC_DENIED_MALFORMED_BODY');
    }
    for (const extra of [{ NetworkingConfig: null }, { NetworkingConfig: { EndpointsConfig: null } }, { NetworkingConfig: { EndpointsConfig: { an: { Aliases: null } } } }]) {
      assert.equal((await run({ op: 'ContainerCreate', query: web, body: { Image: 'i', ...extra }, lookup: lookup() })).allowed, true, JSON.stringify(extra));
    }
  });

  it('with one name space, networks keep their names and no alias is added', async () => {
    const l = daemon({ [ownedNetworksPath('alice')]: { status: 200, body: [{ Id: NA, Name: 'an' }] }, [namePath('web')]: { status: 200, body: [] } }, 'shared');
    const body = { Image: 'i', HostConfig: { NetworkMode: 'an' }, NetworkingConfig: { EndpointsConfig: { an: { Aliases: ['x'] } } } };
    const v = await run({ op: 'ContainerCreate', query: web, body, lookup: l }, SHARED_NAMES);
    assert.deepEqual(v, { allowed: true, body: j({ ...body, Labels: OWNER }) });
  });
});

describe('container names, with name prefixes', () => {
  const invalid = (name: string): string => `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`;

  it('ContainerCreate checks the name against dockerd\'s rule before prefixing it, and looks nothing up for a bad one', async () => {
    for (const given of ['x', '/x', '-web', '_web', '.web', 'a b', 'web/x', 'wéb']) {
      const l = lookup();
      const name = given.replace(/^\//, '');
      expectHidden(await run({ op: 'ContainerCreate', query: { name: [given] }, body: { Image: 'i' }, lookup: l }), invalid(name), 400);
      assert.deepEqual(l.calls, [], given);
    }
  });

  it('a valid name goes to the daemon prefixed, other query parameters kept', async () => {
    for (const [given, raw] of [['web', 'alice.web'], ['/web', 'alice.web'], ['w.1', 'alice.w.1'], ['a_b-c', 'alice.a_b-c']] as const) {
      const l = lookup({ [namePath(raw)]: { status: 200, body: [] } });
      const v = await run({ op: 'ContainerCreate', query: { name: [given], platform: ['linux/amd64'] }, body: { Image: 'i' }, lookup: l });
      assert.deepEqual(queryOf(v), { name: [raw], platform: ['linux/amd64'] }, given);
    }
  });

  it('an empty name is no name: dockerd picks one', async () => {
    assert.deepEqual(await run({ op: 'ContainerCreate', query: { name: [''] }, body: { Image: 'i' } }), { allowed: true, body: j({ Image: 'i', Labels: OWNER }) });
  });

  it('with one name space, the name is left to dockerd unchanged', async () => {
    const l = daemon({ [namePath('x')]: { status: 200, body: [] } }, 'shared');
    assert.deepEqual(await run({ op: 'ContainerCreate', query: { name: ['x'] }, body: { Image: 'i' }, lookup: l }, SHARED_NAMES), { allowed: true, body: j({ Image: 'i', Labels: OWNER }) });
  });

  it('ContainerRename prefixes the new name and pins the container', async () => {
    const l = lookup({ [namePath('alice.www')]: { status: 200, body: [] } });
    assert.deepEqual(await run({ op: 'ContainerRename', params: { id: 'web' }, query: { name: ['www'] }, lookup: l }), {
      allowed: true,
      params: { id: A1 },
      query: new Map([['name', ['alice.www']]]),
    });
  });

  it('ContainerRename refuses a bad name (400), a name held in the client\'s space by a container it does not own (409), another client\'s container (404)', async () => {
    expectHidden(await run({ op: 'ContainerRename', params: { id: 'web' }, query: { name: ['x'] }, lookup: lookup() }), invalid('x'), 400);
    const held = lookup({ [namePath('alice.www')]: { status: 200, body: [{ Id: B1, Names: ['/alice.www'] }] } });
    expectHidden(
      await run({ op: 'ContainerRename', params: { id: 'web' }, query: { name: ['www'] }, lookup: held }),
      'Conflict. The container name "/www" is already in use by another client. You have to remove (or rename) that container to be able to reuse that name.',
      409,
    );
    expectHidden(await run({ op: 'ContainerRename', params: { id: 'api' }, query: { name: ['www'] }, lookup: lookup() }), 'No such container: api');
  });

  it('with one name space, ContainerRename keeps the name and refuses one another client holds', async () => {
    const l = daemon({ [namePath('www')]: { status: 200, body: [] }, [namePath('api')]: { status: 200, body: [{ Id: B1, Names: ['/api'] }] } }, 'shared');
    assert.deepEqual(await run({ op: 'ContainerRename', params: { id: 'web' }, query: { name: ['www'] }, lookup: l }, SHARED_NAMES), { allowed: true, params: { id: A1 } });
    expectHidden(
      await run({ op: 'ContainerRename', params: { id: 'web' }, query: { name: ['api'] }, lookup: l }, SHARED_NAMES),
      'Conflict. The container name "/api" is already in use by another client. You have to remove (or rename) that container to be able to reuse that name.',
      409,
    );
  });
});
