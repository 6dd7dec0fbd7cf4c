import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allows, create, denies, fakeLookup, withConstraints } from './helpers.js';

describe('privileged', () => {
  test('refuses HostConfig.Privileged', async () => {
    await denies(create({ Privileged: true }), 'PC_DENIED_PRIVILEGED', 'HostConfig.Privileged is true');
  });
  test('Privileged false or absent passes; allowed when configured', async () => {
    await allows(create({ Privileged: false }));
    await allows(create({}));
    await allows(withConstraints(create({ Privileged: true }), { privileged: true }));
  });
  test('a non-boolean is malformed, not silently allowed', async () => {
    await denies(create({ Privileged: 'true' }), 'PC_DENIED_MALFORMED_BODY', 'HostConfig.Privileged');
  });
});

describe('capAdd', () => {
  test('refuses capabilities outside the list, naming the allowed ones', async () => {
    await denies(create({ CapAdd: ['SYS_ADMIN'] }), 'PC_DENIED_CAP_ADD', 'HostConfig.CapAdd contains "SYS_ADMIN" (allowed: none)');
    const c = { capAdd: ['NET_BIND_SERVICE'] };
    await denies(withConstraints(create({ CapAdd: ['NET_BIND_SERVICE', 'SYS_ADMIN'] }), c), 'PC_DENIED_CAP_ADD', 'HostConfig.CapAdd contains "SYS_ADMIN" (allowed: NET_BIND_SERVICE)');
  });
  test('ALL is never allowed, in any spelling', async () => {
    const c = { capAdd: ['ALL', 'NET_ADMIN'] };
    for (const all of ['ALL', 'all', 'CAP_ALL']) await denies(withConstraints(create({ CapAdd: [all] }), c), 'PC_DENIED_CAP_ADD', all);
  });
  test('an allowed capability passes with or without CAP_, in any case', async () => {
    const c = { capAdd: ['NET_BIND_SERVICE'] };
    for (const cap of ['NET_BIND_SERVICE', 'CAP_NET_BIND_SERVICE', 'cap_net_bind_service', 'net_bind_service']) {
      await allows(withConstraints(create({ CapAdd: [cap] }), c));
    }
    await allows(withConstraints(create({ CapAdd: ['SYS_TIME'] }), { capAdd: ['cap_sys_time'] }));
  });
  test('CapDrop is always fine', async () => {
    await allows(create({ CapDrop: ['ALL'] }));
  });
  test('the 19.03 Capabilities field is refused', async () => {
    await denies(create({ Capabilities: ['CAP_SYS_ADMIN'] }), 'PC_DENIED_CAP_ADD', 'HostConfig.Capabilities');
  });
});

describe('devices', () => {
  test('refuses host devices, cgroup rules and device requests by default', async () => {
    await denies(create({ Devices: [{ PathOnHost: '/dev/sda', PathInContainer: '/dev/sda', CgroupPermissions: 'rwm' }] }), 'PC_DENIED_DEVICE', 'HostConfig.Devices[0].PathOnHost is "/dev/sda"');
    await denies(create({ DeviceCgroupRules: ['b 8:* rmw'] }), 'PC_DENIED_DEVICE', 'HostConfig.DeviceCgroupRules[0] is "b 8:* rmw"');
    await denies(create({ DeviceRequests: [{ Driver: '', Count: -1, Capabilities: [['gpu']] }] }), 'PC_DENIED_DEVICE', 'HostConfig.DeviceRequests[0]', 'gpu');
    await denies(create({ DeviceRequests: [{ Driver: 'cdi', DeviceIDs: ['vendor.com/x=all'] }] }), 'PC_DENIED_DEVICE', 'HostConfig.DeviceRequests[0].Driver is "cdi"');
  });
  test('allowed devices pass; empty lists (what the CLI sends) pass', async () => {
    await allows(create({ Devices: [], DeviceCgroupRules: null, DeviceRequests: null }));
    await allows(withConstraints(create({ Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }] }), { devices: ['/dev/fuse'] }));
    await allows(withConstraints(create({ DeviceCgroupRules: ['c 10:229 rwm'] }), { deviceCgroupRules: ['c 10:229 rwm'] }));
    await allows(withConstraints(create({ DeviceRequests: [{ Driver: '', Count: -1, Capabilities: [['gpu']] }] }), { deviceRequests: ['gpu'] }));
  });
  test('a device path is compared after normalisation', async () => {
    await denies(withConstraints(create({ Devices: [{ PathOnHost: '/dev/fuse/../sda' }] }), { devices: ['/dev/fuse'] }), 'PC_DENIED_DEVICE');
  });
});

