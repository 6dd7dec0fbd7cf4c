/** Fields added to the Engine API between 1.41 (dockerd 20.10) and 1.45 (dockerd 26) that reach the host. */
import { describe, test } from 'node:test';
import { allows, create, denies, fakeLookup, pins, withConstraints, type Req } from './helpers.js';

const ci = { bindMounts: { allow: ['/srv/ci'] } };

function volumeAt(subpath: string): Req {
  return create({ Mounts: [{ Type: 'volume', Source: 'data', Target: '/data', VolumeOptions: { Subpath: subpath } }] });
}

describe('Mounts[].VolumeOptions.Subpath (1.45) and ImageOptions.Subpath (1.48)', () => {
  test('a path that leaves the volume is refused', async () => {
    await denies(volumeAt('../../../../'), 'PC_DENIED_MOUNT_SUBPATH', 'HostConfig.Mounts[0].VolumeOptions.Subpath is "../../../../"', 'climbs out');
    await denies(volumeAt('a/../../b'), 'PC_DENIED_MOUNT_SUBPATH', 'climbs out');
    await denies(volumeAt('/etc'), 'PC_DENIED_MOUNT_SUBPATH', 'an absolute path');
    await denies(volumeAt('a\u0000b'), 'PC_DENIED_MOUNT_SUBPATH', 'NUL');
    await denies(
      create({ Mounts: [{ Type: 'image', Source: 'busybox', Target: '/i', ImageOptions: { Subpath: '../x' } }] }),
      'PC_DENIED_MOUNT_SUBPATH',
      'HostConfig.Mounts[0].ImageOptions.Subpath',
    );
  });
  test('a directory inside the volume passes (dots in names are not "..")', async () => {
    await allows(volumeAt('sub/dir'));
    await allows(volumeAt('..hidden/x..'));
    await allows(volumeAt(''));
    await allows(create({ Mounts: [{ Type: 'image', Source: 'busybox', Target: '/i', ImageOptions: { Subpath: 'etc' } }] }));
  });
  test('swarm service mounts get the same check', async () => {
    await denies(
      { op: 'ServiceCreate', body: { TaskTemplate: { ContainerSpec: { Image: 'x', Mounts: [{ Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { Subpath: '../..' } }] } } } },
      'PC_DENIED_MOUNT_SUBPATH',
      'TaskTemplate.ContainerSpec.Mounts[0].VolumeOptions.Subpath',
    );
  });
  test('Subpath of an existing volume made with bind options is still refused for the volume', async () => {
    const lookup = fakeLookup({ '/volumes/data': { status: 200, body: { Name: 'data', Driver: 'local', Options: { type: 'none', o: 'bind', device: '/' } } } });
    await denies({ ...volumeAt('etc'), lookup }, 'PC_DENIED_VOLUME_OPTIONS', 'volume "data"');
  });
});

describe('Mounts[].BindOptions (1.42-1.44)', () => {
  const bind = (opts: Record<string, unknown>, readOnly = true): Req =>
    create({ Mounts: [{ Type: 'bind', Source: '/srv/ci/new', Target: '/x', ReadOnly: readOnly, BindOptions: opts }] });
  test('CreateMountpoint (a directory made on the host) is refused while bind mounts must be read-only', async () => {
    await denies(withConstraints(bind({ CreateMountpoint: true }), ci), 'PC_DENIED_BIND_MOUNT', 'BindOptions.CreateMountpoint is true: dockerd would create "/srv/ci/new"');
    await allows(withConstraints(bind({ CreateMountpoint: true }, false), { bindMounts: { allow: ['/srv/ci'], readOnly: false } }));
    await allows(withConstraints(bind({ CreateMountpoint: false }), ci));
  });
  test('CreateMountpoint outside the allowed prefixes is refused for the prefix first', async () => {
    await denies(withConstraints(create({ Mounts: [{ Type: 'bind', Source: '/etc/x', Target: '/x', ReadOnly: true, BindOptions: { CreateMountpoint: true } }] }), ci), 'PC_DENIED_BIND_MOUNT', 'outside the allowed prefixes');
  });
  test('ReadOnlyForceRecursive only tightens; ReadOnlyNonRecursive loosens and is refused', async () => {
    await allows(withConstraints(bind({ ReadOnlyForceRecursive: true }), ci));
    await denies(withConstraints(bind({ ReadOnlyNonRecursive: true }), ci), 'PC_DENIED_BIND_MOUNT', 'must be read-only');
  });
  test('a malformed flag is refused, not guessed', async () => {
    await denies(withConstraints(bind({ CreateMountpoint: 'true' }), ci), 'PC_DENIED_MALFORMED_BODY', 'CreateMountpoint');
  });
});

