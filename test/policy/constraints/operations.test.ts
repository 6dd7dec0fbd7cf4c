import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OPERATIONS_BY_ID } from '../../../src/catalogue/operations.js';
import { createInspector, HARDENED_CONSTRAINTS, mergeConstraints } from '../../../src/policy/constraints.js';
import { allows, denies, fakeLookup } from './helpers.js';

const running = fakeLookup({
  '/containers/web/json': { status: 200, body: { Id: 'web', HostConfig: { NetworkMode: 'bridge' } } },
  '/containers/dind/json': { status: 200, body: { Id: 'dind', HostConfig: { Privileged: true } } },
});

describe('ContainerExec', () => {
  test('refuses a privileged exec', async () => {
    await denies({ op: 'ContainerExec', params: { id: 'web' }, body: { Cmd: ['sh'], Privileged: true }, lookup: running }, 'PC_DENIED_EXEC_PRIVILEGED', 'Privileged is true');
  });
  test('a plain exec passes', async () => {
    await allows({ op: 'ContainerExec', params: { id: 'web' }, body: { AttachStdout: true, AttachStderr: true, Cmd: ['ls'], Privileged: false, User: '' }, lookup: running });
  });
  test('the user allowlist', async () => {
    const constraints = { exec: { users: ['1000', 'app'] } };
    await denies({ op: 'ContainerExec', params: { id: 'web' }, body: { Cmd: ['sh'], User: 'root' }, lookup: running, constraints }, 'PC_DENIED_EXEC_USER', 'User is "root" (allowed: 1000, app)');
    await allows({ op: 'ContainerExec', params: { id: 'web' }, body: { Cmd: ['sh'], User: '1000:1000' }, lookup: running, constraints });
    await allows({ op: 'ContainerExec', params: { id: 'web' }, body: { Cmd: ['sh'], User: 'app' }, lookup: running, constraints });
  });
  test('exec into a container that would be refused at create', async () => {
    await denies({ op: 'ContainerExec', params: { id: 'dind' }, body: { Cmd: ['sh'] }, lookup: running }, 'PC_DENIED_EXEC_UNSAFE', 'container "dind"', 'HostConfig.Privileged is true (rule PC_DENIED_PRIVILEGED)');
    await allows({ op: 'ContainerExec', params: { id: 'dind' }, body: { Cmd: ['sh'] }, lookup: running, constraints: { exec: { checkContainer: false } } });
  });
});