describe('namespaces', () => {
  for (const [key, ns] of [['PidMode', 'pid'], ['IpcMode', 'ipc'], ['NetworkMode', 'network'], ['UTSMode', 'uts'], ['UsernsMode', 'userns'], ['CgroupnsMode', 'cgroupns']] as const) {
    test(`refuses ${key} host (any case), allows it when ${ns} is listed`, async () => {
      await denies(create({ [key]: 'host' }), 'PC_DENIED_NAMESPACE', `HostConfig.${key} is "host"`);
      await denies(create({ [key]: 'HOST' }), 'PC_DENIED_NAMESPACE', `HostConfig.${key}`);
      await allows(withConstraints(create({ [key]: 'host' }), { hostNamespaces: [ns] }));
    });
  }
  test('private modes pass', async () => {
    await allows(create({ PidMode: '', IpcMode: 'private', UTSMode: '', UsernsMode: '', CgroupnsMode: 'private', NetworkMode: 'bridge' }));
    await allows(create({ IpcMode: 'shareable', NetworkMode: 'none' }));
    await allows(create({ IpcMode: 'none', NetworkMode: 'default' }));
  });
  test('container: targets pass only when the target passes the same checks', async () => {
    const lookup = fakeLookup({
      '/containers/safe/json': { status: 200, body: { Id: 'safe', HostConfig: { NetworkMode: 'bridge', IpcMode: 'shareable' } } },
      '/containers/priv/json': { status: 200, body: { Id: 'priv', HostConfig: { Privileged: true } } },
      '/containers/hostpid/json': { status: 200, body: { Id: 'hostpid', HostConfig: { PidMode: 'host' } } },
    });
    await allows({ ...create({ PidMode: 'container:safe', IpcMode: 'container:safe', NetworkMode: 'container:safe' }), lookup });
    await denies({ ...create({ PidMode: 'container:priv' }), lookup }, 'PC_DENIED_NAMESPACE', 'HostConfig.PidMode names container "priv"', 'HostConfig.Privileged is true');
    await denies({ ...create({ NetworkMode: 'container:hostpid' }), lookup }, 'PC_DENIED_NAMESPACE', 'HostConfig.PidMode is "host"');
    assert.ok(lookup.calls.includes('/containers/priv/json'));
  });
  test('container: targets are looked up with the id percent-encoded', async () => {
    const lookup = fakeLookup();
    await allows({ ...create({ PidMode: 'container:a/../b' }), lookup });
    assert.deepEqual(lookup.calls, ['/containers/a%2F..%2Fb/json']);
  });
  test('a 404 target passes (dockerd answers); a failed lookup refuses', async () => {
    await allows(create({ PidMode: 'container:gone' }));
    await denies({ ...create({ PidMode: 'container:x' }), lookup: fakeLookup({ '/containers/x/json': new Error('socket hang up') }) }, 'PC_DENIED_NAMESPACE', 'cannot look up container "x"');
    await denies({ ...create({ PidMode: 'container:x' }), lookup: fakeLookup({ '/containers/x/json': { status: 500, body: null } }) }, 'PC_DENIED_NAMESPACE', '500');
    await denies({ ...create({ PidMode: 'container:x' }), lookup: fakeLookup({ '/containers/x/json': { status: 200, body: null } }) }, 'PC_DENIED_NAMESPACE', 'not a JSON object');
  });
  test('container: targets can be refused outright', async () => {
    await denies(withConstraints(create({ NetworkMode: 'container:x' }), { containerNamespaces: false }), 'PC_DENIED_NAMESPACE', 'HostConfig.NetworkMode is "container:x"');
  });
  test('service: targets and unknown modes are refused', async () => {
    await denies(create({ NetworkMode: 'service:web' }), 'PC_DENIED_NAMESPACE', 'service:');
    await denies(create({ PidMode: 'service:web' }), 'PC_DENIED_NAMESPACE', 'HostConfig.PidMode');
    await denies(create({ UsernsMode: 'private' }), 'PC_DENIED_NAMESPACE', 'HostConfig.UsernsMode');
  });
  test('a user-defined network is looked up: the host driver is refused, bridge passes', async () => {
    const lookup = fakeLookup({
      '/networks/3f1e': { status: 200, body: { Name: 'host', Id: '3f1e', Driver: 'host' } },
      '/networks/ci_default': { status: 200, body: { Name: 'ci_default', Driver: 'bridge' } },
    });
    await denies({ ...create({ NetworkMode: '3f1e' }), lookup }, 'PC_DENIED_NAMESPACE', 'HostConfig.NetworkMode is "3f1e", a network with the host driver');
    await allows({ ...create({ NetworkMode: 'ci_default' }), lookup });
    await denies(
      { ...create({ NetworkMode: 'ci_default' }, { NetworkingConfig: { EndpointsConfig: { ci_default: {}, '3f1e': {} } } }), lookup },
      'PC_DENIED_NAMESPACE',
      'NetworkingConfig.EndpointsConfig["3f1e"]',
    );
  });
});

