/**
 * Issue 15: each checked value is judged as dockerd (or what dockerd hands it to: runc, the
 * kernel) reads it. Every refusal has its legitimate neighbour next to it.
 */
import { describe, test } from 'node:test';
import { JsonNumber } from '../../../src/inspect/json-value.js';
import { allows, create, denies, withConstraints } from './helpers.js';

const bind = (hostIp: string, hostPort = '0') => create({ PortBindings: { '80/tcp': [{ HostIp: hostIp, HostPort: hostPort }] } });

describe('HostIp as net.ParseIP reads it', () => {
  test('what Go cannot parse is every interface, refused', async () => {
    for (const ip of ['[127.0.0.1]', ' 127.0.0.1', '127.0.0.1 ', '127.000.000.001', '0127.0.0.1', '127.0.0.1%lo', '[::1]', '::1%lo', 'localhost']) {
      await denies(bind(ip), 'PC_DENIED_PORT_BINDING', `is ${JSON.stringify(ip)}, which dockerd does not read as an IP address, so the port is published on all interfaces`);
    }
  });
  test('unspecified addresses in any spelling are every interface', async () => {
    for (const ip of ['0.0.0.0', '::', '::ffff:0.0.0.0', '0:0:0:0:0:0:0:0', '::0.0.0.0']) {
      await denies(bind(ip), 'PC_DENIED_PORT_BINDING', 'published on all interfaces');
    }
  });
  test('neighbours: loopback in any spelling Go reads as loopback passes', async () => {
    for (const ip of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '::FFFF:7F00:1', '0:0:0:0:0:0:0:1', '0000::0001']) await allows(bind(ip));
  });
  test('an unspecified address in the list allows every interface, including what Go cannot parse', async () => {
    for (const allowed of ['0.0.0.0', '::']) {
      for (const ip of ['', '[127.0.0.1]', '0.0.0.0', '::']) await allows(withConstraints(bind(ip), { portBindings: { hostIps: [allowed] } }));
    }
  });
  test('another listed address matches in any spelling; others do not', async () => {
    const c = { portBindings: { hostIps: ['10.0.0.5'] } };
    await allows(withConstraints(bind('::ffff:10.0.0.5'), c));
    await denies(withConstraints(bind('10.0.0.6'), c), 'PC_DENIED_PORT_BINDING', '"10.0.0.6" (allowed host IPs: 10.0.0.5)');
    await denies(withConstraints(bind('10.0.0.05'), c), 'PC_DENIED_PORT_BINDING', 'all interfaces');
  });
});

describe('HostPort as go-connections reads it', () => {
  const c = { portBindings: { hostPorts: ['8000-8999'] } };
  test('what dockerd refuses is refused', async () => {
    for (const p of [' 8080', '8080 ', '+8080', '8080-', '-8080', '9000-8000', '65536', 'http']) {
      await denies(withConstraints(bind('127.0.0.1', p), c), 'PC_DENIED_PORT_BINDING', `is ${JSON.stringify(p)}, which dockerd does not read as a port`);
    }
  });
  test('a port read differently from how it is written is judged as read', async () => {
    await denies(withConstraints(bind('127.0.0.1', '9000/udp'), c), 'PC_DENIED_PORT_BINDING', '"9000/udp" (read as 9000)');
    await denies(withConstraints(bind('127.0.0.1', '8990-9010-8000'), c), 'PC_DENIED_PORT_BINDING', '(read as 8990-9010)');
    await allows(withConstraints(bind('127.0.0.1', '8080/udp'), c));
    await allows(withConstraints(bind('127.0.0.1', '0008080'), c));
    await allows(withConstraints(bind('127.0.0.1', '8100-8110-9999'), c));
  });
  test('a random port, in any spelling, passes', async () => {
    for (const p of ['', '0', '/8080', '0/tcp', '0-0']) await allows(withConstraints(bind('127.0.0.1', p), c));
  });
});

describe('CapAdd as NormalizeLegacyCapabilities reads it', () => {
  const c = { capAdd: ['NET_BIND_SERVICE'] };
  test('spaces are not trimmed: the name is no capability', async () => {
    await denies(withConstraints(create({ CapAdd: [' NET_BIND_SERVICE'] }), c), 'PC_DENIED_CAP_ADD', '" NET_BIND_SERVICE"');
    await denies(withConstraints(create({ CapAdd: ['NET_BIND_SERVICE\n'] }), c), 'PC_DENIED_CAP_ADD');
  });
  test('Go upper-cases ı and ſ to ASCII: judged as the capability they become', async () => {
    await denies(withConstraints(create({ CapAdd: ['ſys_admin'] }), c), 'PC_DENIED_CAP_ADD', '"ſys_admin"');
    await denies(withConstraints(create({ CapAdd: ['ałl'] }), c), 'PC_DENIED_CAP_ADD');
    await allows(withConstraints(create({ CapAdd: ['net_bınd_servıce'] }), c));
  });
});

describe('Binds as ParseMountRaw reads them', () => {
  const ci = { bindMounts: { allow: ['/srv/ci'] } };
  test('modes dockerd refuses are refused, not trimmed', async () => {
    for (const b of ['/srv/ci/a:/a:ro ', '/srv/ci/a:/a: ro', '/srv/ci/a:/a:RO', '/srv/ci/a:/a:ro,rw', '/srv/ci/a:/a:z,Z', '/srv/ci/a:ro', '/srv/ci/a:/', 'C:\\x:/y:ro']) {
      await denies(withConstraints(create({ Binds: [b] }), ci), 'PC_DENIED_BIND_MOUNT', 'which dockerd does not read as [source:]target[:options]');
    }
  });
  test('neighbours: every valid option kind once, the source cleaned', async () => {
    await allows(withConstraints(create({ Binds: ['/srv/ci/a:/a:ro', '/srv/ci//b/../c/:/c:ro,Z,rslave,nocopy,cached'] }), ci));
    await denies(withConstraints(create({ Binds: ['/srv/ci/../etc:/a:ro'] }), ci), 'PC_DENIED_BIND_MOUNT', 'bind mount of "/srv/etc"', 'written "/srv/ci/../etc"');
  });
});

