import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Names, presentContainer, presentContainerSummary, presentNetwork, presentVolume, RESTRICTED_NAME } from '../../src/tenancy/names.js';
import { A1, A2, B1, j } from './helpers.js';

const alice = new Names('alice', 'prefix');
const one = new Names('alice', 'shared');

/** Client names a policy with prefixes accepts (config/load.ts: letters, digits, "_" and "-"). */
const clientName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$/);
/** Object names dockerd accepts. */
const objectName = fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,20}$/);

describe('Names', () => {
  it('with prefixes, toDaemon adds the client\'s prefix and toClient takes only that one off', () => {
    assert.equal(alice.prefix, 'alice.');
    assert.equal(alice.toDaemon('web'), 'alice.web');
    assert.equal(alice.toDaemon('alice.web'), 'alice.alice.web');
    assert.equal(alice.toClient('alice.web'), 'web');
    assert.equal(alice.toClient('alice.alice.web'), 'alice.web');
    for (const raw of ['bob.web', 'web', 'alice2.web', 'xalice.web', 'alice', 'Alice.web', '/alice.web']) assert.equal(alice.toClient(raw), raw, raw);
  });

  it('with one name space, nothing is prefixed, nothing taken off, nothing in a client\'s space', () => {
    assert.equal(one.prefix, null);
    assert.equal(one.toDaemon('web'), 'web');
    assert.equal(one.toClient('alice.web'), 'alice.web');
    assert.equal(one.pathToClient('/alice.web'), '/alice.web');
    assert.equal(one.inSpace('alice.web'), false);
  });

  it('inSpace: the client\'s prefix followed by a name', () => {
    assert.equal(alice.inSpace('alice.web'), true);
    assert.equal(alice.inSpace('alice.x'), true);
    for (const raw of ['alice.', 'alice', 'bob.web', 'alice2.web', 'xalice.web', 'web', '', '/alice.web']) assert.equal(alice.inSpace(raw), false, raw);
  });

  it('pathToClient takes the prefix off each part of a container path, legacy link aliases included', () => {
    assert.equal(alice.pathToClient('/alice.web'), '/web');
    assert.equal(alice.pathToClient('/alice.app/database'), '/app/database');
    assert.equal(alice.pathToClient('/alice.app/alice.db'), '/app/db');
    assert.equal(alice.pathToClient('/bob.api'), '/bob.api');
    assert.equal(alice.pathToClient('/bob.app/alice.db'), '/bob.app/db');
    assert.equal(alice.pathToClient('alice.web'), 'web');
  });

  it('property: toClient undoes toDaemon, and the result is in the client\'s space exactly when the name is not empty', () => {
    fc.assert(
      fc.property(clientName, fc.string(), (client, name) => {
        const n = new Names(client, 'prefix');
        assert.equal(n.toClient(n.toDaemon(name)), name);
        assert.equal(n.inSpace(n.toDaemon(name)), name !== '');
        assert.equal(new Names(client, 'shared').toClient(new Names(client, 'shared').toDaemon(name)), name);
      }),
    );
  });

  it('property: a container path of the client\'s names comes back as given', () => {
    fc.assert(
      fc.property(clientName, objectName, objectName, (client, a, b) => {
        const n = new Names(client, 'prefix');
        assert.equal(n.pathToClient(`/${n.toDaemon(a)}`), `/${a}`);
        assert.equal(n.pathToClient(`/${n.toDaemon(a)}/${n.toDaemon(b)}`), `/${a}/${b}`);
      }),
    );
  });

  it('property: a daemon name in one client\'s space is in no other client\'s, and another client leaves it alone', () => {
    fc.assert(
      fc.property(clientName, clientName, fc.string(), (a, b, name) => {
        fc.pre(a !== b);
        const raw = new Names(a, 'prefix').toDaemon(name);
        const other = new Names(b, 'prefix');
        assert.equal(other.inSpace(raw), false);
        assert.equal(other.toClient(raw), raw);
      }),
    );
    // the edge the property relies on: a client name that is a prefix of another's
    assert.equal(new Names('al', 'prefix').inSpace('alice.web'), false);
    assert.equal(new Names('alice', 'prefix').inSpace('al.ice'), false);
  });

  it('RESTRICTED_NAME is dockerd\'s rule: two or more of [a-zA-Z0-9_.-], not starting with _ . or -', () => {
    for (const ok of ['ab', 'a.b', 'a_b-c', '0x', 'web.1']) assert.ok(RESTRICTED_NAME.test(ok), ok);
    for (const bad of ['', 'a', '_a', '.a', '-a', 'a b', 'a/b', 'a:b', 'ab\n']) assert.ok(!RESTRICTED_NAME.test(bad), JSON.stringify(bad));
  });
});