describe('cgroups', () => {
  test('refuses Cgroup and CgroupParent', async () => {
    await denies(create({ CgroupParent: '/' }), 'PC_DENIED_CGROUP', 'HostConfig.CgroupParent is "/"');
    await denies(create({ Cgroup: 'container:x' }), 'PC_DENIED_CGROUP', 'HostConfig.Cgroup');
  });
  test('empty values pass; allowed when configured', async () => {
    await allows(create({ CgroupParent: '', Cgroup: '' }));
    await allows(withConstraints(create({ CgroupParent: 'ci.slice' }), { cgroupParent: true }));
  });
});

describe('securityOpt', () => {
  const refused: [string, string, string][] = [
    ['seccomp=unconfined', 'PC_DENIED_SECURITY_OPT', 'disables seccomp'],
    ['seccomp:unconfined', 'PC_DENIED_SECURITY_OPT', 'disables seccomp'],
    ['Seccomp=Unconfined', 'PC_DENIED_SECURITY_OPT', 'not a security option as dockerd reads them'],
    [' seccomp=unconfined', 'PC_DENIED_SECURITY_OPT', 'not a security option as dockerd reads them'],
    ['no-new-privileges=yes', 'PC_DENIED_SECURITY_OPT', 'not a security option as dockerd reads them'],
    ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}', 'PC_DENIED_SECURITY_OPT', 'custom seccomp profile'],
    ['seccomp=/path/profile.json', 'PC_DENIED_SECURITY_OPT', 'custom seccomp profile'],
    ['apparmor=unconfined', 'PC_DENIED_SECURITY_OPT', 'disables AppArmor'],
    ['apparmor:unconfined', 'PC_DENIED_SECURITY_OPT', 'disables AppArmor'],
    ['label=disable', 'PC_DENIED_SECURITY_OPT', 'disables SELinux'],
    ['label:disable', 'PC_DENIED_SECURITY_OPT', 'disables SELinux'],
    ['LABEL=DISABLE', 'PC_DENIED_SECURITY_OPT', 'not a security option as dockerd reads them'],
    ['disable', 'PC_DENIED_SECURITY_OPT', 'disables SELinux'],
    ['label=type:spc_t', 'PC_DENIED_SECURITY_OPT', 'SELinux type'],
    ['systempaths=unconfined', 'PC_DENIED_MASKED_PATHS', 'unmasks'],
    ['writable-cgroups=true', 'PC_DENIED_CGROUP', 'writable'],
    ['writable-cgroups', 'PC_DENIED_CGROUP', 'writable'],
    ['writable-cgroups=T', 'PC_DENIED_CGROUP', 'writable'],
    ['something-new=1', 'PC_DENIED_SECURITY_OPT', 'not a security option'],
  ];
  for (const [item, rule, why] of refused) {
    test(`refuses ${item}`, async () => {
      await denies(create({ SecurityOpt: ['no-new-privileges', item] }), rule, 'HostConfig.SecurityOpt[1]', why);
    });
  }
  test('harmless options pass', async () => {
    await allows(create({ SecurityOpt: ['no-new-privileges', 'no-new-privileges:true', 'no-new-privileges=true', 'apparmor=docker-default', 'seccomp=builtin', 'label=user:system_u', 'label=level:s0:c100,c200', 'no-new-privileges=0', 'writable-cgroups=false'] }));
  });
  test('an item can be allowed verbatim or by prefix', async () => {
    await allows(withConstraints(create({ SecurityOpt: ['label=type:container_t'] }), { securityOpt: ['label=type:container_t'] }));
    await allows(withConstraints(create({ SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ERRNO"}'] }), { securityOpt: ['seccomp={*'] }));
  });
  test('a long inline profile is shortened in the reason', async () => {
    const reason = await denies(create({ SecurityOpt: ['seccomp=' + '{"syscalls":[]'.padEnd(5000, ' ') + '}'] }), 'PC_DENIED_SECURITY_OPT');
    assert.ok(reason.length < 300, reason);
  });
});

describe('masked paths', () => {
  test('refuses MaskedPaths and ReadonlyPaths set at create, even to a list', async () => {
    await denies(create({ MaskedPaths: [] }), 'PC_DENIED_MASKED_PATHS', 'HostConfig.MaskedPaths is set (an empty list)');
    await denies(create({ ReadonlyPaths: ['/proc/sys'] }), 'PC_DENIED_MASKED_PATHS', 'HostConfig.ReadonlyPaths is set');
  });
  test('null (dockerd defaults) passes; set lists pass when allowed', async () => {
    await allows(create({ MaskedPaths: null, ReadonlyPaths: null }));
    await allows(withConstraints(create({ MaskedPaths: [] }), { maskedPaths: true }));
  });
});

describe('runtime', () => {
  test('refuses an unlisted runtime', async () => {
    await denies(create({ Runtime: 'sysbox-runc' }), 'PC_DENIED_RUNTIME', 'HostConfig.Runtime is "sysbox-runc" (allowed: runc, io.containerd.runc.v2)');
  });
  test('runc and the daemon default pass', async () => {
    await allows(create({ Runtime: 'runc' }));
    await allows(create({ Runtime: '' }));
    await allows(withConstraints(create({ Runtime: 'runsc' }), { runtimes: ['runsc'] }));
  });
});

describe('sysctls', () => {
  test('refuses sysctls by default, even namespaced ones', async () => {
    await denies(create({ Sysctls: { 'kernel.shm_rmid_forced': '1' } }), 'PC_DENIED_SYSCTL', 'HostConfig.Sysctls sets "kernel.shm_rmid_forced"');
    await denies(create({ Sysctls: { 'net.ipv4.ip_forward': '1' } }), 'PC_DENIED_SYSCTL', 'net.ipv4.ip_forward');
  });
  test('listed keys and prefixes pass, in either spelling', async () => {
    const c = { sysctls: ['net.*', 'kernel.msgmax'] };
    await allows(withConstraints(create({ Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0', 'net/core/somaxconn': '1024', 'kernel.msgmax': '65536' } }), c));
    await denies(withConstraints(create({ Sysctls: { 'kernel.msgmnb': '1' } }), c), 'PC_DENIED_SYSCTL');
  });
});

describe('oomKillDisable', () => {
  test('refused unless allowed', async () => {
    await denies(create({ OomKillDisable: true }), 'PC_DENIED_OOM_KILL_DISABLE', 'HostConfig.OomKillDisable is true');
    await allows(create({ OomKillDisable: false }));
    await allows(create({ OomKillDisable: null }));
  });
});

describe('resource bounds', () => {
  const c = { memory: { max: 4 * 1024 ** 3 }, pidsLimit: { max: 1000 }, shmSize: { max: 256 * 1024 ** 2 } };
  test('refuses values above the maximum', async () => {
    await denies(withConstraints(create({ Memory: 8 * 1024 ** 3 }), c), 'PC_DENIED_RESOURCE_LIMIT', 'HostConfig.Memory is 8589934592 bytes (8 GiB), above the maximum 4294967296 bytes (4 GiB)');
    await denies(withConstraints(create({ PidsLimit: 5000 }), c), 'PC_DENIED_RESOURCE_LIMIT', 'HostConfig.PidsLimit is 5000, above the maximum 1000');
    await denies(withConstraints(create({ ShmSize: 1024 ** 3 }), c), 'PC_DENIED_RESOURCE_LIMIT', 'HostConfig.ShmSize');
  });
  test('values within bounds, and unset values, pass', async () => {
    await allows(withConstraints(create({ Memory: 512 * 1024 ** 2, PidsLimit: 100, ShmSize: 64 * 1024 ** 2 }), c));
    await allows(withConstraints(create({ Memory: 0, PidsLimit: null, ShmSize: 0 }), c));
    await allows(create({ Memory: 64 * 1024 ** 3, PidsLimit: -1 }));
  });
  test('required limits refuse unlimited values', async () => {
    const req = { memory: { max: 4 * 1024 ** 3, required: true }, pidsLimit: { max: null, required: true } };
    await denies(withConstraints(create({ Memory: 0, PidsLimit: 10 }), req), 'PC_DENIED_RESOURCE_LIMIT', 'HostConfig.Memory is 0 (unlimited); a limit is required');
    await denies(withConstraints(create({ Memory: 1024 ** 3 }), req), 'PC_DENIED_RESOURCE_LIMIT', 'HostConfig.PidsLimit is not set');
    await allows(withConstraints(create({ Memory: 1024 ** 3, PidsLimit: 10 }), req));
  });
});

describe('port bindings', () => {
  test('refuses an empty HostIp (all interfaces) and unlisted addresses', async () => {
    await denies(create({ PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } }), 'PC_DENIED_PORT_BINDING', 'HostConfig.PortBindings["80/tcp"][0].HostIp is empty, so the port is published on all interfaces (allowed host IPs: 127.0.0.1, ::1)');
    await denies(create({ PortBindings: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] } }), 'PC_DENIED_PORT_BINDING', 'HostIp is "0.0.0.0"');
    await denies(create({ PortBindings: { '80/tcp': [{ HostIp: '10.0.0.5', HostPort: '8080' }] } }), 'PC_DENIED_PORT_BINDING', '"10.0.0.5"');
    await denies(create({ PortBindings: { '80/tcp': [{ HostPort: '8080' }] } }), 'PC_DENIED_PORT_BINDING', 'HostIp is empty');
  });
  test('loopback bindings pass, v4 and v6, with a fixed or random port', async () => {
    await allows(create({ PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '443/tcp': [{ HostIp: '::1', HostPort: '' }], '53/udp': [{ HostIp: '::ffff:127.0.0.1', HostPort: '0' }] } }));
    await allows(create({ PortBindings: {} }));
  });
  test('0.0.0.0 in the list allows an empty HostIp and PublishAllPorts', async () => {
    const c = { portBindings: { hostIps: ['0.0.0.0'] } };
    await allows(withConstraints(create({ PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] }, PublishAllPorts: true }), c));
    await denies(create({ PublishAllPorts: true }), 'PC_DENIED_PORT_BINDING', 'HostConfig.PublishAllPorts is true');
  });
  test('host port ranges', async () => {
    const c = { portBindings: { hostPorts: ['8000-8999'] } };
    await denies(withConstraints(create({ PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '80' }] } }), c), 'PC_DENIED_PORT_BINDING', 'HostPort is "80" (allowed host ports: 8000-8999)');
    await denies(withConstraints(create({ PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8990-9010' }] } }), c), 'PC_DENIED_PORT_BINDING', '"8990-9010"');
    await allows(withConstraints(create({ PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '8100-8110' }] } }), c));
  });
});