describe('endpoint DriverOpts (ContainerCreate EndpointsConfig, NetworkConnect, stored containers)', () => {
  const endpoint = (ep: Record<string, unknown>): Req =>
    create({ NetworkMode: 'n1' }, { NetworkingConfig: { EndpointsConfig: { n1: ep } } });
  const sysctls = 'com.docker.network.endpoint.sysctls';
  test('per-interface sysctls are judged as HostConfig.Sysctls would be', async () => {
    await denies(endpoint({ DriverOpts: { [sysctls]: 'net.ipv4.conf.IFNAME.forwarding=1' } }), 'PC_DENIED_SYSCTL', `NetworkingConfig.EndpointsConfig["n1"].DriverOpts["${sysctls}"] sets "net.ipv4.conf.IFNAME.forwarding"`);
    const allowed = { sysctls: ['net.ipv6.conf.IFNAME.accept_ra'] };
    await allows(withConstraints(endpoint({ DriverOpts: { [sysctls]: 'net.ipv6.conf.IFNAME.accept_ra=2' } }), allowed));
    await denies(withConstraints(endpoint({ DriverOpts: { [sysctls]: 'net.ipv6.conf.IFNAME.accept_ra=2,net.ipv4.conf.IFNAME.forwarding=1' } }), allowed), 'PC_DENIED_SYSCTL', 'forwarding');
    await denies(withConstraints(endpoint({ DriverOpts: { [sysctls]: 'net.ipv6.conf.IFNAME.accept_ra=2,' } }), allowed), 'PC_DENIED_SYSCTL', 'not name=value');
  });
  test('other keys need networks.endpointOptions', async () => {
    await denies(endpoint({ DriverOpts: { 'com.example.x': '1' } }), 'PC_DENIED_NETWORK_DRIVER', 'DriverOpts sets "com.example.x"');
    await allows(withConstraints(endpoint({ DriverOpts: { 'com.example.x': '1' } }), { networks: { endpointOptions: ['com.example.x'] } }));
  });
  test('per-endpoint MacAddress, aliases and an empty DriverOpts pass', async () => {
    await allows(endpoint({ MacAddress: '02:42:ac:11:00:99', Aliases: ['web'], DriverOpts: {} }));
    await allows(endpoint({ DriverOpts: null }));
  });
  test('NetworkConnect carries the same options', async () => {
    await denies({ op: 'NetworkConnect', params: { id: 'n1' }, body: { Container: 'c', EndpointConfig: { DriverOpts: { [sysctls]: 'net.ipv4.conf.IFNAME.forwarding=1' } } } }, 'PC_DENIED_SYSCTL', 'EndpointConfig.DriverOpts');
    await allows({ op: 'NetworkConnect', params: { id: 'n1' }, body: { Container: 'c', EndpointConfig: { Aliases: ['a'] } } });
    await allows({ op: 'NetworkConnect', params: { id: 'n1' }, body: { Container: 'c' } });
  });
  test('starting a container created elsewhere with endpoint sysctls is refused', async () => {
    const stored = {
      Id: 'c'.repeat(64),
      HostConfig: { NetworkMode: 'n1' },
      NetworkSettings: { Networks: { n1: { DriverOpts: { [sysctls]: 'net.ipv4.conf.IFNAME.forwarding=1' } } } },
    };
    const lookup = fakeLookup({ '/containers/c/json': { status: 200, body: stored } });
    await denies({ op: 'ContainerStart', params: { id: 'c' }, lookup }, 'PC_DENIED_START_UNSAFE', 'NetworkSettings.Networks["n1"].DriverOpts');
    const plain = fakeLookup({ '/containers/c/json': { status: 200, body: { ...stored, NetworkSettings: { Networks: { n1: { DriverOpts: null } } } } } });
    await pins({ op: 'ContainerStart', params: { id: 'c' }, lookup: plain }, 'c'.repeat(64));
  });
});

describe('1.42-1.45 fields that stay inside the container', () => {
  test('ConsoleSize, CgroupnsMode private, Healthcheck.StartInterval pass; CgroupnsMode host and Annotations are refused', async () => {
    await allows(create({ ConsoleSize: [24, 80], CgroupnsMode: 'private' }, { Healthcheck: { Test: ['CMD', 'true'], StartInterval: 1e9 } }));
    await denies(create({ CgroupnsMode: 'host' }), 'PC_DENIED_NAMESPACE', 'HostConfig.CgroupnsMode is "host"');
    await denies(create({ Annotations: { 'io.kubernetes.cri.container-type': 'x' } }), 'PC_DENIED_ANNOTATIONS');
  });
});
