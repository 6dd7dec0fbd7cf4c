/**
 * Values the proxy must read exactly as dockerd parses them (issue 15). Table-driven like
 * adversarial.test.ts: each case is a ContainerCreate body sent through a real proxy, the verdict
 * expected (a refusal with its rule, or let through), and a check made on the daemon's own socket.
 *
 * Where the point of a case is a value the proxy could read more leniently than dockerd (a HostIp
 * of `" 127.0.0.1"`), the case also says how dockerd itself reads the same body, created and
 * started directly on the daemon (`daemonReads`): published on every interface, refused, or kept
 * as written. For ports that is read from what docker-proxy actually listens on, in the daemon's
 * network namespace (/proc/<dockerd>/net/tcp{,6}), not from the container's inspect output.
 *
 * Every object a case creates is named `pc-vd-<pid>-<case number>[-direct]`; all are removed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from './harness/background.js';
import { dockerApi, type ApiResult } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/hardened.yaml', import.meta.url));
const PFX = `pc-vd-${process.pid}`;
const NET = `${PFX}-net`;

type Policy = 'ci' | 'relaxed';

/** How dockerd itself reads the case's body when it is sent to the daemon directly. */
type DaemonReading =
  /** created and started; docker-proxy listens on the unspecified address */
  | 'every-interface'
  /** created and started; docker-proxy listens on 127.0.0.1 and nothing else */
  | 'loopback-only'
  /** the create is refused (an error status, no container) */
  | 'refused'
  /** the create is accepted: dockerd reads the value as an option it knows */
  | 'accepted'
  /** created and run: a 2 MiB write into the tmpfs at /t succeeds (the size does not limit it) */
  | 'tmpfs-unbounded';

interface Case {
  name: string;
  policy: Policy;
  hostConfig(ctx: Ctx): Record<string, unknown>;
  /** a refusal by this rule, or `allowed` (the daemon answered 201) */
  expect: { rule: string } | 'allowed';
  /** checked on the daemon socket after the proxied request (the container is `obj`) */
  post?(ctx: Ctx, obj: string): Promise<void>;
  daemonReads?: DaemonReading;
}

interface Ctx {
  bindDir: string;
}

const R = { port: 'PC_DENIED_PORT_BINDING', cap: 'PC_DENIED_CAP_ADD', bind: 'PC_DENIED_BIND_MOUNT' } as const;

/** A /proc/net/tcp{,6} address (32-bit words in host byte order, little-endian here) as text. */
function procAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/.{2}/g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.every((b) => b === 0)) return '::';
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return '::1';
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The addresses something listens on at TCP `port` in the network namespace of process `pid`. */
async function listenersOn(pid: number, port: number): Promise<string[]> {
  const found: string[] = [];
  for (const file of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${file}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue;
      const [addr, p] = (cols[1] as string).split(':') as [string, string];
      if (parseInt(p, 16) === port) found.push(procAddress(addr));
    }
  }
  return found.sort();
}

const portBinding = (hostIp: string, hostPort = ''): Record<string, unknown> => ({ PortBindings: { '80/tcp': [{ HostIp: hostIp, HostPort: hostPort }] } });