describe('log driver', () => {
  test('refuses unlisted drivers', async () => {
    await denies(create({ LogConfig: { Type: 'syslog', Config: { 'syslog-address': 'udp://1.2.3.4:514' } } }), 'PC_DENIED_LOG_DRIVER', 'HostConfig.LogConfig.Type is "syslog" (allowed: json-file, local, none)');
  });
  test('the daemon default and listed drivers pass', async () => {
    await allows(create({ LogConfig: { Type: '', Config: {} } }));
    await allows(create({ LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } } }));
    await allows(withConstraints(create({ LogConfig: { Type: 'journald' } }), { logDrivers: ['journald'] }));
  });
});

describe('annotations', () => {
  test('refused unless allowed', async () => {
    await denies(create({ Annotations: { 'io.katacontainers.config.hypervisor.kernel': '/x' } }), 'PC_DENIED_ANNOTATIONS', 'HostConfig.Annotations sets "io.katacontainers');
    await allows(create({ Annotations: {} }));
    await allows(withConstraints(create({ Annotations: { a: 'b' } }), { annotations: true }));
  });
});

describe('legacy top-level HostConfig fields', () => {
  test('refuses any HostConfig field at the top level, in any case', async () => {
    await denies({ op: 'ContainerCreate', body: { Image: 'busybox', Privileged: true } }, 'PC_DENIED_LEGACY_HOSTCONFIG', 'top-level "Privileged" is a HostConfig field');
    await denies({ op: 'ContainerCreate', body: { Image: 'busybox', binds: ['/:/host'], HostConfig: {} } }, 'PC_DENIED_LEGACY_HOSTCONFIG', '"binds"');
    await denies({ op: 'ContainerCreate', body: { Image: 'busybox', CgroupParent: '/', HostConfig: {} } }, 'PC_DENIED_LEGACY_HOSTCONFIG');
    await denies({ op: 'ContainerCreate', body: { Image: 'busybox', Cpuset: '0' } }, 'PC_DENIED_LEGACY_HOSTCONFIG', 'Cpuset');
  });
  test('Config fields at the top level pass', async () => {
    await allows({ op: 'ContainerCreate', body: { Image: 'busybox', Volumes: { '/data': {} }, User: '1000', Env: ['A=1'], Labels: {}, HostConfig: {} } });
  });
  test('when allowed, top-level fields get the same checks', async () => {
    await allows(withConstraints({ op: 'ContainerCreate', body: { Image: 'busybox', Memory: 1024 } }, { legacyHostConfig: true }));
    await denies(withConstraints({ op: 'ContainerCreate', body: { Image: 'busybox', Privileged: true } }, { legacyHostConfig: true }), 'PC_DENIED_PRIVILEGED', 'Privileged is true');
  });
});