describe('SecurityOpt as parseSecurityOpt reads it', () => {
  test('the bare word disable turns SELinux labelling off', async () => {
    await denies(create({ SecurityOpt: ['disable'] }), 'PC_DENIED_SECURITY_OPT', 'disables SELinux');
  });
  test('a first `=` wins over a `:`', async () => {
    await denies(create({ SecurityOpt: ['apparmor:x=unconfined'] }), 'PC_DENIED_SECURITY_OPT', 'not a security option as dockerd reads them');
    await allows(create({ SecurityOpt: ['label=level:s0:c1=c2'] }));
  });
});

describe('tmpfs sizes as the kernel reads them', () => {
  const tmpfs = (size: string) => create({ Tmpfs: { '/t': `rw,size=${size}` } });
  test('sizes the kernel reads as no limit are refused', async () => {
    for (const s of ['0', 'k', '0x0', '000m', '16e', '17179869184g', '18446744073709551615']) {
      await denies(tmpfs(s), 'PC_DENIED_TMPFS', 'which the kernel reads as no limit at all');
    }
    await denies(create({ Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024, Options: [['size', '0']] } }] }), 'PC_DENIED_TMPFS', 'no limit');
  });
  test('octal and hex are read as the kernel does', async () => {
    await denies(tmpfs('0x40000001'), 'PC_DENIED_TMPFS', 'above the maximum');
    await allows(tmpfs('0x40000000'));
    await allows(tmpfs('01777777777'));
    await denies(tmpfs('010000000001'), 'PC_DENIED_TMPFS', 'above the maximum');
  });
  test('what the kernel refuses is refused while a bound applies', async () => {
    for (const s of ['', ' 64m', '64 m', '-1', '64mb', '09']) await denies(tmpfs(s), 'PC_DENIED_TMPFS', 'which the kernel does not read as a size');
    await denies(create({ Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: -1024 } }] }), 'PC_DENIED_TMPFS', 'does not read');
  });
  test('the last size counts; keys are exact', async () => {
    await denies(create({ Tmpfs: { '/t': 'size=64m,size=0' } }), 'PC_DENIED_TMPFS', 'no limit');
    await allows(create({ Tmpfs: { '/t': 'size=0,size=64m' } }));
    await allows(create({ Tmpfs: { '/t': 'SIZE=0' } }));
  });
  test('neighbours: ordinary sizes pass', async () => {
    for (const s of ['64m', '64M', '1g', '65536k', '1073741824', '1G']) await allows(tmpfs(s));
    await allows(create({ Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 67108864 } }] }));
  });
});

describe('int64 bounds as encoding/json decodes them', () => {
  const c = { memory: { max: 1024 * 1024 * 1024 } };
  test('literals Go refuses for an int64 are malformed', async () => {
    for (const lit of ['1e9', '1.0', '9223372036854775808', '-9223372036854775809']) {
      await denies(withConstraints(create({ Memory: new JsonNumber(lit) }), c), 'PC_DENIED_MALFORMED_BODY', 'HostConfig.Memory');
    }
  });
  test('neighbours: integers within the bound pass, above it are refused exactly', async () => {
    await allows(withConstraints(create({ Memory: new JsonNumber('1073741824') }), c));
    await denies(withConstraints(create({ Memory: new JsonNumber('1073741825') }), c), 'PC_DENIED_RESOURCE_LIMIT');
    await denies(withConstraints(create({ Memory: new JsonNumber('9223372036854775807') }), c), 'PC_DENIED_RESOURCE_LIMIT');
  });
});

describe('Sysctls as runc names them', () => {
  test('a key with a space is not the allowed sysctl', async () => {
    const c = { sysctls: ['net.ipv4.ip_unprivileged_port_start'] };
    await denies(withConstraints(create({ Sysctls: { ' net.ipv4.ip_unprivileged_port_start': '0' } }), c), 'PC_DENIED_SYSCTL');
    await allows(withConstraints(create({ Sysctls: { 'net/ipv4/ip_unprivileged_port_start': '0' } }), c));
  });
  test('a `/` name is swapped as runc swaps it', async () => {
    const c = { sysctls: ['net.ipv4.conf.eth0/100.forwarding'] };
    await allows(withConstraints(create({ Sysctls: { 'net/ipv4/conf/eth0.100/forwarding': '1' } }), c));
    await denies(withConstraints(create({ Sysctls: { 'net/ipv4/conf/eth0.100/forwarding': '1' } }), { sysctls: ['net.ipv4.conf.eth0.100.forwarding'] }), 'PC_DENIED_SYSCTL');
  });
});

describe('DeviceCgroupRules verbatim', () => {
  test('a rule with spaces around it is not the listed rule', async () => {
    const c = { deviceCgroupRules: ['c 10:229 rwm'] };
    await denies(withConstraints(create({ DeviceCgroupRules: [' c 10:229 rwm'] }), c), 'PC_DENIED_DEVICE');
    await allows(withConstraints(create({ DeviceCgroupRules: ['c 10:229 rwm'] }), c));
  });
});