const N1 = 'n1' + '0'.repeat(62);

describe('present*: answers with the client\'s names', () => {
  it('presentContainerSummary: Names (legacy link paths too), NetworkMode, Networks keys, volume mount names', () => {
    const given = {
      Id: A1,
      Names: ['/alice.web', '/alice.app/web', '/bob.app/alice.web'],
      Image: 'busybox',
      Labels: { 'io.portcullis.owner': 'alice' },
      HostConfig: { NetworkMode: 'alice.front' },
      NetworkSettings: { Networks: { 'alice.front': { NetworkID: N1 }, 'bob.back': { NetworkID: 'x' }, bridge: { NetworkID: 'y' } } },
      Mounts: [
        { Type: 'volume', Name: 'alice.data', Source: '/var/lib/docker/volumes/alice.data/_data', Destination: '/data' },
        { Type: 'volume', Name: 'bob.models', Source: '/var/lib/docker/volumes/bob.models/_data', Destination: '/m' },
        { Type: 'bind', Source: '/srv', Destination: '/srv' },
      ],
    };
    const before = JSON.stringify(given);
    assert.deepEqual(
      presentContainerSummary(j(given), alice),
      j({
        ...given,
        Names: ['/web', '/app/web', '/bob.app/web'],
        HostConfig: { NetworkMode: 'front' },
        NetworkSettings: { Networks: { front: { NetworkID: N1 }, 'bob.back': { NetworkID: 'x' }, bridge: { NetworkID: 'y' } } },
        Mounts: [
          { Type: 'volume', Name: 'data', Source: '/var/lib/docker/volumes/alice.data/_data', Destination: '/data' },
          { Type: 'volume', Name: 'bob.models', Source: '/var/lib/docker/volumes/bob.models/_data', Destination: '/m' },
          { Type: 'bind', Source: '/srv', Destination: '/srv' },
        ],
      }),
    );
    assert.equal(JSON.stringify(given), before, 'the input is not changed');
  });

  it('presentContainerSummary leaves other clients\' and unprefixed names, and other modes, alone', () => {
    const theirs = j({ Id: B1, Names: ['/bob.api'], HostConfig: { NetworkMode: 'bob.back' }, NetworkSettings: { Networks: { 'bob.back': {} } }, Mounts: [{ Type: 'volume', Name: 'bob.v' }] });
    assert.deepEqual(presentContainerSummary(theirs, alice), theirs);
    const plain = j({ Id: A2, Names: ['/db'], HostConfig: { NetworkMode: 'default' }, NetworkSettings: { Networks: { bridge: {} } }, Mounts: [{ Type: 'volume', Name: '0123abcd' }] });
    assert.deepEqual(presentContainerSummary(plain, alice), plain);
    const mine = j({ Id: A1, Names: ['/alice.web'] });
    assert.equal(presentContainerSummary(mine, one), mine);
  });

  it('only volume mounts are renamed (a bind\'s or tmpfs\' fields are paths, not names)', () => {
    const mounts = [
      { Type: 'bind', Name: 'alice.x', Source: 'alice.x', Destination: '/x' },
      { Type: 'tmpfs', Name: 'alice.t', Destination: '/t' },
      { Type: 'volume', Name: 'alice.v', Destination: '/v' },
    ];
    const out = presentContainerSummary(j({ Id: A1, Mounts: mounts }), alice) as { Mounts: unknown };
    assert.deepEqual(out.Mounts, j([mounts[0], mounts[1], { Type: 'volume', Name: 'v', Destination: '/v' }]));
  });

  it('presentContainer: Name, HostConfig NetworkMode/Binds/Links/Mounts, Networks keys, Mounts[].Name', () => {
    const given = {
      Id: A1,
      Name: '/alice.web',
      HostConfig: {
        NetworkMode: 'alice.front',
        Binds: ['alice.data:/data:ro', '/host/alice.x:/h', 'bob.models:/m', 'plain:/p'],
        Links: ['/alice.db:/alice.web/db', '/bob.api:/alice.web/api'],
        Mounts: [
          { Type: 'volume', Source: 'alice.cache', Target: '/c' },
          { Type: 'volume', Source: 'bob.shared', Target: '/s' },
          { Type: 'bind', Source: '/host/alice.y', Target: '/y' },
        ],
        PidMode: 'container:' + A2,
      },
      NetworkSettings: { Networks: { 'alice.front': { Aliases: ['web'] }, 'alice.back': {} } },
      Mounts: [{ Type: 'volume', Name: 'alice.data', Destination: '/data' }],
    };
    assert.deepEqual(
      presentContainer(j(given), alice),
      j({
        ...given,
        Name: '/web',
        HostConfig: {
          NetworkMode: 'front',
          Binds: ['data:/data:ro', '/host/alice.x:/h', 'bob.models:/m', 'plain:/p'],
          Links: ['/db:/web/db', '/bob.api:/web/api'],
          Mounts: [
            { Type: 'volume', Source: 'cache', Target: '/c' },
            { Type: 'volume', Source: 'bob.shared', Target: '/s' },
            { Type: 'bind', Source: '/host/alice.y', Target: '/y' },
          ],
          PidMode: 'container:' + A2,
        },
        NetworkSettings: { Networks: { front: { Aliases: ['web'] }, back: {} } },
        Mounts: [{ Type: 'volume', Name: 'data', Destination: '/data' }],
      }),
    );
    const theirs = j({ Id: B1, Name: '/bob.api', HostConfig: { NetworkMode: 'bob.back', Binds: ['bob.v:/v'] } });
    assert.deepEqual(presentContainer(theirs, alice), theirs);
    const mine = j(given);
    assert.equal(presentContainer(mine, one), mine);
  });

  it('a network re-keyed to "__proto__" stays an own key and sets no prototype', () => {
    const given = JSON.parse('{"Id":"x","NetworkSettings":{"Networks":{"alice.__proto__":{"polluted":true}}}}') as never;
    const out = presentContainer(given, alice) as { NetworkSettings: { Networks: Record<string, unknown> } };
    const networks = out.NetworkSettings.Networks;
    assert.deepEqual(Object.keys(networks), ['__proto__']);
    assert.equal(Object.getPrototypeOf(networks), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(networks, '__proto__')?.value, { polluted: true });
  });

  it('presentNetwork: Name and the names of attached containers', () => {
    const given = { Id: N1, Name: 'alice.front', Containers: { [A1]: { Name: 'alice.web', IPv4Address: '10.0.0.2/24' }, [B1]: { Name: 'bob.api' } }, Labels: {} };
    assert.deepEqual(presentNetwork(j(given), alice), j({ ...given, Name: 'front', Containers: { [A1]: { Name: 'web', IPv4Address: '10.0.0.2/24' }, [B1]: { Name: 'bob.api' } } }));
    for (const other of [{ Id: 'x', Name: 'bob.back' }, { Id: 'y', Name: 'bridge', Containers: {} }]) assert.deepEqual(presentNetwork(j(other), alice), j(other));
    const mine = j(given);
    assert.equal(presentNetwork(mine, one), mine);
  });

  it('presentVolume: Name only (the Mountpoint is a path)', () => {
    const given = { Name: 'alice.data', Mountpoint: '/var/lib/docker/volumes/alice.data/_data', Driver: 'local' };
    assert.deepEqual(presentVolume(j(given), alice), j({ ...given, Name: 'data' }));
    for (const other of [{ Name: 'bob.data' }, { Name: 'data' }, { Name: 'alice2.data' }]) assert.deepEqual(presentVolume(j(other), alice), j(other));
    const mine = j(given);
    assert.equal(presentVolume(mine, one), mine);
  });

  it('anything that is not an object passes through', () => {
    for (const v of [null, 'alice.x', j(1), [j({ Name: 'alice.x' })]]) {
      assert.deepEqual(presentContainerSummary(v as never, alice), v);
      assert.deepEqual(presentContainer(v as never, alice), v);
      assert.deepEqual(presentNetwork(v as never, alice), v);
      assert.deepEqual(presentVolume(v as never, alice), v);
    }
  });
});
