import { describe, test } from 'node:test';
import { allows, create, denies, fakeLookup, withConstraints } from './helpers.js';

const ci = { bindMounts: { allow: ['/srv/ci'] } };

describe('bind mounts (HostConfig.Binds)', () => {
  test('hardened refuses every bind mount', async () => {
    await denies(create({ Binds: ['/:/host'] }), 'PC_DENIED_BIND_MOUNT', 'bind mount of "/" (HostConfig.Binds[0]): no bind mounts are allowed');
    await denies(create({ Binds: ['/var/run/docker.sock:/var/run/docker.sock:ro'] }), 'PC_DENIED_BIND_MOUNT', '"/var/run/docker.sock"');
  });
  test('outside the allowed prefixes, after normalisation', async () => {
    await denies(withConstraints(create({ Binds: ['/:/host:ro'] }), ci), 'PC_DENIED_BIND_MOUNT', 'bind mount of "/" (HostConfig.Binds[0]) is outside the allowed prefixes /srv/ci');
    await denies(withConstraints(create({ Binds: ['/tmp/../:/host:ro'] }), ci), 'PC_DENIED_BIND_MOUNT', 'bind mount of "/" (HostConfig.Binds[0], written "/tmp/../")');
    await denies(withConstraints(create({ Binds: ['/srv/ci/../../etc:/x:ro'] }), ci), 'PC_DENIED_BIND_MOUNT', '"/etc"');
    await denies(withConstraints(create({ Binds: ['/srv/cix:/x:ro'] }), ci), 'PC_DENIED_BIND_MOUNT', '"/srv/cix"');
    await denies(withConstraints(create({ Binds: ['/srv:/x:ro'] }), ci), 'PC_DENIED_BIND_MOUNT', '"/srv"');
  });
  test('read-only binds under an allowed prefix pass', async () => {
    await allows(withConstraints(create({ Binds: ['/srv/ci:/src:ro', '/srv/ci/job/1/:/out:ro,z', '//srv//ci/x:/y:ro'] }), ci));
  });
  test('writable binds are refused while readOnly holds, allowed when it does not', async () => {
    await denies(withConstraints(create({ Binds: ['/srv/ci/x:/x'] }), ci), 'PC_DENIED_BIND_MOUNT', 'bind mount of "/srv/ci/x" (HostConfig.Binds[0]) must be read-only');
    await denies(withConstraints(create({ Binds: ['/srv/ci/x:/x:rw'] }), ci), 'PC_DENIED_BIND_MOUNT', 'must be read-only');
    await allows(withConstraints(create({ Binds: ['/srv/ci/x:/x:rw'] }), { bindMounts: { allow: ['/srv/ci'], readOnly: false } }));
  });
  test('named and anonymous volumes pass', async () => {
    await allows(create({ Binds: ['cache:/cache', 'go-mod:/go/pkg/mod:ro', '/data'] }));
  });
  test('a source that is neither a path nor a volume name is refused', async () => {
    await denies(create({ Binds: ['./src:/src'] }), 'PC_DENIED_BIND_MOUNT', 'neither an absolute host path nor a volume name');
    await denies(create({ Binds: ['a:b:c:d'] }), 'PC_DENIED_BIND_MOUNT', 'does not read as [source:]target[:options]');
  });
});

