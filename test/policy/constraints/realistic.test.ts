import { describe, test } from 'node:test';
import { allows, denies, fakeLookup } from './helpers.js';

/** `docker run --rm busybox echo hi` as the docker 28 CLI sends it (zero values included). */
const dockerRun = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false,
  Env: null, Cmd: ['echo', 'hi'], Image: 'busybox', Volumes: {}, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {},
  HostConfig: {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: 'default', PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: true, VolumeDriver: '', VolumesFrom: null, ConsoleSize: [0, 0],
    CapAdd: null, CapDrop: null, CgroupnsMode: '', Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, GroupAdd: null, IpcMode: '',
    Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null,
    UTSMode: '', UsernsMode: '', ShmSize: 0, Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '', BlkioWeight: 0,
    BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [],
    CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: [],
    DeviceCgroupRules: null, DeviceRequests: null, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: null,
    PidsLimit: null, Ulimits: [], CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0, MaskedPaths: null, ReadonlyPaths: null,
  },
  NetworkingConfig: {
    EndpointsConfig: {
      default: { IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, GwPriority: 0, NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null },
    },
  },
};

/** A compose service: named volume, user network, a port on 127.0.0.1, tmpfs, init. */
const composeUp = {
  Image: 'postgres:16', Env: ['POSTGRES_PASSWORD=ci'], ExposedPorts: { '5432/tcp': {} },
  Labels: { 'com.docker.compose.project': 'app', 'com.docker.compose.service': 'db' },
  HostConfig: {
    NetworkMode: 'app_default', RestartPolicy: { Name: '', MaximumRetryCount: 0 }, LogConfig: { Type: '', Config: null },
    PortBindings: { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '5432' }] },
    Mounts: [
      { Type: 'volume', Source: 'app_pgdata', Target: '/var/lib/postgresql/data', VolumeOptions: {} },
      { Type: 'tmpfs', Target: '/run/postgresql', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024 } },
    ],
    Init: true,
  },
  NetworkingConfig: { EndpointsConfig: { app_default: { Aliases: ['app-db-1', 'db'] } } },
};

describe('ordinary clients pass the hardened constraints', () => {
  test('docker run', async () => {
    await allows({ op: 'ContainerCreate', body: dockerRun });
  });
  test('docker run -it -v cache:/cache -p 127.0.0.1:8080:80 --tmpfs /tmp --security-opt no-new-privileges', async () => {
    const hc = { ...dockerRun.HostConfig, Binds: ['cache:/cache'], PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] }, Tmpfs: { '/tmp': '' }, SecurityOpt: ['no-new-privileges'] };
    await allows({ op: 'ContainerCreate', body: { ...dockerRun, Tty: true, OpenStdin: true, HostConfig: hc } });
  });
  test('compose up', async () => {
    const lookup = fakeLookup({ '/networks/app_default': { status: 200, body: { Name: 'app_default', Driver: 'bridge' } } });
    await allows({ op: 'ContainerCreate', body: composeUp, lookup });
  });
  test('docker run --privileged, -v /:/host, --pid host, -p 8080:80 are refused', async () => {
    await denies({ op: 'ContainerCreate', body: { ...dockerRun, HostConfig: { ...dockerRun.HostConfig, Privileged: true } } }, 'PC_DENIED_PRIVILEGED');
    await denies({ op: 'ContainerCreate', body: { ...dockerRun, HostConfig: { ...dockerRun.HostConfig, Binds: ['/:/host'] } } }, 'PC_DENIED_BIND_MOUNT');
    await denies({ op: 'ContainerCreate', body: { ...dockerRun, HostConfig: { ...dockerRun.HostConfig, PidMode: 'host' } } }, 'PC_DENIED_NAMESPACE');
    await denies({ op: 'ContainerCreate', body: { ...dockerRun, HostConfig: { ...dockerRun.HostConfig, PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } } } }, 'PC_DENIED_PORT_BINDING');
  });
});
