/**
 * Adversarial requests against the real daemon through the proxy with examples/hardened.yaml
 * (policy `ci` extends the built-in `hardened` profile). Table-driven: each case is raw request
 * bytes (bodies built programmatically), the answers expected (a denial with its rule id, or what
 * the daemon answered when the request was allowed), and a post-condition checked directly on the
 * daemon's socket: what the daemon holds is what counts, not what the proxy said.
 *
 * Every object a case may create is named `pc-adv-<pid>-<case number>`; everything with the
 * prefix is removed afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from './harness/background.js';
import { dockerApi } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { exchange, rawConnect, splitResponses, type ParsedResponse } from './harness/wire.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/hardened.yaml', import.meta.url));
const PFX = `pc-adv-${process.pid}`;

/** Rule ids of the hardened profile's constraints (docs/constraints.md) and of the proxy's own checks. */
const R = {
  privileged: 'PC_DENIED_PRIVILEGED',
  capAdd: 'PC_DENIED_CAP_ADD',
  device: 'PC_DENIED_DEVICE',
  namespace: 'PC_DENIED_NAMESPACE',
  cgroup: 'PC_DENIED_CGROUP',
  mountType: 'PC_DENIED_MOUNT_TYPE',
  volumesFrom: 'PC_DENIED_VOLUMES_FROM',
  securityOpt: 'PC_DENIED_SECURITY_OPT',
  maskedPaths: 'PC_DENIED_MASKED_PATHS',
  runtime: 'PC_DENIED_RUNTIME',
  sysctl: 'PC_DENIED_SYSCTL',
  bind: 'PC_DENIED_BIND_MOUNT',
  volumeDriver: 'PC_DENIED_VOLUME_DRIVER',
  volumeOptions: 'PC_DENIED_VOLUME_OPTIONS',
  oomKillDisable: 'PC_DENIED_OOM_KILL_DISABLE',
  resource: 'PC_DENIED_RESOURCE_LIMIT',
  port: 'PC_DENIED_PORT_BINDING',
  logDriver: 'PC_DENIED_LOG_DRIVER',
  tmpfs: 'PC_DENIED_TMPFS',
  annotations: 'PC_DENIED_ANNOTATIONS',
  network: 'PC_DENIED_NETWORK_DRIVER',
  build: 'PC_DENIED_BUILD_OPTION',
  legacy: 'PC_DENIED_LEGACY_HOSTCONFIG',
  start: 'PC_DENIED_START_UNSAFE',
  execPrivileged: 'PC_DENIED_EXEC_PRIVILEGED',
  execUnsafe: 'PC_DENIED_EXEC_UNSAFE',
  containerUnsafe: 'PC_DENIED_CONTAINER_UNSAFE',
  imageImport: 'PC_DENIED_IMAGE_IMPORT',
  notAllowed: 'PC_DENIED_DEFAULT',
  badJson: 'PC_BAD_JSON',
  tooLarge: 'PC_BODY_TOO_LARGE',
  framing: 'PC_BAD_FRAMING',
  form: 'PC_FORM_BODY',
  version: 'PC_API_VERSION',
  upgrade: 'PC_UPGRADE_REFUSED',
} as const;

/** Objects created directly on the daemon before the cases run. */
interface Fixtures {
  /** created with Privileged: true, never started */
  priv: string;
  privId: string;
  /** created with Binds /:/host, never started */
  root: string;
  rootId: string;
  /** created with CapAdd ALL, never started */
  caps: string;
  /** created with SecurityOpt seccomp=unconfined, never started */
  unconfined: string;
  /** running `sleep 1000`, network none: an exec target */
  plain: string;
  plainId: string;
  /** the id of the predefined host network */
  hostNetId: string;
  /** running `sleep 1000` with `hostDir` bound writable at /host: what a job must not reach */
  bound: string;
  boundId: string;
  /** an empty directory on the host (the daemon shares our mount namespace) */
  hostDir: string;
}

/** What one response must be: a proxy denial, or an answer from the daemon. */
type Outcome =
  | { status: number; rule: string }
  /** a proxy denial of a HEAD request: no body, so no rule to read */
  | { status: number; headDenied: true }
  /** the daemon answered with this status on a hijacked stream (no Api-Version header) */
  | { hijacked: number }
  /** the daemon answered with this status (the proxy let the request through) */
  | { daemon: number }
  /** anything but a 2xx, from whichever side */
  | { refused: true };

interface Case {
  name: string;
  /** runs on the daemon socket before the request (e.g. a container for a start) */
  setup?(obj: string): Promise<void>;
  request(f: Fixtures, obj: string): string | Buffer;
  /** one per response; further responses on the connection must not be 2xx */
  expect: Outcome[];
  /** end our side after sending (for bytes left over that no request head completes) */
  halfClose?: boolean;
  /** the request is a HEAD: its answer has no body */
  head?: boolean;
  /** checked on the daemon socket afterwards */
  post(f: Fixtures, obj: string): Promise<void>;
}

const deny = (rule: string, status = 403): Outcome => ({ status, rule });

// ---------------------------------------------------------------- request building

function http(method: string, path: string, body?: string | Buffer, headers: Record<string, string | null> = {}): Buffer {
  const h: Record<string, string | null> = { Host: 'portcullis', Connection: 'close' };
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    h['Content-Length'] = String(Buffer.byteLength(body));
  }
  Object.assign(h, headers);
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(h)) if (v !== null) head += `${k}: ${v}\r\n`;
  return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), body === undefined ? Buffer.alloc(0) : Buffer.from(body)]);
}

function chunked(method: string, path: string, chunks: string[], headers: Record<string, string> = {}): Buffer {
  let head = `${method} ${path} HTTP/1.1\r\nHost: portcullis\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  const parts = [Buffer.from(head + '\r\n')];
  for (const c of chunks) {
    const b = Buffer.from(c);
    parts.push(Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

const createPath = (obj: string, version = '/v1.41'): string => `${version}/containers/create?name=${obj}`;

/** A ContainerCreate body with `patch` merged into a harmless HostConfig. */
function hcBody(patch: Record<string, unknown>, top: Record<string, unknown> = {}): string {
  return JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], ...top, HostConfig: { NetworkMode: 'none', ...patch } });
}

/** A ContainerCreate body whose HostConfig is written as raw JSON text (for key spellings JSON.stringify cannot express). */
function rawHc(hostConfigMembers: string, hostConfigKey = '"HostConfig"'): string {
  return `{"Image":${JSON.stringify(BUSYBOX_IMAGE)},"Cmd":["true"],${hostConfigKey}:{"NetworkMode":"none",${hostConfigMembers}}}`;
}

/** A minimal ustar archive, for build contexts. */
function tar(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const CONTEXT = tar({ Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN echo hi > /f\n` });

function build(obj: string, query: string, headers: Record<string, string | null> = {}): Buffer {
  return http('POST', `/v1.41/build?t=${obj}:1${query}`, CONTEXT, { 'Content-Type': 'application/x-tar', ...headers });
}