describe('HostConfig.Mounts', () => {
  test('bind mounts get the same prefix and read-only checks', async () => {
    await denies(create({ Mounts: [{ Type: 'bind', Source: '/', Target: '/host', ReadOnly: true }] }), 'PC_DENIED_BIND_MOUNT', 'HostConfig.Mounts[0].Source');
    await denies(withConstraints(create({ Mounts: [{ Type: 'bind', Source: '/etc', Target: '/x', ReadOnly: true }] }), ci), 'PC_DENIED_BIND_MOUNT', 'outside the allowed prefixes /srv/ci');
    await denies(withConstraints(create({ Mounts: [{ Type: 'bind', Source: '/srv/ci/a', Target: '/x' }] }), ci), 'PC_DENIED_BIND_MOUNT', 'must be read-only');
    await denies(
      withConstraints(create({ Mounts: [{ Type: 'bind', Source: '/srv/ci/a', Target: '/x', ReadOnly: true, BindOptions: { ReadOnlyNonRecursive: true } }] }), ci),
      'PC_DENIED_BIND_MOUNT',
      'must be read-only',
    );
    await allows(withConstraints(create({ Mounts: [{ Type: 'bind', Source: '/srv/ci/a', Target: '/x', ReadOnly: true }] }), ci));
  });
  test('a named volume passes; one with local bind options is refused', async () => {
    await allows(create({ Mounts: [{ Type: 'volume', Source: 'data', Target: '/data', VolumeOptions: {} }] }));
    await allows(create({ Mounts: [{ Type: 'volume', Target: '/anon' }] }));
    await denies(
      create({ Mounts: [{ Type: 'volume', Source: 'root', Target: '/host', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/' } } } }] }),
      'PC_DENIED_VOLUME_OPTIONS',
      'HostConfig.Mounts[0].VolumeOptions.DriverConfig.Options["o"] is "bind"',
    );
    await allows(create({ Mounts: [{ Type: 'volume', Source: 'scratch', Target: '/s', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs', o: 'size=100m' } } } }] }));
  });
  test('a volume driver outside the list is refused', async () => {
    await denies(create({ Mounts: [{ Type: 'volume', Source: 'x', Target: '/x', VolumeOptions: { DriverConfig: { Name: 'rexray' } } }] }), 'PC_DENIED_VOLUME_DRIVER', 'DriverConfig.Name is "rexray" (allowed: local)');
    await denies(create({ VolumeDriver: 'rexray' }), 'PC_DENIED_VOLUME_DRIVER', 'HostConfig.VolumeDriver is "rexray"');
    await allows(create({ VolumeDriver: '' }));
    await allows(create({ VolumeDriver: 'local' }));
    await allows(withConstraints(create({ VolumeDriver: 'rexray' }), { volumeDrivers: ['local', 'rexray'] }));
  });
  test('npipe, cluster and unknown types are refused; image mounts pass', async () => {
    await denies(create({ Mounts: [{ Type: 'npipe', Source: '\\\\.\\pipe\\docker_engine', Target: '/x' }] }), 'PC_DENIED_MOUNT_TYPE', 'HostConfig.Mounts[0].Type is "npipe"');
    await denies(create({ Mounts: [{ Type: 'cluster', Source: 'x', Target: '/x' }] }), 'PC_DENIED_MOUNT_TYPE', '"cluster"');
    await denies(create({ Mounts: [{ Type: 'Bind', Source: '/', Target: '/x' }] }), 'PC_DENIED_MOUNT_TYPE', '"Bind"');
    await allows(create({ Mounts: [{ Type: 'image', Source: 'busybox', Target: '/img' }] }));
  });
});

describe('tmpfs', () => {
  test('within the bound, or without a size, passes', async () => {
    await allows(create({ Tmpfs: { '/run': 'rw,noexec,size=64m', '/tmp': '' } }));
    await allows(create({ Mounts: [{ Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 512 * 1024 ** 2 } }] }));
    await allows(create({ Mounts: [{ Type: 'tmpfs', Target: '/scratch' }] }));
  });
  test('above the bound is refused', async () => {
    await denies(create({ Tmpfs: { '/run': 'size=2g' } }), 'PC_DENIED_TMPFS', 'HostConfig.Tmpfs["/run"] has size 2147483648 bytes (2 GiB), above the maximum 1073741824 bytes (1 GiB)');
    await denies(create({ Mounts: [{ Type: 'tmpfs', Target: '/s', TmpfsOptions: { SizeBytes: 4 * 1024 ** 3 } }] }), 'PC_DENIED_TMPFS', 'HostConfig.Mounts[0] has size');
    await denies(create({ Tmpfs: { '/run': 'size=50%' } }), 'PC_DENIED_TMPFS', 'not a size Portcullis can bound');
  });
  test('requireSize and allow', async () => {
    await denies(withConstraints(create({ Tmpfs: { '/run': 'rw' } }), { tmpfs: { requireSize: true } }), 'PC_DENIED_TMPFS', 'has no size');
    await denies(withConstraints(create({ Tmpfs: { '/run': 'size=1m' } }), { tmpfs: { allow: false } }), 'PC_DENIED_TMPFS', 'is a tmpfs mount (not allowed)');
  });
});

describe('VolumesFrom', () => {
  const lookup = fakeLookup({
    '/containers/data/json': { status: 200, body: { HostConfig: { Binds: ['cache:/cache'] } } },
    '/containers/rooted/json': { status: 200, body: { HostConfig: { Binds: ['/:/host'] } } },
    '/containers/chain/json': { status: 200, body: { HostConfig: { VolumesFrom: ['rooted'] } } },
    '/containers/privdata/json': { status: 200, body: { HostConfig: { Privileged: true, Binds: ['vol:/v'] } } },
  });
  test('from a container whose mounts pass', async () => {
    await allows({ ...create({ VolumesFrom: ['data:ro'] }), lookup });
    // only the mount checks apply to a VolumesFrom source
    await allows({ ...create({ VolumesFrom: ['privdata'] }), lookup });
  });
  test('from a container with a host bind mount, directly or through its own VolumesFrom', async () => {
    await denies({ ...create({ VolumesFrom: ['rooted'] }), lookup }, 'PC_DENIED_VOLUMES_FROM', 'HostConfig.VolumesFrom[0] names container "rooted", which would be refused: bind mount of "/"');
    await denies({ ...create({ VolumesFrom: ['chain:rw'] }), lookup }, 'PC_DENIED_VOLUMES_FROM', 'container "chain"');
  });
  test('refused outright when not allowed', async () => {
    await denies(withConstraints({ ...create({ VolumesFrom: ['data'] }), lookup }, { volumesFrom: false }), 'PC_DENIED_VOLUMES_FROM', 'VolumesFrom is not allowed');
  });
});

describe('existing named volumes', () => {
  const lookup = fakeLookup({
    '/volumes/rooted': { status: 200, body: { Name: 'rooted', Driver: 'local', Options: { type: 'none', o: 'bind', device: '/' } } },
    '/volumes/plain': { status: 200, body: { Name: 'plain', Driver: 'local', Options: null } },
    '/volumes/ram': { status: 200, body: { Name: 'ram', Driver: 'local', Options: { type: 'tmpfs', device: 'tmpfs', o: 'size=64m' } } },
  });

  test('a volume created elsewhere with bind options is refused, by Binds and by Mounts', async () => {
    await denies({ ...create({ Binds: ['rooted:/host'] }), lookup }, 'PC_DENIED_VOLUME_OPTIONS', 'volume "rooted" (HostConfig.Binds[0])');
    await denies({ ...create({ Mounts: [{ Type: 'volume', Source: 'rooted', Target: '/host' }] }), lookup }, 'PC_DENIED_VOLUME_OPTIONS', 'volume "rooted" (HostConfig.Mounts[0])');
  });

  test('a plain or tmpfs volume, and one that does not exist yet, pass', async () => {
    await allows({ ...create({ Binds: ['plain:/data'] }), lookup });
    await allows({ ...create({ Mounts: [{ Type: 'volume', Source: 'ram', Target: '/cache' }] }), lookup });
    await allows({ ...create({ Binds: ['brand-new:/data'] }), lookup });
  });

  test('a failed volume look-up refuses', async () => {
    await denies({ ...create({ Binds: ['xy:/data'] }), lookup: fakeLookup({ '/volumes/xy': new Error('daemon gone') }) }, 'PC_DENIED_VOLUME_OPTIONS', 'cannot look up volume "xy"');
  });
});