e2eSuite('values read as dockerd parses them', (ctx) => {
  let ci: Proxy;
  let relaxed: Proxy;
  const c: Ctx = { bindDir: '' };
  const api = (method: string, path: string, body?: unknown) => dockerApi(ctx.dockerd.socket, method, path, body);
  const body = (hostConfig: Record<string, unknown>) => ({ Image: BUSYBOX_IMAGE, Cmd: ['sleep', '1000'], ExposedPorts: { '80/tcp': {} }, HostConfig: { NetworkMode: NET, ...hostConfig } });

  async function inspect(name: string): Promise<any> {
    const res = await api('GET', `/containers/${name}/json`);
    assert.equal(res.status, 200, `${name}: ${res.text}`);
    return res.json;
  }
  async function noContainer(name: string): Promise<void> {
    const res = await api('GET', `/containers/${name}/json`);
    assert.equal(res.status, 404, `container ${name} exists on the daemon: ${res.text.slice(0, 400)}`);
  }
  /** Starts `name` on the daemon and returns the addresses docker-proxy listens on for its 80/tcp. */
  async function publishedOn(name: string): Promise<string[]> {
    const started = await api('POST', `/containers/${name}/start`);
    assert.equal(started.status, 204, `starting ${name}: ${started.text}`);
    const ports = (await inspect(name)).NetworkSettings.Ports['80/tcp'] as { HostIp: string; HostPort: string }[] | null;
    assert.ok(ports !== null && ports.length > 0, `${name} publishes nothing`);
    const port = Number(ports[0]!.HostPort);
    return waitFor(`a listener on port ${port}`, async () => {
      const l = await listenersOn(ctx.dockerd.pid, port);
      return l.length > 0 ? l : undefined;
    });
  }
  /** Creates `name` on the daemon running `cmd` with `hostConfig`, runs it to the end, and returns its exit code. */
  async function runToEnd(name: string, hostConfig: Record<string, unknown>, cmd: string[]): Promise<number> {
    const created = await api('POST', `/containers/create?name=${name}`, { Image: BUSYBOX_IMAGE, Cmd: cmd, HostConfig: { NetworkMode: 'none', ...hostConfig } });
    assert.equal(created.status, 201, `dockerd refused ${JSON.stringify(hostConfig)}: ${created.text}`);
    const started = await api('POST', `/containers/${name}/start`);
    assert.equal(started.status, 204, `starting ${name}: ${started.text}`);
    const waited = await api('POST', `/containers/${name}/wait`);
    assert.equal(waited.status, 200, waited.text);
    return waited.json.StatusCode as number;
  }
  const write2MiB = ['busybox', 'dd', 'if=/dev/zero', 'of=/t/f', 'bs=1048576', 'count=2'];

  async function daemonReading(name: string, reading: DaemonReading, hostConfig: Record<string, unknown>): Promise<void> {
    if (reading === 'tmpfs-unbounded') {
      assert.equal(await runToEnd(name, hostConfig, write2MiB), 0, `a 2 MiB write into /t failed with ${JSON.stringify(hostConfig)}`);
      return;
    }
    const created = await api('POST', `/containers/create?name=${name}`, body(hostConfig));
    if (reading === 'refused') {
      // dockerd answers some of these 400 and some 500 ("invalid --security-opt"); either way nothing is created.
      assert.ok(created.status >= 400, `dockerd accepted ${JSON.stringify(hostConfig)}: ${created.status} ${created.text}`);
      await noContainer(name);
      return;
    }
    assert.equal(created.status, 201, `dockerd refused ${JSON.stringify(hostConfig)}: ${created.text}`);
    if (reading === 'accepted') return;
    const on = await publishedOn(name);
    if (reading === 'every-interface') assert.ok(on.includes('0.0.0.0') || on.includes('::'), `dockerd published on ${on.join(', ')}`);
    else assert.deepEqual(on, ['127.0.0.1'], `dockerd published on ${on.join(', ')}`);
  }

  const cases: Case[] = [];
  const add = (x: Case): void => void cases.push(x);

  // Host IPs: Go's net.ParseIP on the raw string; nil (and unspecified) publishes on every interface.
  for (const hostIp of ['[127.0.0.1]', ' 127.0.0.1', '127.0.0.1 ', '127.000.000.001', '0127.0.0.1', '127.0.0.1%lo', '[::1]', '::ffff:0.0.0.0', '0:0:0:0:0:0:0:0']) {
    add({ name: `HostIp ${JSON.stringify(hostIp)} is every interface to dockerd`, policy: 'ci', hostConfig: () => portBinding(hostIp), expect: { rule: R.port }, post: (_, o) => noContainer(o), daemonReads: 'every-interface' });
  }
  for (const hostIp of ['127.0.0.1', '::ffff:127.0.0.1', '::FFFF:7f00:1']) {
    add({
      name: `HostIp ${JSON.stringify(hostIp)} is loopback to dockerd, and passes`,
      policy: 'ci',
      hostConfig: () => portBinding(hostIp),
      expect: 'allowed',
      post: async (_, o) => assert.deepEqual(await publishedOn(o), ['127.0.0.1']),
      daemonReads: 'loopback-only',
    });
  }
  // Host ports: go-connections SplitProtoPort + ParsePortRange (relaxed allows 20000-20099 only).
  add({ name: 'HostPort " 20050" (dockerd refuses it)', policy: 'relaxed', hostConfig: () => portBinding('127.0.0.1', ' 20050'), expect: { rule: R.port }, post: (_, o) => noContainer(o), daemonReads: 'refused' });
  add({ name: 'HostPort "20050-20099-30000" is 20050-20099 to dockerd, and passes', policy: 'relaxed', hostConfig: () => portBinding('127.0.0.1', '20050-20099-30000'), expect: 'allowed', post: async (_, o) => {
    const published = await publishedOn(o);
    assert.deepEqual(published, ['127.0.0.1']);
    const port = Number((await inspect(o)).NetworkSettings.Ports['80/tcp'][0].HostPort);
    assert.ok(port >= 20050 && port <= 20099, `published on ${port}`);
  } });
  add({ name: 'HostPort "30000/udp" is 30000 to dockerd, outside the allowed range', policy: 'relaxed', hostConfig: () => portBinding('127.0.0.1', '30000/udp'), expect: { rule: R.port }, post: (_, o) => noContainer(o) });
  add({ name: 'HostPort "020051/udp" is 20051 to dockerd, and passes', policy: 'relaxed', hostConfig: () => portBinding('127.0.0.1', '020051/udp'), expect: 'allowed', post: async (_, o) => {
    await publishedOn(o);
    assert.equal((await inspect(o)).NetworkSettings.Ports['80/tcp'][0].HostPort, '20051');
  } });

  // Capabilities: strings.ToUpper, then CAP_ prefixed; no trimming (relaxed allows NET_BIND_SERVICE).
  add({ name: 'CapAdd [" NET_BIND_SERVICE"] (dockerd refuses it)', policy: 'relaxed', hostConfig: () => ({ CapAdd: [' NET_BIND_SERVICE'] }), expect: { rule: R.cap }, post: (_, o) => noContainer(o) });
  add({ name: 'CapAdd ["ſys_admin"] is CAP_SYS_ADMIN to Go', policy: 'relaxed', hostConfig: () => ({ CapAdd: ['ſys_admin'] }), expect: { rule: R.cap }, post: (_, o) => noContainer(o) });
  add({ name: 'CapAdd ["net_bınd_servıce"] is CAP_NET_BIND_SERVICE to Go, and passes', policy: 'relaxed', hostConfig: () => ({ CapAdd: ['net_bınd_servıce'] }), expect: 'allowed', post: async (_, o) => {
    assert.deepEqual((await inspect(o)).HostConfig.CapAdd, ['net_bınd_servıce']);
  } });

  // Binds: volume/mounts ParseMountRaw (relaxed allows read-only binds under bindDir).
  add({ name: 'Binds "<dir>:/x:ro " (a mode dockerd refuses)', policy: 'relaxed', hostConfig: (x) => ({ Binds: [`${x.bindDir}:/x:ro `] }), expect: { rule: R.bind }, post: (_, o) => noContainer(o) });
  add({ name: 'Binds "<dir>:/x:ro,rw"', policy: 'relaxed', hostConfig: (x) => ({ Binds: [`${x.bindDir}:/x:ro,rw`] }), expect: { rule: R.bind }, post: (_, o) => noContainer(o) });
  add({ name: 'Binds "<dir>:ro" (a target with a mode, no source)', policy: 'relaxed', hostConfig: (x) => ({ Binds: [`${x.bindDir}:ro`] }), expect: { rule: R.bind }, post: (_, o) => noContainer(o) });
  add({ name: 'Binds "C:\\\\Windows:/x:ro" (a drive letter is a volume name on Linux)', policy: 'relaxed', hostConfig: () => ({ Binds: ['C:\\Windows:/x:ro'] }), expect: { rule: R.bind }, post: (_, o) => noContainer(o) });
  add({ name: 'Binds "<dir>/sub/..//:/x:ro,Z,rprivate" is <dir> read-only to dockerd, and passes', policy: 'relaxed', hostConfig: (x) => ({ Binds: [`${x.bindDir}/sub/..//:/x:ro,Z,rprivate`] }), expect: 'allowed', post: async (x, o) => {
    const mounts = (await inspect(o)).Mounts as { Type: string; Source: string; RW: boolean }[];
    assert.deepEqual(mounts.map((m) => [m.Type, m.Source, m.RW]), [['bind', x.bindDir, false]]);
  } });

  // Security options: parseSecurityOpt, exact keys; the bare word `disable` is SELinux labelling off.
  add({ name: 'SecurityOpt ["disable"] is label=disable to dockerd', policy: 'ci', hostConfig: () => ({ SecurityOpt: ['disable'] }), expect: { rule: 'PC_DENIED_SECURITY_OPT' }, post: (_, o) => noContainer(o), daemonReads: 'accepted' });
  add({ name: 'SecurityOpt [" no-new-privileges"] (dockerd refuses it)', policy: 'ci', hostConfig: () => ({ SecurityOpt: [' no-new-privileges'] }), expect: { rule: 'PC_DENIED_SECURITY_OPT' }, post: (_, o) => noContainer(o), daemonReads: 'refused' });
  add({ name: 'SecurityOpt ["no-new-privileges=T", "apparmor:docker-default"] passes', policy: 'ci', hostConfig: () => ({ SecurityOpt: ['no-new-privileges=T', 'apparmor:docker-default'] }), expect: 'allowed', post: async (_, o) => {
    assert.deepEqual((await inspect(o)).HostConfig.SecurityOpt, ['no-new-privileges=T', 'apparmor:docker-default']);
  } });

  // tmpfs sizes: the kernel's memparse; 0 blocks is no limit (the hardened profile bounds tmpfs at 1 GiB).
  for (const size of ['0', 'k', '16e']) {
    add({ name: `Tmpfs size=${size} is no limit to the kernel`, policy: 'ci', hostConfig: () => ({ Tmpfs: { '/t': `size=${size}` } }), expect: { rule: 'PC_DENIED_TMPFS' }, post: (_, o) => noContainer(o), daemonReads: 'tmpfs-unbounded' });
  }
  add({
    name: 'Tmpfs size=0x100000 is 1 MiB to the kernel, and passes',
    policy: 'ci',
    hostConfig: () => ({ Tmpfs: { '/t': 'size=0x100000' } }),
    expect: 'allowed',
    post: async (_, o) => {
      assert.deepEqual((await inspect(o)).HostConfig.Tmpfs, { '/t': 'size=0x100000' });
      // The same tmpfs run directly: the size holds, a 2 MiB write fails.
      assert.notEqual(await runToEnd(`${o}-direct`, { Tmpfs: { '/t': 'size=0x100000' } }, write2MiB), 0, 'a 2 MiB write into a 1 MiB tmpfs succeeded');
    },
  });

  before(async () => {
    c.bindDir = await mkdtemp(join(tmpdir(), 'pc-vd-bind-'));
    await writeFile(join(c.bindDir, 'f'), 'x\n');
    const net = await api('POST', '/networks/create', { Name: NET, Driver: 'bridge' });
    assert.equal(net.status, 201, net.text);
    ci = await startPortcullis({ configYaml: await readFile(EXAMPLE, 'utf8'), env: { DOCKER_HOST: ctx.dockerd.host, PORTCULLIS_LISTEN: 'tcp://127.0.0.1:0' } });
    relaxed = await startPortcullis({
      configYaml: `listeners:
  - name: relaxed
    address: tcp://127.0.0.1:0
    policy: relaxed
upstream:
  address: ${ctx.dockerd.host}
policies:
  relaxed:
    extends: hardened
    constraints:
      capAdd: [NET_BIND_SERVICE]
      portBindings: { hostPorts: ["20000-20099"] }
      bindMounts: { allow: [${c.bindDir}] }
`,
    });
  });

  after(async () => {
    await Promise.all([ci?.stop(), relaxed?.stop()]);
    const list = await api('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: [PFX] }))}`);
    for (const x of (list.json ?? []) as { Id: string }[]) await api('DELETE', `/containers/${x.Id}?force=1`);
    await api('DELETE', `/networks/${NET}`);
    if (c.bindDir !== '') await rm(c.bindDir, { recursive: true, force: true });
  });

  for (const [i, x] of cases.entries()) {
    it(`#${i} ${x.name}`, async () => {
      const obj = `${PFX}-${i}`;
      const proxy = x.policy === 'ci' ? ci : relaxed;
      const hc = x.hostConfig(c);
      const res = await dockerApi(proxy.host(), 'POST', `/v1.41/containers/create?name=${obj}`, body(hc));
      if (x.expect === 'allowed') {
        assert.equal(res.status, 201, `expected the create to pass: ${res.status} ${res.text}`);
      } else {
        assert.equal(res.status, 403, `expected a refusal: ${res.status} ${res.text}`);
        assert.match(String(res.json?.message), new RegExp(`\\(rule ${x.expect.rule}\\)$`), res.text);
      }
      await x.post?.(c, obj);
      if (x.daemonReads !== undefined) await daemonReading(`${obj}-direct`, x.daemonReads, hc);
    });
  }
});