e2eSuite('adversarial requests against the hardened example', (ctx) => {
  let proxy: Proxy;
  let cgroupV1 = false;
  const f: Fixtures = {
    priv: `${PFX}-fx-priv`,
    privId: '',
    root: `${PFX}-fx-root`,
    rootId: '',
    caps: `${PFX}-fx-caps`,
    unconfined: `${PFX}-fx-unconfined`,
    plain: `${PFX}-fx-plain`,
    plainId: '',
    hostNetId: '',
    bound: `${PFX}-fx-bound`,
    boundId: '',
    hostDir: '',
  };

  const api = (method: string, path: string, body?: unknown) => dockerApi(ctx.dockerd.socket, method, path, body);

  async function daemonCreate(name: string, hostConfig: Record<string, unknown>, cmd = ['sleep', '1000']): Promise<string> {
    const res = await api('POST', `/containers/create?name=${name}`, { Image: BUSYBOX_IMAGE, Cmd: cmd, HostConfig: { NetworkMode: 'none', ...hostConfig } });
    assert.equal(res.status, 201, `creating fixture ${name} on the daemon: ${res.text}`);
    return res.json.Id as string;
  }

  // ------------------------------------------------------------ post-conditions (daemon socket)

  async function noContainer(name: string): Promise<void> {
    const res = await api('GET', `/containers/${name}/json`);
    assert.equal(res.status, 404, `container ${name} exists on the daemon: ${res.text.slice(0, 600)}`);
  }
  /** The container exists and its HostConfig is harmless (the case's request was let through). */
  async function harmless(name: string): Promise<Record<string, any>> {
    const res = await api('GET', `/containers/${name}/json`);
    assert.equal(res.status, 200, `container ${name} is missing: ${res.text}`);
    const hc = res.json.HostConfig;
    assert.equal(hc.Privileged, false, `${name} is privileged`);
    assert.ok(hc.CapAdd === null || hc.CapAdd.length === 0, `${name} CapAdd ${JSON.stringify(hc.CapAdd)}`);
    assert.ok(hc.Binds === null || hc.Binds.length === 0, `${name} Binds ${JSON.stringify(hc.Binds)}`);
    assert.ok(!(res.json.Mounts as { Type: string }[]).some((m) => m.Type === 'bind'), `${name} has a bind mount`);
    assert.ok(hc.SecurityOpt === null || hc.SecurityOpt.length === 0, `${name} SecurityOpt ${JSON.stringify(hc.SecurityOpt)}`);
    for (const mode of ['PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode'] as const) {
      // On cgroup v1 dockerd's own default (and what it stores) is CgroupnsMode host.
      if (mode === 'CgroupnsMode' && cgroupV1) continue;
      assert.notEqual(hc[mode], 'host', `${name} ${mode}`);
    }
    return res.json;
  }
  async function neverStarted(name: string): Promise<void> {
    const res = await api('GET', `/containers/${name}/json`);
    assert.equal(res.status, 200, `container ${name} is missing: ${res.text}`);
    const s = res.json.State;
    assert.equal(s.Running, false, `${name} is running`);
    assert.equal(s.Paused, false, `${name} is paused`);
    assert.equal(s.StartedAt, '0001-01-01T00:00:00Z', `${name} was started (or a start was attempted): ${JSON.stringify(s)}`);
    assert.equal(s.Error, '', `${name}: a start was attempted: ${s.Error}`);
  }
  async function noVolume(name: string): Promise<void> {
    const res = await api('GET', `/volumes/${name}`);
    assert.equal(res.status, 404, `volume ${name} exists: ${res.text}`);
  }
  async function noNetwork(name: string): Promise<void> {
    const res = await api('GET', `/networks/${name}`);
    assert.equal(res.status, 404, `network ${name} exists: ${res.text}`);
  }
  async function noImage(name: string): Promise<void> {
    const res = await api('GET', `/images/${name}:1/json`);
    assert.equal(res.status, 404, `image ${name}:1 exists: ${res.text.slice(0, 300)}`);
  }
  async function noExec(): Promise<void> {
    const res = await api('GET', `/containers/${f.plain}/json`);
    assert.equal(res.status, 200, res.text);
    assert.ok(res.json.ExecIDs === null || res.json.ExecIDs.length === 0, `an exec was created in ${f.plain}: ${JSON.stringify(res.json.ExecIDs)}`);
  }
  async function noSwarm(): Promise<void> {
    const res = await api('GET', '/info');
    assert.equal(res.json.Swarm.LocalNodeState, 'inactive', JSON.stringify(res.json.Swarm));
  }
  /** Nothing was written into the host directory, as the host and as the daemon see it. */
  async function hostDirEmpty(): Promise<void> {
    assert.deepEqual(await readdir(f.hostDir), [], `files appeared in ${f.hostDir} on the host`);
    const res = await api('HEAD', `/containers/${f.bound}/archive?path=${encodeURIComponent('/host/pwned')}`);
    assert.equal(res.status, 404, `the daemon sees /host/pwned in ${f.bound}`);
  }
  /** The daemon logged none of `actions` for `container` since `since` (ms). */
  async function noEvents(container: string, actions: string[], since: number): Promise<void> {
    const filters = encodeURIComponent(JSON.stringify({ container: [container], event: actions }));
    const until = ((Date.now() + 200) / 1000).toFixed(3);
    const res = await api('GET', `/events?since=${(since / 1000 - 1).toFixed(3)}&until=${until}&filters=${filters}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text.trim(), '', `the daemon logged ${actions.join('/')} on ${container}: ${res.text.slice(0, 600)}`);
  }
  /** BuildKit sessions dockerd is serving now: goroutines in its session manager's connection handler. */
  async function openSessions(): Promise<number> {
    const res = await api('GET', '/debug/pprof/goroutine?debug=2');
    assert.equal(res.status, 200, `dockerd's pprof endpoint: ${res.text.slice(0, 200)}`);
    return res.text.split('\n\n').filter((g) => g.includes('session.(*Manager).handleConn')).length;
  }

  async function noPlugins(): Promise<void> {
    const res = await api('GET', '/plugins');
    assert.deepEqual(res.json, [], res.text);
  }

  // ------------------------------------------------------------ the table

  const cases: Case[] = [];
  /** exec instances the cases' setup created, by case object name */
  const execIds = new Map<string, string>();
  const add = (c: Case): void => void cases.push(c);

  /** ContainerCreate with `patch` in HostConfig, refused by `rule`; no container appears. */
  const createDenied = (name: string, patch: Record<string, unknown> | ((f: Fixtures) => Record<string, unknown>), rule: string): void =>
    add({
      name: `ContainerCreate ${name}`,
      request: (fx, o) => http('POST', createPath(o), hcBody(typeof patch === 'function' ? patch(fx) : patch)),
      expect: [deny(rule)],
      post: (_, o) => noContainer(o),
    });
  /** ContainerCreate with a body written as text. */
  const createRawDenied = (name: string, body: string | ((f: Fixtures) => string), rule: string, status = 403): void =>
    add({
      name: `ContainerCreate ${name}`,
      request: (fx, o) => http('POST', createPath(o), typeof body === 'function' ? body(fx) : body),
      expect: [deny(rule, status)],
      post: (_, o) => noContainer(o),
    });

  // Privileged and capabilities.
  createDenied('Privileged: true', { Privileged: true }, R.privileged);
  for (const cap of ['ALL', 'all', 'CAP_SYS_ADMIN', 'sys_admin', 'SYS_ADMIN', 'cap_sys_admin', 'NET_ADMIN', 'SYS_PTRACE', 'NET_BIND_SERVICE']) {
    createDenied(`CapAdd [${cap}]`, { CapAdd: [cap] }, R.capAdd);
  }
  createDenied('CapAdd [CHOWN, ALL] (the bad one second)', { CapAdd: ['CHOWN', 'ALL'] }, R.capAdd);

  // Devices.
  createDenied('Devices /dev/sda', { Devices: [{ PathOnHost: '/dev/sda', PathInContainer: '/dev/sda', CgroupPermissions: 'rwm' }] }, R.device);
  createDenied('Devices /dev/null (any host device)', { Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'rwm' }] }, R.device);
  createDenied('DeviceCgroupRules a *:* rwm', { DeviceCgroupRules: ['a *:* rwm'] }, R.device);
  createDenied('DeviceRequests gpu', { DeviceRequests: [{ Driver: '', Count: -1, Capabilities: [['gpu']] }] }, R.device);
  createDenied('DeviceRequests nvidia', { DeviceRequests: [{ Driver: 'nvidia', Count: 1 }] }, R.device);

  // Namespaces.
  for (const mode of ['PidMode', 'IpcMode', 'NetworkMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode']) {
    createDenied(`${mode}: host`, { [mode]: 'host' }, R.namespace);
  }
  for (const mode of ['PidMode', 'IpcMode', 'NetworkMode']) {
    createDenied(`${mode}: container:<privileged container by id>`, (fx) => ({ [mode]: `container:${fx.privId}` }), R.namespace);
  }
  createDenied('PidMode: container:<privileged container by name>', (fx) => ({ PidMode: `container:${fx.priv}` }), R.namespace);
  createDenied('IpcMode: container:<container with / bound, by short id>', (fx) => ({ IpcMode: `container:${fx.rootId.slice(0, 12)}` }), R.namespace);
  createDenied('Cgroup: container:<privileged container>', (fx) => ({ Cgroup: `container:${fx.priv}` }), R.cgroup);
  createDenied('Cgroup: host', { Cgroup: 'host' }, R.cgroup);
  createDenied('CgroupParent: /', { CgroupParent: '/' }, R.cgroup);
  createDenied('CgroupParent: system.slice', { CgroupParent: 'system.slice' }, R.cgroup);

  // Security options.
  for (const opt of [
    'seccomp=unconfined',
    'seccomp:unconfined',
    'apparmor=unconfined',
    'apparmor:unconfined',
    'label=disable',
    'label:disable',
    'label=type:spc_t',
    `seccomp=${JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' })}`,
  ]) {
    createDenied(`SecurityOpt [${opt.length > 40 ? 'seccomp=<inline profile allowing everything>' : opt}]`, { SecurityOpt: [opt] }, R.securityOpt);
  }
  createDenied('SecurityOpt [systempaths=unconfined]', { SecurityOpt: ['systempaths=unconfined'] }, R.maskedPaths);
  createDenied('SecurityOpt [no-new-privileges, seccomp=unconfined] (the bad one second)', { SecurityOpt: ['no-new-privileges', 'seccomp=unconfined'] }, R.securityOpt);
  createDenied('Capabilities (1.40 field replacing the whole set)', { Capabilities: ['CAP_SYS_ADMIN', 'CAP_CHOWN'] }, R.capAdd);
  createDenied('MaskedPaths: []', { MaskedPaths: [] }, R.maskedPaths);
  createDenied('ReadonlyPaths: []', { ReadonlyPaths: [] }, R.maskedPaths);
  createDenied('Runtime: sysbox-runc', { Runtime: 'sysbox-runc' }, R.runtime);
  createDenied('Sysctls kernel.shm_rmid_forced', { Sysctls: { 'kernel.shm_rmid_forced': '1' } }, R.sysctl);
  createDenied('Sysctls net.ipv4.ip_forward', { Sysctls: { 'net.ipv4.ip_forward': '1' } }, R.sysctl);
  createDenied('VolumesFrom a container with / bound', (fx) => ({ VolumesFrom: [fx.root] }), R.volumesFrom);
  createDenied('VolumesFrom a container with / bound, :ro', (fx) => ({ VolumesFrom: [`${fx.root}:ro`] }), R.volumesFrom);
  createDenied('VolumesFrom a container with / bound, by id', (fx) => ({ VolumesFrom: [fx.rootId] }), R.volumesFrom);
  createDenied('VolumeDriver: evil', { VolumeDriver: 'evil' }, R.volumeDriver);
  createDenied('OomKillDisable: true', { OomKillDisable: true }, R.oomKillDisable);

  // Published ports.
  const port = (hostIp?: string): Record<string, unknown> => ({ PortBindings: { '80/tcp': [hostIp === undefined ? { HostPort: '0' } : { HostIp: hostIp, HostPort: '0' }] } });
  createDenied('PortBindings HostIp 0.0.0.0', port('0.0.0.0'), R.port);
  createDenied('PortBindings HostIp "" (every interface)', port(''), R.port);
  createDenied('PortBindings without HostIp', port(), R.port);
  createDenied('PortBindings HostIp ::', port('::'), R.port);
  createDenied('PortBindings HostIp ::ffff:0.0.0.0', port('::ffff:0.0.0.0'), R.port);
  createDenied('PortBindings 127.0.0.1 then 0.0.0.0', { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '0' }, { HostIp: '0.0.0.0', HostPort: '0' }] } }, R.port);
  createDenied('PublishAllPorts: true', { PublishAllPorts: true }, R.port);
  createDenied('LogConfig syslog', { LogConfig: { Type: 'syslog', Config: {} } }, R.logDriver);
  createDenied('LogConfig gelf', { LogConfig: { Type: 'gelf', Config: { 'gelf-address': 'udp://127.0.0.1:1' } } }, R.logDriver);

  // Bind mounts, in every form dockerd accepts.
  for (const bind of ['/:/host', '/tmp/../:/host', '/etc:/x:ro', '//:/host', '/var/run/docker.sock:/docker.sock', '/proc/1/root:/h', '/:/host:rw,rshared']) {
    createDenied(`Binds [${bind}]`, { Binds: [bind] }, R.bind);
  }
  createDenied('Mounts bind Source /', { Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] }, R.bind);
  createDenied('Mounts bind Source / ReadOnly', { Mounts: [{ Type: 'bind', Source: '/', Target: '/host', ReadOnly: true }] }, R.bind);
  createDenied('Mounts bind Source /tmp/..', { Mounts: [{ Type: 'bind', Source: '/tmp/..', Target: '/host' }] }, R.bind);
  createDenied(
    'Mounts volume DriverConfig type=none,o=bind,device=/',
    { Mounts: [{ Type: 'volume', Source: `${PFX}-bindvol`, Target: '/v', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/' } } } }] },
    R.volumeOptions,
  );
  createDenied(
    'Mounts volume DriverConfig without a driver name, o=rbind',
    { Mounts: [{ Type: 'volume', Target: '/v', VolumeOptions: { DriverConfig: { Options: { type: 'none', o: 'rbind', device: '/etc' } } } }] },
    R.volumeOptions,
  );
  createDenied('Mounts tmpfs over 1 GiB', { Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 2 * 1024 ** 3 } }] }, R.tmpfs);
  createDenied('Mounts type npipe', { Mounts: [{ Type: 'npipe', Source: '/', Target: '/h' }] }, R.mountType);
  createDenied('Tmpfs size=2g', { Tmpfs: { '/t': 'size=2g' } }, R.tmpfs);
  createDenied('Tmpfs size=1025m', { Tmpfs: { '/t': 'rw,size=1025m' } }, R.tmpfs);
  createDenied('Tmpfs size twice, the big one last', { Tmpfs: { '/t': 'size=1m,size=4g' } }, R.tmpfs);
  createDenied('Annotations', { Annotations: { 'io.kubernetes.cri.container-type': 'sandbox' } }, R.annotations);

  // Legacy top-level HostConfig fields (dockerd still reads them when HostConfig is absent or null).
  createRawDenied('legacy top-level Privileged, no HostConfig', JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Privileged: true, NetworkMode: 'none' }), R.legacy);
  createRawDenied('legacy top-level Privileged, empty HostConfig', JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Privileged: true, HostConfig: {} }), R.legacy);
  createRawDenied('legacy top-level Privileged, HostConfig null', JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Privileged: true, HostConfig: null }), R.legacy);
  createRawDenied('legacy top-level privileged (folded)', JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], privileged: true }), R.legacy);
  createRawDenied('legacy top-level Binds /:/host', JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Binds: ['/:/host'], NetworkMode: 'none' }), R.legacy);
  createRawDenied('legacy top-level CapAdd ALL next to a HostConfig', JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], CapAdd: ['ALL'], HostConfig: { NetworkMode: 'none' } }), R.legacy);
  createRawDenied('legacy top-level Memory (harmless field, still the legacy shape)', JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Memory: 1 << 26, HostConfig: { NetworkMode: 'none' } }), R.legacy);

  // Key spellings: Go matches struct fields case-insensitively with Unicode simple folding.
  createRawDenied('HostConfig.privileged', rawHc('"privileged":true'), R.privileged);
  createRawDenied('HostConfig.PRIVILEGED', rawHc('"PRIVILEGED":true'), R.privileged);
  createRawDenied('hostconfig.Privileged', rawHc('"Privileged":true', '"hostconfig"'), R.privileged);
  createRawDenied('HOSTCONFIG.pRiViLeGeD', rawHc('"pRiViLeGeD":true', '"HOSTCONFIG"'), R.privileged);
  createRawDenied('Pri\\u0076ileged (escaped key)', rawHc('"Pri\\u0076ileged":true'), R.privileged);
  createRawDenied('\\u0050\\u0072ivileged (escaped key)', rawHc('"\\u0050\\u0072ivileged":true'), R.privileged);
  createRawDenied('H\\u006fstConfig (escaped outer key)', rawHc('"Privileged":true', '"H\\u006fstConfig"'), R.privileged);
  createRawDenied('Hoſtconfig (U+017F folds to s)', rawHc('"Privileged":true', '"Hoſtconfig"'), R.privileged);
  createRawDenied('Ho\\u017ftConfig (escaped U+017F)', rawHc('"Privileged":true', '"Ho\\u017ftConfig"'), R.privileged);
  createRawDenied('ſecurityOpt seccomp=unconfined', rawHc('"ſecurityOpt":["seccomp=unconfined"]'), R.securityOpt);
  createRawDenied('\\u017FecurityOpt apparmor=unconfined', rawHc('"\\u017FecurityOpt":["apparmor=unconfined"]'), R.securityOpt);
  createRawDenied('Bindſ /:/host', rawHc('"Bindſ":["/:/host"]'), R.bind);
  createRawDenied('BINDſ /:/host', rawHc('"BINDſ":["/:/host"]'), R.bind);
  createRawDenied('Mountſ bind /', rawHc('"Mountſ":[{"Type":"bind","Source":"/","Target":"/h"}]'), R.bind);
  createRawDenied('Mounts[].ſource / (folded key inside a mount)', rawHc('"Mounts":[{"Type":"bind","ſource":"/","Target":"/h"}]'), R.bind);
  createRawDenied('MaſkedPaths []', rawHc('"MaſkedPaths":[]'), R.maskedPaths);
  createRawDenied('MasKedPaths [] (U+212A Kelvin sign folds to k)', rawHc('"Mas\u212AedPaths":[]'), R.maskedPaths);
  createRawDenied('Mas\\u212AedPaths [] (escaped Kelvin sign)', rawHc('"Mas\\u212AedPaths":[]'), R.maskedPaths);
  createRawDenied('Deviceſ /dev/sda', rawHc('"Deviceſ":[{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda","CgroupPermissions":"rwm"}]'), R.device);
  createRawDenied('ſysctls', rawHc('"ſysctls":{"kernel.shm_rmid_forced":"1"}'), R.sysctl);
  createRawDenied('UTſMode host', rawHc('"UTſMode":"host"'), R.namespace);
  createRawDenied('capadd [ALL]', rawHc('"capadd":["ALL"]'), R.capAdd);
  createRawDenied('CAPADD [ALL]', rawHc('"CAPADD":["ALL"]'), R.capAdd);
  createRawDenied('pidmode host', rawHc('"pidmode":"host"'), R.namespace);
  createRawDenied('Networkmode host (replacing none through folding)', `{"Image":"${BUSYBOX_IMAGE}","HostConfig":{"Networkmode":"host"}}`, R.namespace);

  createDenied('NetworkMode: the host network by id', (fx) => ({ NetworkMode: fx.hostNetId }), R.namespace);
  createDenied('NetworkMode: the host network by id prefix', (fx) => ({ NetworkMode: fx.hostNetId.slice(0, 12) }), R.namespace);
  createDenied('NetworkMode: HOST', { NetworkMode: 'HOST' }, R.namespace);
  add({
    name: 'ContainerCreate NetworkingConfig endpoint on the host network',
    request: (_, o) => http('POST', createPath(o), JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], NetworkingConfig: { EndpointsConfig: { host: {} } } })),
    expect: [deny(R.namespace)],
    post: (_, o) => noContainer(o),
  });
  createRawDenied(
    'Mounts volume with folded driverconfig/options keys, o=bind',
    rawHc('"Mounts":[{"type":"volume","target":"/v","volumeoptions":{"driverconfig":{"name":"local","options":{"type":"none","o":"bind","device":"/"}}}}]'),
    R.volumeOptions,
  );
  add({
    name: 'ContainerCreate with a __proto__ key holding Privileged (Go ignores unknown keys) is allowed and harmless',
    request: (_, o) => http('POST', createPath(o), rawHc('"__proto__":{"Privileged":true}')),
    expect: [{ daemon: 201 }],
    post: async (_, o) => void (await harmless(o)),
  });

  // Duplicates: refused whatever their order, exact or folded.
  createRawDenied('duplicate Privileged, true last', rawHc('"Privileged":false,"Privileged":true'), R.badJson);
  createRawDenied('duplicate Privileged, true first', rawHc('"Privileged":true,"Privileged":false'), R.badJson);
  createRawDenied('folded duplicate Privileged/privileged, true last', rawHc('"Privileged":false,"privileged":true'), R.badJson);
  createRawDenied('folded duplicate privileged/Privileged, true first', rawHc('"privileged":true,"Privileged":false'), R.badJson);
  createRawDenied('escaped duplicate Privileged/Pri\\u0076ileged', rawHc('"Privileged":false,"Pri\\u0076ileged":true'), R.badJson);
  createRawDenied('folded duplicate SecurityOpt/ſecurityOpt', rawHc('"SecurityOpt":[],"ſecurityOpt":["seccomp=unconfined"]'), R.badJson);
  createRawDenied('folded duplicate MaskedPaths/MasKedPaths', rawHc('"MasKedPaths":[],"MaskedPaths":null'.replace('MasKed', 'Mas\u212Aed')), R.badJson);
  createRawDenied(
    'duplicate HostConfig objects, dangerous last',
    `{"Image":"${BUSYBOX_IMAGE}","HostConfig":{"NetworkMode":"none"},"HostConfig":{"Privileged":true}}`,
    R.badJson,
  );
  createRawDenied(
    'folded duplicate HostConfig/hostConfig, dangerous first',
    `{"Image":"${BUSYBOX_IMAGE}","hostConfig":{"Binds":["/:/host"]},"HostConfig":{"NetworkMode":"none"}}`,
    R.badJson,
  );
  createRawDenied('duplicate Sysctls map key', rawHc('"Sysctls":{"net.ipv4.ip_forward":"0","net.ipv4.ip_forward":"1"}'), R.badJson);

  // Bodies dockerd reads differently from a plain JSON parser.
  createRawDenied('trailing second object with Privileged', hcBody({}) + '{"HostConfig":{"Privileged":true}}', R.badJson);
  createRawDenied('trailing garbage', hcBody({}) + ' x', R.badJson);
  createRawDenied('byte-order mark before the body', '\ufeff' + hcBody({ Privileged: true }), R.badJson);
  createRawDenied('unterminated body', hcBody({}).slice(0, -1), R.badJson);
  add({
    name: 'ContainerCreate Privileged: 1 (wrong type: refused by one side or the other)',
    request: (_, o) => http('POST', createPath(o), rawHc('"Privileged":1')),
    expect: [{ refused: true }],
    post: (_, o) => noContainer(o),
  });
  add({
    name: 'ContainerCreate Privileged: "true" (wrong type: refused by one side or the other)',
    request: (_, o) => http('POST', createPath(o), rawHc('"Privileged":"true"')),
    expect: [{ refused: true }],
    post: (_, o) => noContainer(o),
  });

  // Content-Type spellings: the body is checked whatever the header says.
  for (const ct of [null, 'APPLICATION/JSON', 'application/json; charset=utf-8', 'Application/Json;charset=UTF-8', 'text/plain', 'application/x-tar']) {
    add({
      name: `ContainerCreate Privileged with Content-Type ${ct === null ? '(none)' : JSON.stringify(ct)}`,
      request: (_, o) => http('POST', createPath(o), hcBody({ Privileged: true }), { 'Content-Type': ct }),
      expect: [deny(R.privileged)],
      post: (_, o) => noContainer(o),
    });
  }
  for (const ct of ['APPLICATION/JSON', 'application/json; charset=utf-8']) {
    add({
      name: `ContainerCreate harmless with Content-Type ${JSON.stringify(ct)} is allowed`,
      request: (_, o) => http('POST', createPath(o), hcBody({}), { 'Content-Type': ct }),
      expect: [{ daemon: 201 }],
      post: async (_, o) => void (await harmless(o)),
    });
  }
  add({
    name: 'ContainerCreate harmless with trailing whitespace is allowed (Go ignores it)',
    request: (_, o) => http('POST', createPath(o), hcBody({}) + ' \n'),
    expect: [{ daemon: 201 }],
    post: async (_, o) => void (await harmless(o)),
  });

  // Paths and versions: every spelling dockerd routes to ContainerCreate is checked the same.
  for (const [label, path] of [
    ['%2f in the path', (o: string) => `/v1.41/containers%2fcreate?name=${o}`],
    ['%2F in the path', (o: string) => `/v1.41/containers%2Fcreate?name=${o}`],
    ['%63ontainers', (o: string) => `/v1.41/%63ontainers/create?name=${o}`],
    ['%-encoded name parameter', (o: string) => `/v1.41/containers/create?%6eame=${o}`],
    ['/v1.41.0/', (o: string) => createPath(o, '/v1.41.0')],
    ['/v01.041/', (o: string) => createPath(o, '/v01.041')],
    ['no version prefix', (o: string) => createPath(o, '')],
    ['/v1.24/ (the floor)', (o: string) => createPath(o, '/v1.24')],
  ] as const) {
    add({
      name: `ContainerCreate Privileged via ${label}`,
      request: (_, o) => http('POST', path(o), hcBody({ Privileged: true })),
      expect: [deny(R.privileged)],
      post: (_, o) => noContainer(o),
    });
  }
  for (const version of ['/v1.23', '/v1.12', '/v1', '/v1.23.99']) {
    add({
      name: `ContainerCreate via ${version}/ (below the floor)`,
      request: (_, o) => http('POST', createPath(o, version), hcBody({ Privileged: true })),
      expect: [deny(R.version)],
      post: (_, o) => noContainer(o),
    });
  }
  add({
    name: 'ContainerStart /v1.23/ with a HostConfig body binding / (dockerd < 1.24 applies it)',
    setup: async (o) => void (await daemonCreate(o, {})),
    request: (_, o) => http('POST', `/v1.23/containers/${o}/start`, JSON.stringify({ Binds: ['/:/host'], Privileged: true })),
    expect: [deny(R.version)],
    post: async (_, o) => {
      await neverStarted(o);
      await harmless(o);
    },
  });
  add({
    name: 'ContainerStart /v1.41/ with a HostConfig body (dockerd refuses bodies on start since 1.24)',
    setup: async (o) => void (await daemonCreate(o, {})),
    request: (_, o) => http('POST', `/v1.41/containers/${o}/start`, JSON.stringify({ Binds: ['/:/host'], Privileged: true })),
    expect: [{ refused: true }],
    post: async (_, o) => {
      await neverStarted(o);
      await harmless(o);
    },
  });

  // Framing.
  add({
    name: 'chunked body, Privileged in a later chunk',
    request: (_, o) => chunked('POST', createPath(o), [`{"Image":"${BUSYBOX_IMAGE}","Cmd":["true"],`, '"HostConfig":{"NetworkMode":"none",', '"Privileged":true}}']),
    expect: [deny(R.privileged)],
    post: (_, o) => noContainer(o),
  });
  add({
    name: 'chunked body, the key split across chunks',
    request: (_, o) => chunked('POST', createPath(o), [`{"Image":"${BUSYBOX_IMAGE}","HostConfig":{"Bi`, 'nds":["/:/h', 'ost"]}}']),
    expect: [deny(R.bind)],
    post: (_, o) => noContainer(o),
  });
  add({
    name: 'chunked body in one-byte chunks with a folded key',
    request: (_, o) => chunked('POST', createPath(o), [...rawHc('"capadd":["ALL"]')]),
    expect: [deny(R.capAdd)],
    post: (_, o) => noContainer(o),
  });
  add({
    name: 'chunked harmless body is allowed and re-framed',
    request: (_, o) => chunked('POST', createPath(o), [hcBody({}).slice(0, 20), hcBody({}).slice(20)]),
    expect: [{ daemon: 201 }],
    post: async (_, o) => void (await harmless(o)),
  });
  add({
    name: 'Content-Length and Transfer-Encoding together (smuggling shape)',
    request: (_, o) => {
      const smuggled = http('POST', createPath(`${o}-b`), hcBody({ Privileged: true })).toString('latin1');
      const body = `0\r\n\r\n${smuggled}`;
      return `POST ${createPath(o)} HTTP/1.1\r\nHost: portcullis\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`;
    },
    expect: [deny(R.framing, 400)],
    post: async (_, o) => {
      await noContainer(o);
      await noContainer(`${o}-b`);
    },
  });
  add({
    name: 'Transfer-Encoding: chunked, identity',
    request: (_, o) => {
      const body = hcBody({ Privileged: true });
      return `POST ${createPath(o)} HTTP/1.1\r\nHost: portcullis\r\nTransfer-Encoding: chunked, identity\r\nContent-Type: application/json\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    },
    expect: [deny(R.framing, 400)],
    post: (_, o) => noContainer(o),
  });
  add({
    name: 'two Content-Length headers',
    request: (_, o) => {
      const body = hcBody({ Privileged: true });
      return `POST ${createPath(o)} HTTP/1.1\r\nHost: portcullis\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    },
    expect: [deny(R.framing, 400)],
    post: (_, o) => noContainer(o),
  });
  add({
    name: 'obs-fold in the head',
    request: (_, o) => {
      const body = hcBody({ Privileged: true });
      return `POST ${createPath(o)} HTTP/1.1\r\nHost: portcullis\r\nContent-Type: application/json\r\n x-folded: yes\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    },
    expect: [deny(R.framing, 400)],
    post: (_, o) => noContainer(o),
  });
  add({
    name: 'bare LF line endings',
    request: (_, o) => {
      const body = hcBody({ Privileged: true });
      return `POST ${createPath(o)} HTTP/1.1\nHost: portcullis\nContent-Type: application/json\nContent-Length: ${body.length}\n\n${body}`;
    },
    expect: [deny(R.framing, 400)],
    post: (_, o) => noContainer(o),
  });
  add({
    name: 'HTTP/1.0 with a body',
    request: (_, o) => {
      const body = hcBody({ Privileged: true });
      return `POST ${createPath(o)} HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    },
    expect: [deny(R.framing, 400)],
    post: (_, o) => noContainer(o),
  });
  add({
    name: 'Content-Length: 0 followed by a privileged body (CVE-2024-41110 shape)',
    halfClose: true,
    request: (_, o) => {
      const body = hcBody({ Privileged: true });
      return `POST ${createPath(o)} HTTP/1.1\r\nHost: portcullis\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n${body}`;
    },
    expect: [{ refused: true }],
    post: (_, o) => noContainer(o),
  });
  add({
    name: 'Content-Length: 0 create with a whole privileged create smuggled behind it',
    request: (_, o) =>
      `POST ${createPath(o)} HTTP/1.1\r\nHost: portcullis\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n` +
      http('POST', createPath(`${o}-b`), hcBody({ Privileged: true })).toString('latin1'),
    expect: [{ refused: true }],
    post: async (_, o) => {
      await noContainer(o);
      await noContainer(`${o}-b`);
    },
  });
  add({
    name: 'pipelined: a harmless create, then a privileged one, then a bind of /',
    request: (_, o) =>
      Buffer.concat([
        http('POST', createPath(`${o}-a`), hcBody({}), { Connection: null }),
        http('POST', createPath(`${o}-b`), hcBody({ Privileged: true }), { Connection: null }),
        http('POST', createPath(`${o}-c`), hcBody({ Binds: ['/:/host'] })),
      ]),
    expect: [{ daemon: 201 }, deny(R.privileged), deny(R.bind)],
    post: async (_, o) => {
      await harmless(`${o}-a`);
      await noContainer(`${o}-b`);
      await noContainer(`${o}-c`);
    },
  });
  add({
    name: 'pipelined: a body shorter than its Content-Length swallows the next request into JSON that is refused',
    request: (_, o) => {
      const next = http('POST', createPath(`${o}-b`), hcBody({ Privileged: true })).toString('latin1');
      const first = hcBody({});
      return `POST ${createPath(o)} HTTP/1.1\r\nHost: portcullis\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${first.length + next.length}\r\n\r\n${first}${next}`;
    },
    expect: [deny(R.badJson)],
    post: async (_, o) => {
      await noContainer(o);
      await noContainer(`${o}-b`);
    },
  });
  const big = (dangerousLast: Record<string, unknown>): string => {
    const padding: Record<string, string> = {};
    for (let i = 0; i < 1100; i++) padding[`pc.pad.${i}`] = 'x'.repeat(1000);
    return JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Labels: padding, HostConfig: { NetworkMode: 'none', ...dangerousLast } });
  };
  add({
    name: 'over 1 MiB with Content-Length, Privileged last',
    request: (_, o) => http('POST', createPath(o), big({ Privileged: true })),
    expect: [deny(R.tooLarge, 413)],
    post: (_, o) => noContainer(o),
  });
  add({
    name: 'over 1 MiB chunked, Binds / last',
    request: (_, o) => {
      const b = big({ Binds: ['/:/host'] });
      const chunks: string[] = [];
      for (let i = 0; i < b.length; i += 64 * 1024) chunks.push(b.slice(i, i + 64 * 1024));
      return chunked('POST', createPath(o), chunks);
    },
    expect: [deny(R.tooLarge, 413)],
    post: (_, o) => noContainer(o),
  });

  // Form bodies: Go would merge them into the query dockerd reads.
  add({
    name: 'ImageBuild with a form body networkmode=host',
    request: (_, o) => http('POST', `/v1.41/build?t=${o}:1`, 'networkmode=host', { 'Content-Type': 'application/x-www-form-urlencoded' }),
    expect: [deny(R.form)],
    post: (_, o) => noImage(o),
  });
  add({
    name: 'ImageBuild with a form body, Content-Type in mixed case',
    request: (_, o) => http('POST', `/v1.41/build?t=${o}:1`, 'networkmode=host', { 'Content-Type': 'Application/X-WWW-Form-Urlencoded; charset=utf-8' }),
    expect: [deny(R.form)],
    post: (_, o) => noImage(o),
  });
  add({
    name: 'ImageBuild with a multipart body',
    request: (_, o) =>
      http('POST', `/v1.41/build?t=${o}:1`, '--b\r\nContent-Disposition: form-data; name="networkmode"\r\n\r\nhost\r\n--b--\r\n', { 'Content-Type': 'multipart/form-data; boundary=b' }),
    expect: [deny(R.form)],
    post: (_, o) => noImage(o),
  });
  add({
    name: 'ContainerCreate with a form body',
    request: (_, o) => http('POST', createPath(o), 'name=other', { 'Content-Type': 'application/x-www-form-urlencoded' }),
    expect: [deny(R.form)],
    post: (_, o) => noContainer(o),
  });

  // Build options.
  for (const [label, query] of [
    ['networkmode=host', '&networkmode=host'],
    ['networkmode=default&networkmode=host', '&networkmode=default&networkmode=host'],
    ['networkmode=container:<privileged>', `&networkmode=container:${PFX}-fx-priv`],
    ['remote=http://127.0.0.1:1/ctx.tar', '&remote=http%3A%2F%2F127.0.0.1%3A1%2Fctx.tar'],
    ['cgroupparent=/', '&cgroupparent=%2F'],
    ['extrahosts', '&extrahosts=evil%3A127.0.0.1'],
    ['ulimits', '&ulimits=%5B%7B%22Name%22%3A%22nofile%22%2C%22Soft%22%3A1048576%2C%22Hard%22%3A1048576%7D%5D'],
  ] as const) {
    add({
      name: `ImageBuild ${label}`,
      request: (_, o) => build(o, query),
      expect: [deny(R.build)],
      post: (_, o) => noImage(o),
    });
  }

  // Volumes and networks.
  const volumeDenied = (label: string, body: (o: string) => unknown, rule: string): void =>
    add({
      name: `VolumeCreate ${label}`,
      request: (_, o) => http('POST', '/v1.41/volumes/create', JSON.stringify(body(o))),
      expect: [deny(rule)],
      post: (_, o) => noVolume(o),
    });
  volumeDenied('local o=bind device=/', (o) => ({ Name: o, Driver: 'local', DriverOpts: { type: 'none', o: 'bind', device: '/' } }), R.volumeOptions);
  volumeDenied('local o=rbind,ro device=/etc', (o) => ({ Name: o, DriverOpts: { type: 'none', o: 'rbind,ro', device: '/etc' } }), R.volumeOptions);
  volumeDenied('local type=ext4 device=/dev/sda', (o) => ({ Name: o, DriverOpts: { type: 'ext4', device: '/dev/sda' } }), R.volumeOptions);
  add({
    name: 'VolumeCreate driveropts (folded key) o=bind',
    request: (_, o) => http('POST', '/v1.41/volumes/create', `{"Name":"${o}","driveropts":{"type":"none","o":"bind","device":"/"}}`),
    expect: [deny(R.volumeOptions)],
    post: (_, o) => noVolume(o),
  });
  volumeDenied('driver evil', (o) => ({ Name: o, Driver: 'evil' }), R.volumeDriver);

  const networkDenied = (label: string, body: (o: string) => unknown): void =>
    add({
      name: `NetworkCreate ${label}`,
      request: (_, o) => http('POST', '/v1.41/networks/create', JSON.stringify(body(o))),
      expect: [deny(R.network)],
      post: (_, o) => noNetwork(o),
    });
  networkDenied('macvlan parent=lo', (o) => ({ Name: o, Driver: 'macvlan', Options: { parent: 'lo' } }));
  networkDenied('ipvlan parent=lo', (o) => ({ Name: o, Driver: 'ipvlan', Options: { parent: 'lo' } }));
  networkDenied('bridge with option parent', (o) => ({ Name: o, Driver: 'bridge', Options: { parent: 'lo' } }));
  networkDenied('bridge named after a host interface', (o) => ({ Name: o, Options: { 'com.docker.network.bridge.name': 'lo' } }));
  networkDenied('ConfigFrom', (o) => ({ Name: o, ConfigFrom: { Network: 'cfg' } }));

  // Exec.
  add({
    name: 'ContainerExec Privileged: true',
    request: (fx) => http('POST', `/v1.41/containers/${fx.plain}/exec`, JSON.stringify({ Cmd: ['id'], Privileged: true })),
    expect: [deny(R.execPrivileged)],
    post: () => noExec(),
  });
  add({
    name: 'ContainerExec privileged (folded key)',
    request: (fx) => http('POST', `/v1.41/containers/${fx.plain}/exec`, `{"Cmd":["id"],"pRIVILEGED":true}`),
    expect: [deny(R.execPrivileged)],
    post: () => noExec(),
  });
  add({
    name: 'ContainerExec duplicate Privileged',
    request: (fx) => http('POST', `/v1.41/containers/${fx.plain}/exec`, `{"Cmd":["id"],"Privileged":true,"Privileged":false}`),
    expect: [deny(R.badJson)],
    post: () => noExec(),
  });
  add({
    name: 'ContainerExec into a privileged container',
    request: (fx) => http('POST', `/v1.41/containers/${fx.priv}/exec`, JSON.stringify({ Cmd: ['id'] })),
    expect: [deny(R.execUnsafe)],
    post: async (fx) => {
      const res = await api('GET', `/containers/${fx.priv}/json`);
      assert.ok(res.json.ExecIDs === null || res.json.ExecIDs.length === 0, JSON.stringify(res.json.ExecIDs));
    },
  });

  add({
    name: 'ContainerExec into a container with / bound',
    request: (fx) => http('POST', `/v1.41/containers/${fx.root}/exec`, JSON.stringify({ Cmd: ['id'] })),
    expect: [deny(R.execUnsafe)],
    post: async (fx) => {
      const res = await api('GET', `/containers/${fx.root}/json`);
      assert.ok(res.json.ExecIDs === null || res.json.ExecIDs.length === 0, JSON.stringify(res.json.ExecIDs));
    },
  });

  // ContainerUpdate: the resources of an existing container.
  const updateDenied = (label: string, body: Record<string, unknown>, rule: string, field: string): void =>
    add({
      name: `ContainerUpdate ${label}`,
      request: (fx) => http('POST', `/v1.41/containers/${fx.plain}/update`, JSON.stringify(body)),
      expect: [deny(rule)],
      post: async (fx) => {
        const res = await api('GET', `/containers/${fx.plain}/json`);
        const v = res.json.HostConfig[field];
        assert.ok(v === false || v === null || v === '' || (Array.isArray(v) && v.length === 0), `${field} is ${JSON.stringify(v)}`);
      },
    });
  updateDenied('OomKillDisable: true', { OomKillDisable: true }, R.oomKillDisable, 'OomKillDisable');
  updateDenied('Devices', { Devices: [{ PathOnHost: '/dev/sda', PathInContainer: '/dev/sda', CgroupPermissions: 'rwm' }] }, R.device, 'Devices');
  updateDenied('DeviceCgroupRules (folded key)', { devicecgrouprules: ['a *:* rwm'] }, R.device, 'DeviceCgroupRules');

  // A volume created on the daemon with the local driver's bind options is a host path in disguise.
  add({
    name: 'ContainerCreate Binds naming a bind-type volume created directly on the daemon',
    setup: async (o) => {
      const vol = await api('POST', '/volumes/create', { Name: `${o}-v`, DriverOpts: { type: 'none', o: 'bind', device: '/' } });
      assert.equal(vol.status, 201, vol.text);
    },
    request: (_, o) => http('POST', createPath(o), hcBody({ Binds: [`${o}-v:/host`] })),
    expect: [deny(R.volumeOptions)],
    post: (_, o) => noContainer(o),
  });
  add({
    name: 'ContainerCreate Mounts volume naming a bind-type volume created directly on the daemon',
    setup: async (o) => {
      const vol = await api('POST', '/volumes/create', { Name: `${o}-v`, DriverOpts: { type: 'none', o: 'bind', device: '/etc' } });
      assert.equal(vol.status, 201, vol.text);
    },
    request: (_, o) => http('POST', createPath(o), hcBody({ Mounts: [{ Type: 'volume', Source: `${o}-v`, Target: '/host' }] })),
    expect: [deny(R.volumeOptions)],
    post: (_, o) => noContainer(o),
  });

  // Start, restart and unpause of containers created unsafely directly on the daemon.
  const startDenied = (label: string, path: (fx: Fixtures) => string, target: (fx: Fixtures) => string): void =>
    add({
      name: label,
      request: (fx) => http('POST', path(fx)),
      expect: [deny(R.start)],
      post: (fx) => neverStarted(target(fx)),
    });
  startDenied('ContainerStart of a privileged container', (fx) => `/v1.41/containers/${fx.priv}/start`, (fx) => fx.priv);
  startDenied('ContainerStart of a privileged container by id prefix', (fx) => `/v1.41/containers/${fx.privId.slice(0, 10)}/start`, (fx) => fx.priv);
  startDenied('ContainerStart of a privileged container by full id, no version', (fx) => `/containers/${fx.privId}/start`, (fx) => fx.priv);
  startDenied('ContainerRestart of a privileged container', (fx) => `/v1.41/containers/${fx.priv}/restart?t=0`, (fx) => fx.priv);
  startDenied('ContainerUnpause of a privileged container', (fx) => `/v1.41/containers/${fx.priv}/unpause`, (fx) => fx.priv);
  startDenied('ContainerStart of a container with / bound', (fx) => `/v1.41/containers/${fx.root}/start`, (fx) => fx.root);
  startDenied('ContainerRestart of a container with / bound', (fx) => `/v1.41/containers/${fx.rootId}/restart`, (fx) => fx.root);
  startDenied('ContainerStart of a container with CapAdd ALL', (fx) => `/v1.41/containers/${fx.caps}/start`, (fx) => fx.caps);
  startDenied('ContainerStart of a container with seccomp=unconfined', (fx) => `/v1.41/containers/${fx.unconfined}/start`, (fx) => fx.unconfined);
  add({
    name: 'ContainerStart of a container sharing the privileged container\'s PID namespace',
    setup: async (o) => void (await daemonCreate(o, { PidMode: `container:${f.priv}` })),
    request: (_, o) => http('POST', `/v1.41/containers/${o}/start`),
    expect: [deny(R.start)],
    post: (_, o) => neverStarted(o),
  });
  add({
    name: 'ContainerStart of a container with a bind-type volume created on the daemon',
    setup: async (o) => {
      const vol = await api('POST', '/volumes/create', { Name: `${o}-v`, DriverOpts: { type: 'none', o: 'bind', device: '/' } });
      assert.equal(vol.status, 201, vol.text);
      await daemonCreate(o, { Binds: [`${o}-v:/host`] });
    },
    request: (_, o) => http('POST', `/v1.41/containers/${o}/start`),
    expect: [deny(R.start)],
    post: (_, o) => neverStarted(o),
  });

  startDenied('ContainerStart of a privileged container with a checkpoint query', (fx) => `/v1.41/containers/${fx.priv}/start?checkpoint=x`, (fx) => fx.priv);
  add({
    name: 'ContainerStart of a privileged container with an empty chunked body',
    request: (fx) => `POST /v1.41/containers/${fx.priv}/start HTTP/1.1\r\nHost: portcullis\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    expect: [deny(R.start)],
    post: (fx) => neverStarted(fx.priv),
  });
  add({
    name: 'ContainerStart of a privileged container named with an encoded leading slash',
    request: (fx) => http('POST', `/v1.41/containers/%2F${fx.priv}/start`),
    expect: [deny('PC_BAD_PATH')],
    post: (fx) => neverStarted(fx.priv),
  });
  add({
    name: 'ContainerRestart of a privileged container via /Containers/ (dockerd routes case-sensitively)',
    request: (fx) => http('POST', `/v1.41/Containers/${fx.priv}/restart`),
    expect: [deny('PC_UNKNOWN_ENDPOINT')],
    post: (fx) => neverStarted(fx.priv),
  });

  // Whole API families the profile leaves out.
  const familyDenied = (label: string, method: string, path: string, body: string | undefined, post: () => Promise<void>): void =>
    add({ name: label, request: () => http(method, path, body), expect: [deny(R.notAllowed)], post });
  familyDenied('PluginPull', 'POST', '/v1.41/plugins/pull?remote=evil%2Fplugin', '[]', noPlugins);
  familyDenied('PluginCreate', 'POST', '/v1.41/plugins/create?name=evil', undefined, noPlugins);
  familyDenied('PluginEnable', 'POST', '/v1.41/plugins/evil/enable', undefined, noPlugins);
  familyDenied('PluginSet', 'POST', '/v1.41/plugins/evil/set', '["DEBUG=1"]', noPlugins);
  familyDenied('SwarmInit', 'POST', '/v1.41/swarm/init', JSON.stringify({ ListenAddr: '127.0.0.1:2377' }), noSwarm);
  familyDenied('SwarmJoin', 'POST', '/v1.41/swarm/join', JSON.stringify({ RemoteAddrs: ['127.0.0.1:1'], JoinToken: 'x' }), noSwarm);
  familyDenied('ServiceCreate', 'POST', '/v1.41/services/create', JSON.stringify({ Name: 'x', TaskTemplate: { ContainerSpec: { Image: BUSYBOX_IMAGE } } }), noSwarm);
  familyDenied('NodeUpdate', 'POST', '/v1.41/nodes/x/update?version=1', '{}', noSwarm);
  familyDenied('SecretCreate', 'POST', '/v1.41/secrets/create', JSON.stringify({ Name: 'x', Data: 'eA==' }), noSwarm);
  familyDenied('SecretList', 'GET', '/v1.41/secrets', undefined, noSwarm);
  familyDenied('SecretInspect', 'GET', '/v1.41/secrets/x', undefined, noSwarm);
  familyDenied('ConfigCreate', 'POST', '/v1.41/configs/create', JSON.stringify({ Name: 'x', Data: 'eA==' }), noSwarm);
  familyDenied('ConfigList', 'GET', '/v1.41/configs', undefined, noSwarm);
  familyDenied('ConfigInspect', 'GET', '/v1.41/configs/x', undefined, noSwarm);
  add({
    name: 'BuildKit session (h2c upgrade on /session)',
    request: () => 'POST /v1.41/session HTTP/1.1\r\nHost: portcullis\r\nConnection: Upgrade, close\r\nUpgrade: h2c\r\nX-Docker-Expose-Session-Uuid: x\r\n\r\n',
    expect: [deny(R.notAllowed)],
    // Checked here once the connection is gone, and while one is held open by the test after the table.
    post: async () => assert.equal(await openSessions(), 0, 'dockerd is serving a BuildKit session'),
  });

  // Copying into or out of, and attaching to, containers created unsafely directly on the daemon:
  // dockerd copies through the container's mounts (even when it is stopped), so each is the host.
  const pwned = tar({ pwned: 'written through the proxy\n' });
  const putArchive = (ref: string, path: string, headers: Record<string, string | null> = {}): Buffer =>
    http('PUT', `/v1.41/containers/${ref}/archive?path=${encodeURIComponent(path)}`, pwned, { 'Content-Type': 'application/x-tar', ...headers });
  let caseStart = 0;
  const accessDenied = (label: string, request: (fx: Fixtures) => string | Buffer, container: (fx: Fixtures) => string, actions: string[], head = false): void =>
    add({
      name: label,
      setup: async () => void (caseStart = Date.now()),
      request: (fx) => request(fx),
      expect: [head ? { status: 403, headDenied: true } : deny(R.containerUnsafe)],
      head,
      post: async (fx) => {
        await hostDirEmpty();
        if (actions.length > 0) await noEvents(container(fx), actions, caseStart);
      },
    });
  accessDenied('PutContainerArchive into a running container with a host directory bound', (fx) => putArchive(fx.bound, '/host'), (fx) => fx.bound, ['extract-to-dir']);
  accessDenied('PutContainerArchive into a stopped container with / bound (dockerd mounts it for the copy)', (fx) => putArchive(fx.root, `/host${fx.hostDir}`), (fx) => fx.root, ['extract-to-dir']);
  accessDenied('PutContainerArchive by id prefix, chunked tar body', (fx) => chunked('PUT', `/v1.41/containers/${fx.boundId.slice(0, 12)}/archive?path=%2Fhost`, [pwned.subarray(0, 700).toString('latin1'), pwned.subarray(700).toString('latin1')], { 'Content-Type': 'application/x-tar' }), (fx) => fx.bound, ['extract-to-dir']);
  accessDenied('PutContainerArchive without a version prefix, noOverwriteDirNonDir', (fx) => http('PUT', `/containers/${fx.boundId}/archive?path=%2Fhost&noOverwriteDirNonDir=true`, pwned, { 'Content-Type': 'application/x-tar' }), (fx) => fx.bound, ['extract-to-dir']);
  accessDenied('ContainerArchive (cp out) of the host\'s /etc through a stopped container with / bound', (fx) => http('GET', `/v1.41/containers/${fx.root}/archive?path=%2Fhost%2Fetc`), (fx) => fx.root, ['archive-path']);
  accessDenied('ContainerArchive (cp out) of a bound host directory', (fx) => http('GET', `/v1.41/containers/${fx.bound}/archive?path=%2Fhost`), (fx) => fx.bound, ['archive-path']);
  accessDenied('ContainerArchiveInfo (HEAD) of a bound host path', (fx) => http('HEAD', `/v1.41/containers/${fx.bound}/archive?path=%2Fhost%2Fetc`), (fx) => fx.bound, [], true);
  accessDenied(
    'ContainerAttach (Upgrade: tcp) to a running container with a host directory bound',
    (fx) => http('POST', `/v1.41/containers/${fx.bound}/attach?stream=1&stdin=1&stdout=1&stderr=1`, undefined, { Connection: 'Upgrade, close', Upgrade: 'tcp' }),
    (fx) => fx.bound,
    ['attach'],
  );
  accessDenied('ContainerAttach without Upgrade (dockerd hijacks anyway)', (fx) => http('POST', `/v1.41/containers/${fx.boundId}/attach?stream=1&stdout=1`), (fx) => fx.bound, ['attach']);
  accessDenied('ContainerAttach to a privileged container', (fx) => http('POST', `/v1.41/containers/${fx.priv}/attach?stream=1&stdin=1&stdout=1`), (fx) => fx.priv, ['attach']);
  accessDenied(
    'ContainerAttachWebsocket to a running container with a host directory bound',
    (fx) =>
      http('GET', `/v1.41/containers/${fx.bound}/attach/ws?stream=1&stdin=1&stdout=1`, undefined, {
        Connection: 'Upgrade, close',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      }),
    (fx) => fx.bound,
    ['attach'],
  );
  add({
    name: 'ExecStart of an exec instance created on the daemon in a container with a host directory bound',
    setup: async (o) => {
      const res = await api('POST', `/containers/${f.bound}/exec`, { Cmd: ['touch', '/host/pwned'] });
      assert.equal(res.status, 201, res.text);
      execIds.set(o, res.json.Id as string);
    },
    request: (_, o) => http('POST', `/v1.41/exec/${execIds.get(o)}/start`, JSON.stringify({ Detach: true, Tty: false })),
    expect: [deny(R.execUnsafe)],
    post: async (_, o) => {
      const res = await api('GET', `/exec/${execIds.get(o)}/json`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.Running, false, res.text);
      assert.equal(res.json.ExitCode, null, `the exec ran: ${res.text}`);
      await hostDirEmpty();
    },
  });
  // Their legitimate neighbours: the same operations on a container that passes the checks.
  add({
    name: 'PutContainerArchive into a plain container is allowed',
    request: (fx) => http('PUT', `/v1.41/containers/${fx.plain}/archive?path=%2F`, tar({ 'pc-cp-ok': 'ok\n' }), { 'Content-Type': 'application/x-tar' }),
    expect: [{ daemon: 200 }],
    post: async (fx) => {
      const res = await api('HEAD', `/containers/${fx.plain}/archive?path=%2Fpc-cp-ok`);
      assert.equal(res.status, 200, 'the copied file is missing');
    },
  });
  add({
    name: 'ContainerArchive (cp out) of a plain container is allowed',
    request: (fx) => http('GET', `/v1.41/containers/${fx.plain}/archive?path=%2Fetc%2Fhostname`),
    expect: [{ daemon: 200 }],
    post: async () => {},
  });
  add({
    name: 'ContainerArchiveInfo (HEAD) of a plain container is allowed',
    request: (fx) => http('HEAD', `/v1.41/containers/${fx.plain}/archive?path=%2Fetc`),
    head: true,
    expect: [{ daemon: 200 }],
    post: async () => {},
  });
  add({
    name: 'ContainerAttach (logs only) to a plain container is allowed',
    request: (fx) => http('POST', `/v1.41/containers/${fx.plain}/attach?logs=1&stream=0&stdout=1`, undefined, { Connection: 'Upgrade', Upgrade: 'tcp' }),
    expect: [{ hijacked: 101 }],
    post: async () => {},
  });

  // ImageCreate fromSrc=<URL>: the daemon fetches it from the host's network namespace.
  for (const [label, src] of [
    ['http://127.0.0.1:1/x (the host\'s loopback)', 'http%3A%2F%2F127.0.0.1%3A1%2Fx'],
    ['169.254.169.254 (no scheme: dockerd adds http)', '169.254.169.254'],
  ] as const) {
    add({
      name: `ImageCreate fromSrc=${label}`,
      request: (_, o) => http('POST', `/v1.41/images/create?fromSrc=${src}&repo=${o}&tag=1`),
      expect: [deny(R.imageImport)],
      post: (_, o) => noImage(o),
    });
  }
  add({
    name: 'ImageCreate fromSrc=- (import of the request body) is allowed',
    request: (_, o) => http('POST', `/v1.41/images/create?fromSrc=-&repo=${o}&tag=1`, tar({ 'etc/pc-imported': 'x\n' }), { 'Content-Type': 'application/x-tar' }),
    expect: [{ daemon: 200 }],
    post: async (_, o) => {
      const res = await api('GET', `/images/${o}:1/json`);
      assert.equal(res.status, 200, `the imported image is missing: ${res.text}`);
    },
  });

  // ------------------------------------------------------------ running the table

  before(async () => {
    const config = await readFile(EXAMPLE, 'utf8');
    proxy = await startPortcullis({ configYaml: config, env: { DOCKER_HOST: ctx.dockerd.host, PORTCULLIS_LISTEN: 'tcp://127.0.0.1:0' } });
    cgroupV1 = String((await api('GET', '/info')).json.CgroupVersion) === '1';
    f.hostNetId = (await api('GET', '/networks/host')).json.Id as string;
    f.privId = await daemonCreate(f.priv, { Privileged: true });
    f.rootId = await daemonCreate(f.root, { Binds: ['/:/host'] });
    await daemonCreate(f.caps, { CapAdd: ['ALL'] });
    await daemonCreate(f.unconfined, { SecurityOpt: ['seccomp=unconfined'] });
    f.plainId = await daemonCreate(f.plain, {});
    const started = await api('POST', `/containers/${f.plain}/start`);
    assert.equal(started.status, 204, started.text);
    f.hostDir = await mkdtemp(join(tmpdir(), 'pc-adv-host-'));
    f.boundId = await daemonCreate(f.bound, { Binds: [`${f.hostDir}:/host`] });
    const boundStarted = await api('POST', `/containers/${f.bound}/start`);
    assert.equal(boundStarted.status, 204, boundStarted.text);
  });

  after(async () => {
    await proxy?.stop();
    const containers = await api('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: [PFX] }))}`);
    await Promise.all((containers.json as { Id: string }[]).map((c) => api('DELETE', `/containers/${c.Id}?force=1&v=1`)));
    const volumes = await api('GET', `/volumes?filters=${encodeURIComponent(JSON.stringify({ name: [PFX] }))}`);
    await Promise.all(((volumes.json.Volumes ?? []) as { Name: string }[]).map((v) => api('DELETE', `/volumes/${v.Name}?force=1`)));
    const networks = await api('GET', `/networks?filters=${encodeURIComponent(JSON.stringify({ name: [PFX] }))}`);
    await Promise.all((networks.json as { Id: string }[]).map((n) => api('DELETE', `/networks/${n.Id}`)));
    const images = await api('GET', `/images/json?filters=${encodeURIComponent(JSON.stringify({ reference: [`${PFX}*`] }))}`);
    await Promise.all((images.json as { Id: string }[]).map((i) => api('DELETE', `/images/${i.Id}?force=1`)));
    if (f.hostDir !== '') await rm(f.hostDir, { recursive: true, force: true });
  });

  async function send(request: string | Buffer, halfClose: boolean): Promise<Buffer> {
    if (!halfClose) return (await exchange(proxy.host(), request, 10_000)).data;
    const conn = await rawConnect(proxy.host());
    try {
      conn.socket.end(request);
      return await conn.waitEnded(5_000);
    } finally {
      conn.socket.destroy();
    }
  }

  function check(o: Outcome, r: ParsedResponse, label: string): void {
    const body = r.body.toString('utf8');
    const fromDaemon = r.headers.has('api-version');
    if ('headDenied' in o) {
      assert.equal(r.status, o.status, `${label}: expected ${o.status}, got ${r.status}`);
      assert.ok(!fromDaemon, `${label}: answered by the daemon`);
      assert.equal(r.headers.get('server'), 'portcullis', `${label}: not a portcullis answer`);
    } else if ('hijacked' in o) {
      assert.equal(r.status, o.hijacked, `${label}: expected the daemon's ${o.hijacked}, got ${r.status} ${body.slice(0, 400)}`);
      assert.notEqual(r.headers.get('server'), 'portcullis', `${label}: answered by portcullis: ${body.slice(0, 400)}`);
    } else if ('rule' in o) {
      assert.equal(r.status, o.status, `${label}: expected ${o.status} ${o.rule}, got ${r.status} ${body.slice(0, 400)}`);
      assert.ok(!fromDaemon, `${label}: answered by the daemon: ${body.slice(0, 400)}`);
      const message = (JSON.parse(body) as { message: string }).message;
      assert.match(message, /^portcullis: .+ denied: .+ \(rule [A-Za-z0-9_.-]+\)$/, label);
      assert.ok(message.endsWith(`(rule ${o.rule})`), `${label}: expected rule ${o.rule}: ${message}`);
    } else if ('daemon' in o) {
      assert.equal(r.status, o.daemon, `${label}: expected the daemon's ${o.daemon}, got ${r.status} ${body.slice(0, 400)}`);
      assert.ok(fromDaemon, `${label}: not answered by the daemon: ${body.slice(0, 400)}`);
    } else {
      assert.ok(r.status < 200 || r.status >= 300, `${label}: expected a refusal, got ${r.status} ${body.slice(0, 400)}`);
    }
  }

  /** objects the cases' setup created directly on the daemon (possibly unsafe on purpose) */
  const setupCreated = new Set<string>();

  cases.forEach((c, i) => {
    const obj = `${PFX}-${String(i).padStart(3, '0')}`;
    it(`#${i} ${c.name}`, async () => {
      if (c.setup) {
        setupCreated.add(obj);
        await c.setup(obj);
      }
      const data = await send(c.request(f, obj), c.halfClose === true);
      const { responses } = splitResponses(data, c.head === true ? new Set([0]) : new Set());
      assert.ok(
        responses.length >= c.expect.length,
        `expected ${c.expect.length} response(s), got ${responses.length}: ${JSON.stringify(data.toString('latin1').slice(0, 600))}`,
      );
      c.expect.forEach((o, k) => check(o, responses[k]!, `response ${k}`));
      responses.slice(c.expect.length).forEach((r, k) => check({ refused: true }, r, `extra response ${c.expect.length + k}`));
      await c.post(f, obj);
    });
  });

  it('a BuildKit session: dockerd serves one for the upgrade on its own socket, none through the proxy while the connection stays open', async () => {
    const request =
      'POST /v1.41/session HTTP/1.1\r\nHost: portcullis\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n' +
      `X-Docker-Expose-Session-Uuid: ${PFX}-session\r\nX-Docker-Expose-Session-Name: ${PFX}\r\n\r\n`;
    assert.equal(await openSessions(), 0);
    // The neighbour on the daemon's own socket shows what the check sees when a session is open.
    const direct = net.connect(ctx.dockerd.socket);
    let answer = '';
    direct.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    direct.write(request);
    try {
      await waitFor('dockerd to switch protocols', () => answer.startsWith('HTTP/1.1 101 '));
      await waitFor('dockerd to serve the session', async () => (await openSessions()) === 1);
    } finally {
      direct.destroy();
    }
    await waitFor('the direct session to end', async () => (await openSessions()) === 0);

    const conn = await rawConnect(proxy.host());
    try {
      conn.send(request);
      const data = await conn.waitFor('the refusal', (d) => splitResponses(d).responses.length >= 1);
      check(deny(R.notAllowed), splitResponses(data).responses[0]!, 'session through the proxy');
      assert.equal(await openSessions(), 0, 'dockerd serves a session opened through the proxy');
    } finally {
      conn.socket.destroy();
    }
  });

  it('afterwards: no container with the prefix is privileged, has added capabilities, or binds a host path', async () => {
    const containers = await api('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: [PFX] }))}`);
    const names = (containers.json as { Names: string[] }[]).map((c) => c.Names[0]!.slice(1));
    // Fixtures and the start cases' targets were created directly on the daemon, unsafe on purpose.
    const throughProxy = names.filter((n) => !n.includes('-fx-') && !setupCreated.has(n));
    assert.ok(throughProxy.length > 0, `no container was created through the proxy: ${names.join(', ')}`);
    for (const name of throughProxy) await harmless(name);
    assert.ok(cases.length >= 120, `only ${cases.length} cases`);
  });
});
