import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowed, daemon, DB1, enc, expectHidden, expectRule, run, WEB1 } from './helpers.js';

const named = (name: string) => `/containers/json?all=1&filters=${enc({ name: { [`^/${name}$`]: true } })}`;
/** a daemon where no container holds the names the tests create */
const free = () => daemon(Object.fromEntries(['web3', 'db3', 'db1'].map((n) => [named(n), { status: 200, body: n === 'db1' ? [{ Id: DB1, Names: ['/db1'], Labels: {} }] : [] }])));

const create = (name: string | null, body: Record<string, unknown> = {}) => ({
  op: 'ContainerCreate',
  ...(name === null ? {} : { query: { name: [name] } }),
  body: { Image: 'busybox', ...body },
  lookup: free(),
});

describe('visibility: ContainerCreate', () => {
  it('a container the client will see is created; one it would not see is refused', async () => {
    allowed(await run(create('web3')));
    allowed(await run(create('/web3')));
    allowed(await run(create('db3', { Labels: { expose: 'yes' } })));
    expectRule(await run(create('db3')), 'PC_VISIBILITY_OUTSIDE');
    expectRule(await run(create('db3', { Labels: { expose: 'no' } })), 'PC_VISIBILITY_OUTSIDE');
    expectRule(await run(create(null)), 'PC_VISIBILITY_OUTSIDE');
  });

  it('labels the policy forces on create count', async () => {
    allowed(await run(create(null), undefined, { expose: 'yes' }));
    expectRule(await run(create(null), undefined, { expose: 'no' }), 'PC_VISIBILITY_OUTSIDE');
  });

  it('a name a hidden container holds is a Conflict without its ID', async () => {
    const v = await run(create('db1', { Labels: { expose: 'yes' } }));
    expectHidden(v, 'Conflict. The container name "/db1" is already in use. You have to remove (or rename) that container to be able to reuse that name.', 409);
    assert.ok(!JSON.stringify(v).includes(DB1.slice(0, 12)));
  });

  it('container references are pinned to visible containers; hidden ones are not found', async () => {
    const v = allowed(await run(create('web3', { HostConfig: { NetworkMode: 'container:c', VolumesFrom: ['web1:ro'], Links: ['x:alias'] } })));
    assert.deepEqual((v.body as { HostConfig: unknown }).HostConfig, { NetworkMode: `container:${WEB1}`, VolumesFrom: [`${WEB1}:ro`], Links: [`d1${'3'.repeat(62)}:alias`] });
    for (const hc of [{ NetworkMode: 'container:db1' }, { PidMode: 'container:db1' }, { IpcMode: 'container:c2' }, { VolumesFrom: ['db1'] }, { Links: ['db1'] }]) {
      const ref = JSON.stringify(hc).includes('c2') ? 'c2' : 'db1';
      expectHidden(await run(create('web3', { HostConfig: hc })), `No such container: ${ref}`);
    }
  });

  it('networks: a visible or predefined one may be joined; a hidden one is not found', async () => {
    for (const mode of ['app-net', 'bridge', 'default', 'host', 'none', '']) allowed(await run(create('web3', { HostConfig: { NetworkMode: mode } })));
    allowed(await run(create('web3', { NetworkingConfig: { EndpointsConfig: { 'app-net': {} } } })));
    expectHidden(await run(create('web3', { HostConfig: { NetworkMode: 'secret-net' } })), 'network secret-net not found');
    expectHidden(await run(create('web3', { NetworkingConfig: { EndpointsConfig: { 'app-net': {}, 'secret-net': {} } } })), 'network secret-net not found');
  });

  it('volumes: a visible one, or a new one whose name matches a pattern, may be mounted; a hidden one answers no such volume', async () => {
    allowed(await run(create('web3', { HostConfig: { Binds: ['data-1:/a', 'kept:/b:ro', 'data-new:/c', '/srv:/srv'], Mounts: [{ Type: 'volume', Source: 'kept', Target: '/d' }, { Type: 'bind', Source: '/x', Target: '/x' }] } })));
    expectHidden(await run(create('web3', { HostConfig: { Binds: ['secret:/a'] } })), 'get secret: no such volume');
    expectHidden(await run(create('web3', { HostConfig: { Mounts: [{ Type: 'volume', Source: 'secret', Target: '/a' }] } })), 'get secret: no such volume');
    // a volume that does not exist and whose name matches no pattern would be created hidden: the same answer
    expectHidden(await run(create('web3', { HostConfig: { Binds: ['fresh:/a'] } })), 'get fresh: no such volume');
  });

  it('names matching a volume pattern need no look-up', async () => {
    const lookup = free();
    allowed(await run({ ...create('web3', { HostConfig: { Binds: ['data-x:/a'] } }), lookup }, { volumes: { names: ['data-*'] } }));
    assert.deepEqual(lookup.calls, []);
  });
});

describe('visibility: NetworkCreate and VolumeCreate', () => {
  it('a network must be visible by its name or labels', async () => {
    allowed(await run({ op: 'NetworkCreate', body: { Name: 'app-x' } }));
    expectRule(await run({ op: 'NetworkCreate', body: { Name: 'other' } }), 'PC_VISIBILITY_OUTSIDE');
    allowed(await run({ op: 'NetworkCreate', body: { Name: 'other', Labels: { team: 'a' } } }, { networks: { labels: ['team=a'] } }));
  });

  it('a volume must be visible by its name or labels; a generated name needs the labels', async () => {
    allowed(await run({ op: 'VolumeCreate', body: { Name: 'data-2' } }));
    allowed(await run({ op: 'VolumeCreate', body: { Labels: { keep: '' } } }));
    expectRule(await run({ op: 'VolumeCreate', body: { Name: 'other' } }), 'PC_VISIBILITY_OUTSIDE');
    expectRule(await run({ op: 'VolumeCreate', body: {} }), 'PC_VISIBILITY_OUTSIDE');
  });

  it('a name visible only through the labels asked for must not be a hidden volume\'s (dockerd would hand that one back)', async () => {
    allowed(await run({ op: 'VolumeCreate', body: { Name: 'other', Labels: { keep: '' } } }));
    const lookup = daemon({ '/volumes/secret': { status: 200, body: { Name: 'secret', Labels: {} } }, '/volumes/kept': { status: 200, body: { Name: 'kept', Labels: { keep: '' } } } });
    expectHidden(await run({ op: 'VolumeCreate', body: { Name: 'secret', Labels: { keep: '' } }, lookup }), 'volume name "secret" is already in use', 409);
    allowed(await run({ op: 'VolumeCreate', body: { Name: 'kept', Labels: { keep: '' } }, lookup }));
  });
});