describe('VolumeCreate', () => {
  test('refuses local bind volumes and unlisted filesystem types', async () => {
    await denies({ op: 'VolumeCreate', body: { Name: 'root', Driver: 'local', DriverOpts: { type: 'none', o: 'bind', device: '/' } } }, 'PC_DENIED_VOLUME_OPTIONS', 'DriverOpts["o"] is "bind"');
    await denies({ op: 'VolumeCreate', body: { Name: 'root', DriverOpts: { o: 'rbind,ro', device: '/etc' } } }, 'PC_DENIED_VOLUME_OPTIONS', '"rbind"');
    await denies({ op: 'VolumeCreate', body: { Name: 'dev', DriverOpts: { type: 'ext4', device: '/dev/sda1' } } }, 'PC_DENIED_VOLUME_OPTIONS', 'DriverOpts["type"] is "ext4" with device "/dev/sda1" (allowed types: tmpfs)');
    await denies({ op: 'VolumeCreate', body: { Name: 'dev', DriverOpts: { device: '/dev/sda1' } } }, 'PC_DENIED_VOLUME_OPTIONS', 'is not set');
    await denies({ op: 'VolumeCreate', body: { Name: 'x', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=8g' } } }, 'PC_DENIED_TMPFS', 'above the maximum');
    await denies({ op: 'VolumeCreate', body: { Name: 'x', DriverOpts: { mountpoint: '/' } } }, 'PC_DENIED_VOLUME_OPTIONS', '"mountpoint"');
  });
  test('plain volumes, tmpfs volumes and listed types pass', async () => {
    await allows({ op: 'VolumeCreate', body: { Name: 'cache', Driver: 'local', DriverOpts: {}, Labels: { 'com.docker.compose.project': 'ci' } } });
    await allows({ op: 'VolumeCreate', body: { Name: 'cache' } });
    await allows({ op: 'VolumeCreate', body: { Name: 's', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=100m,uid=1000' } } });
    await allows({ op: 'VolumeCreate', body: { Name: 'n', DriverOpts: { type: 'nfs', o: 'addr=10.0.0.1,rw', device: ':/export' } }, constraints: { volumeOptions: { types: ['tmpfs', 'nfs'] } } });
  });
  test('volume drivers', async () => {
    await denies({ op: 'VolumeCreate', body: { Name: 'x', Driver: 'rexray' } }, 'PC_DENIED_VOLUME_DRIVER', 'Driver is "rexray" (allowed: local)');
    await allows({ op: 'VolumeCreate', body: { Name: 'x', Driver: 'rexray', DriverOpts: { size: '10' } }, constraints: { volumeDrivers: ['local', 'rexray'] } });
  });
});

describe('NetworkCreate', () => {
  test('refuses macvlan/ipvlan, a parent option, host bridges and plugin IPAM', async () => {
    await denies({ op: 'NetworkCreate', body: { Name: 'lan', Driver: 'macvlan', Options: { parent: 'eth0' } } }, 'PC_DENIED_NETWORK_DRIVER', 'Driver is "macvlan" (allowed: bridge)');
    await denies({ op: 'NetworkCreate', body: { Name: 'lan', Driver: 'ipvlan' } }, 'PC_DENIED_NETWORK_DRIVER', '"ipvlan"');
    await denies({ op: 'NetworkCreate', body: { Name: 'lan', Driver: 'bridge', Options: { parent: 'eth0' } } }, 'PC_DENIED_NETWORK_DRIVER', 'Options sets "parent"');
    await denies({ op: 'NetworkCreate', body: { Name: 'lan', Options: { 'com.docker.network.bridge.name': 'br0' } } }, 'PC_DENIED_NETWORK_DRIVER', 'com.docker.network.bridge.name');
    await denies({ op: 'NetworkCreate', body: { Name: 'x', IPAM: { Driver: 'infoblox' } } }, 'PC_DENIED_NETWORK_DRIVER', 'IPAM.Driver is "infoblox"');
    await denies({ op: 'NetworkCreate', body: { Name: 'x', Driver: 'macvlan', ConfigFrom: { Network: 'lanconf' } }, constraints: { networks: { drivers: ['bridge', 'macvlan'] } } }, 'PC_DENIED_NETWORK_DRIVER', 'ConfigFrom.Network is "lanconf"');
  });
  test('bridge networks (compose, internal, mtu) pass', async () => {
    await allows({ op: 'NetworkCreate', body: { Name: 'ci_default', Driver: 'bridge', Labels: { 'com.docker.compose.network': 'default' }, Attachable: false, Internal: false, EnableIPv6: false, IPAM: { Driver: 'default', Config: [] } } });
    await allows({ op: 'NetworkCreate', body: { Name: 'backend', Internal: true, Options: { 'com.docker.network.driver.mtu': '1400' } } });
    await allows({ op: 'NetworkCreate', body: { Name: 'lan', Driver: 'macvlan', Options: { parent: 'eth0' } }, constraints: { networks: { drivers: ['bridge', 'macvlan'], options: ['parent'] } } });
  });
});

describe('ImageBuild', () => {
  test('refuses host networking, remote contexts, cgroup parents, extra hosts, ulimits and entitlements', async () => {
    await denies({ op: 'ImageBuild', query: { networkmode: ['host'] } }, 'PC_DENIED_BUILD_OPTION', 'networkmode is "host" (allowed: default, bridge, none)');
    await denies({ op: 'ImageBuild', query: { networkmode: ['container:abc'] } }, 'PC_DENIED_BUILD_OPTION', 'container:abc');
    await denies({ op: 'ImageBuild', query: { remote: ['https://example.com/ctx.tar'] } }, 'PC_DENIED_BUILD_OPTION', 'remote is "https://example.com/ctx.tar"');
    await denies({ op: 'ImageBuild', query: { remote: [''] } }, 'PC_DENIED_BUILD_OPTION', 'remote');
    await denies({ op: 'ImageBuild', query: { cgroupparent: ['/'] } }, 'PC_DENIED_BUILD_OPTION', 'cgroupparent is "/"');
    await denies({ op: 'ImageBuild', query: { extrahosts: ['a:1.2.3.4'] } }, 'PC_DENIED_BUILD_OPTION', 'extrahosts');
    await denies({ op: 'ImageBuild', query: { ulimits: ['[{"Name":"nofile","Hard":1048576,"Soft":1048576}]'] } }, 'PC_DENIED_BUILD_OPTION', 'ulimits');
    await denies({ op: 'ImageBuild', query: { allow: ['network.host'] } }, 'PC_DENIED_BUILD_OPTION', 'allow asks for the entitlement "network.host"');
    await denies({ op: 'ImageBuild', query: { entitlements: ['security.insecure'] } }, 'PC_DENIED_BUILD_OPTION', '"security.insecure"');
  });
  test('an ordinary build passes (tags, build args, labels, default network)', async () => {
    await allows({ op: 'ImageBuild', query: { t: ['app:ci'], buildargs: ['{"A":"1"}'], labels: ['{}'], networkmode: ['default'], rm: ['1'], extrahosts: [''], ulimits: ['null'], cgroupparent: [''] } });
    await allows({ op: 'ImageBuild', query: {} });
    await allows({ op: 'ImageBuild', query: { allow: ['network.host'] }, constraints: { build: { entitlements: ['network.host'] } } });
  });
});

describe('ContainerStart / Restart / Unpause', () => {
  const daemon = fakeLookup({
    '/containers/plain/json': {
      status: 200,
      body: {
        Id: 'plain',
        HostConfig: {
          NetworkMode: 'bridge',
          IpcMode: 'private',
          CgroupnsMode: 'host',
          Runtime: 'crun',
          LogConfig: { Type: 'journald', Config: {} },
          ShmSize: 67108864,
          MaskedPaths: ['/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap'],
          ReadonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
        },
        Mounts: [],
      },
    },
    '/info': { status: 200, body: { DefaultRuntime: 'crun', LoggingDriver: 'journald', CgroupVersion: '1' } },
    '/containers/priv/json': { status: 200, body: { Id: 'priv', HostConfig: { Privileged: true } } },
    '/containers/unmasked/json': { status: 200, body: { Id: 'unmasked', HostConfig: { MaskedPaths: [], ReadonlyPaths: [] } } },
    '/containers/rooted/json': { status: 200, body: { Id: 'rooted', HostConfig: { Binds: ['/:/host'] } } },
    '/containers/broken/json': new Error('ECONNRESET'),
    '/containers/odd/json': { status: 200, body: ['not', 'an', 'object'] },
  });
  for (const op of ['ContainerStart', 'ContainerRestart', 'ContainerUnpause']) {
    test(`${op} of a container that would be refused at create`, async () => {
      await denies({ op, params: { id: 'priv' }, lookup: daemon }, 'PC_DENIED_START_UNSAFE', 'container "priv" would be refused at create: HostConfig.Privileged is true (rule PC_DENIED_PRIVILEGED)');
      await denies({ op, params: { id: 'rooted' }, lookup: daemon }, 'PC_DENIED_START_UNSAFE', 'bind mount of "/"');
      await denies({ op, params: { id: 'unmasked' }, lookup: daemon }, 'PC_DENIED_START_UNSAFE', 'HostConfig.MaskedPaths does not contain "/proc/asound"');
    });
    test(`${op} of a plain container passes, with the daemon's stored defaults`, async () => {
      await allows({ op, params: { id: 'plain' }, lookup: daemon });
    });
  }
  test('404 allows (dockerd answers); lookup errors and non-objects refuse', async () => {
    await allows({ op: 'ContainerStart', params: { id: 'nope' }, lookup: daemon });
    await denies({ op: 'ContainerStart', params: { id: 'broken' }, lookup: daemon }, 'PC_DENIED_START_UNSAFE', 'cannot look up container "broken": ECONNRESET');
    await denies({ op: 'ContainerStart', params: { id: 'odd' }, lookup: daemon }, 'PC_DENIED_START_UNSAFE', 'not a JSON object');
  });
  test('stored defaults are only accepted when they are the daemon defaults', async () => {
    const other = fakeLookup({
      '/containers/plain/json': { status: 200, body: { Id: 'plain', HostConfig: { Runtime: 'crun', CgroupnsMode: 'host' } } },
      '/info': { status: 200, body: { DefaultRuntime: 'runc', CgroupVersion: '2' } },
    });
    await denies({ op: 'ContainerStart', params: { id: 'plain' }, lookup: other }, 'PC_DENIED_START_UNSAFE', 'HostConfig.CgroupnsMode is "host"');
  });
  test('a ContainerStart body (HostConfig at start) is refused', async () => {
    await denies({ op: 'ContainerStart', params: { id: 'plain' }, body: { Privileged: true }, lookup: daemon }, 'PC_DENIED_LEGACY_HOSTCONFIG');
  });
});

describe('wants', () => {
  test('exactly the checked operations', () => {
    const inspector = createInspector(HARDENED_CONSTRAINTS);
    const wanted = [...OPERATIONS_BY_ID.values()].filter((op) => inspector.wants(op)).map((op) => op.id).sort();
    assert.deepEqual(wanted, [
      'ContainerArchive',
      'ContainerArchiveInfo',
      'ContainerAttach',
      'ContainerAttachWebsocket',
      'ContainerCreate',
      'ContainerExec',
      'ContainerRestart',
      'ContainerStart',
      'ContainerUnpause',
      'ContainerUpdate',
      'ExecStart',
      'ImageBuild',
      'ImageCreate',
      'NetworkConnect',
      'NetworkCreate',
      'PutContainerArchive',
      'ServiceCreate',
      'ServiceUpdate',
      'VolumeCreate',
    ]);
    const noStart = createInspector(mergeConstraints(HARDENED_CONSTRAINTS, { startChecks: false }));
    assert.equal(noStart.wants(OPERATIONS_BY_ID.get('ContainerStart')!), false);
  });
});