describe('ContainerUpdate', () => {
  test('checks the resources it changes', async () => {
    await denies({ op: 'ContainerUpdate', body: { Devices: [{ PathOnHost: '/dev/mem' }] } }, 'PC_DENIED_DEVICE', 'Devices[0].PathOnHost is "/dev/mem"');
    await denies({ op: 'ContainerUpdate', body: { Memory: 8 * 1024 ** 3 }, constraints: { memory: { max: 1024 ** 3 } } }, 'PC_DENIED_RESOURCE_LIMIT', 'Memory is');
    await denies({ op: 'ContainerUpdate', body: { OomKillDisable: true } }, 'PC_DENIED_OOM_KILL_DISABLE');
    await allows({ op: 'ContainerUpdate', body: { Memory: 512 * 1024 ** 2, RestartPolicy: { Name: 'always' } } });
  });
});

describe('malformed bodies', () => {
  test('a body that is not an object, or a HostConfig of the wrong type', async () => {
    await denies({ op: 'ContainerCreate', body: ['x'] }, 'PC_DENIED_MALFORMED_BODY', 'not a JSON object');
    await denies({ op: 'ContainerCreate', body: { HostConfig: 'privileged' } }, 'PC_DENIED_MALFORMED_BODY', 'HostConfig is a string');
    await denies(create({ CapAdd: 'SYS_ADMIN' }), 'PC_DENIED_MALFORMED_BODY', 'HostConfig.CapAdd is a string, expected a list');
  });
});
