/**
 * Fields of the Engine API added between 1.41 (dockerd 20.10) and 1.45 (dockerd 26) that can reach
 * the host, sent through the proxy to the daemon under test at that daemon's own API version. Each
 * refusal is confirmed on the daemon's socket (no container, no network attachment, no directory
 * made on the host); each legitimate neighbour is created, and on dockerd 26 the daemon is shown to
 * have honoured the field (dockerd 20.10 ignores fields it does not know, which is also harmless).
 *
 * Policies: `ci` is the hardened profile with read-only bind mounts allowed below one test
 * directory (so the bind options have something to act on); `loose` also allows annotations.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { daemonFlavour } from './harness/daemon-flavour.js';
import { dockerApi, type ApiResult } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE, daemonRun } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';

const PFX = `pc-api145-${process.pid}`;
const flavour = daemonFlavour();
const modern = flavour.apiVersion === '1.45';
const V = `/v${flavour.apiVersion}`;
const SYSCTLS = 'com.docker.network.endpoint.sysctls';

function denied(res: ApiResult, rule: string, ...parts: string[]): void {
  assert.equal(res.status, 403, res.text);
  const message = (res.json as { message: string }).message;
  assert.match(message, new RegExp(`^portcullis: \\w+ denied: .*\\(rule ${rule}\\)$`), message);
  for (const p of parts) assert.ok(message.includes(p), `${JSON.stringify(message)} should contain ${JSON.stringify(p)}`);
}

e2eSuite('API 1.45 fields through the hardened profile', (ctx) => {
  let proxy: Proxy;
  let hostDir: string;
  let n = 0;
  const api = (method: string, path: string, body?: unknown) => dockerApi(ctx.dockerd.socket, method, path, body);
  const ci = (method: string, path: string, body?: unknown) => dockerApi(proxy.host('ci'), method, path, body);
  const loose = (method: string, path: string, body?: unknown) => dockerApi(proxy.host('loose'), method, path, body);
  const fresh = () => `${PFX}-${++n}`;
  const createBody = (hostConfig: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    Image: BUSYBOX_IMAGE,
    Cmd: ['sleep', '1000'],
    HostConfig: { NetworkMode: 'none', ...hostConfig },
    ...extra,
  });
  const absent = async (name: string) => {
    const res = await api('GET', `/containers/${name}/json`);
    assert.equal(res.status, 404, `the daemon has container ${name}: ${res.text}`);
  };
  const inspect = async (name: string) => {
    const res = await api('GET', `/containers/${name}/json`);
    assert.equal(res.status, 200, res.text);
    return res.json;
  };
  const net = `${PFX}-net`;
  const vol = `${PFX}-vol`;

  before(async () => {
    hostDir = await mkdtemp('/tmp/pc-api145-');
    await mkdir(join(hostDir, 'exists'));
    proxy = await startPortcullis({
      configYaml: `
listeners:
  - name: ci
    address: tcp://127.0.0.1:0
    policy: ci
  - name: loose
    address: tcp://127.0.0.1:0
    policy: loose
upstream:
  address: ${ctx.dockerd.host}
policies:
  ci:
    extends: hardened
    constraints:
      bindMounts:
        allow: [${hostDir}]
  loose:
    extends: ci
    constraints:
      annotations: true
`,
    });
    const created = await api('POST', '/networks/create', { Name: net, Driver: 'bridge' });
    assert.equal(created.status, 201, created.text);
    // A volume with sub/marker, and esc -> / : a symlink a container could have planted to climb out.
    await daemonRun(ctx.dockerd, `${PFX}-seed`, ['sh', '-c', 'mkdir -p /v/sub && echo in-sub > /v/sub/marker && ln -s / /v/esc'], {
      HostConfig: { NetworkMode: 'none', Binds: [`${vol}:/v`] },
    });
    const waited = await api('POST', `/containers/${PFX}-seed/wait`);
    assert.equal(waited.json?.StatusCode, 0, waited.text);
  });

  after(async () => {
    await proxy?.stop();
    const list = await api('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: [PFX] }))}`);
    await Promise.all(((list.json as { Id: string }[] | undefined) ?? []).map((c) => api('DELETE', `/containers/${c.Id}?force=1`)));
    await api('DELETE', `/volumes/${vol}?force=1`);
    await api('DELETE', `/networks/${net}`);
    if (hostDir) await rm(hostDir, { recursive: true, force: true });
  });

  /** Starts `name` on the daemon, waits for it and returns its output. */
  async function runOnDaemon(name: string): Promise<{ code: number; output: string }> {
    const started = await api('POST', `/containers/${name}/start`);
    if (started.status !== 204) return { code: -1, output: started.text };
    const waited = await api('POST', `/containers/${name}/wait`);
    const logs = await api('GET', `/containers/${name}/logs?stdout=1&stderr=1`);
    // The multiplexed log stream's 8-byte frame headers are not text; strip them.
    return { code: waited.json.StatusCode as number, output: logs.text.replace(/[\u0000-\u0008]/g, '') };
  }

  it('Mounts[].VolumeOptions.Subpath that climbs out of the volume is refused; a subdirectory passes', async () => {
    for (const subpath of ['../../../../', 'sub/../../..', '/etc']) {
      const name = fresh();
      const res = await ci('POST', `${V}/containers/create?name=${name}`, createBody({ Mounts: [{ Type: 'volume', Source: vol, Target: '/data', VolumeOptions: { Subpath: subpath } }] }, { Cmd: ['ls', '/data'] }));
      denied(res, 'PC_DENIED_MOUNT_SUBPATH', JSON.stringify(subpath));
      await absent(name);
    }
    const name = fresh();
    const res = await ci('POST', `${V}/containers/create?name=${name}`, createBody({ Mounts: [{ Type: 'volume', Source: vol, Target: '/data', VolumeOptions: { Subpath: 'sub' } }] }, { Cmd: ['ls', '/data'] }));
    assert.equal(res.status, 201, res.text);
    const run = await runOnDaemon(name);
    assert.equal(run.code, 0, run.output);
    // dockerd 26 mounts only the subdirectory; 20.10 does not know Subpath and mounts the whole volume.
    assert.deepEqual(run.output.trim().split(/\s+/).sort(), modern ? ['marker'] : ['esc', 'sub']);
  });

  it('a Subpath that is a symlink out of the volume (lexically inside, so forwarded) never reaches the host', async () => {
    const name = fresh();
    const res = await ci('POST', `${V}/containers/create?name=${name}`, createBody({ Mounts: [{ Type: 'volume', Source: vol, Target: '/data', VolumeOptions: { Subpath: 'esc' } }] }, { Cmd: ['ls', '/data'] }));
    assert.equal(res.status, 201, res.text);
    const run = await runOnDaemon(name);
    if (modern) {
      // dockerd 26 refuses to start it rather than follow the link.
      assert.notEqual(run.code, 0, run.output);
      assert.match(run.output, /escapes the base directory/);
    } else {
      // dockerd 20.10 ignores Subpath: the whole volume, never the host's /.
      assert.equal(run.code, 0, run.output);
      assert.deepEqual(run.output.trim().split(/\s+/).sort(), ['esc', 'sub']);
    }
  });

  it('BindOptions.CreateMountpoint is refused while binds must be read-only, and nothing is made on the host', async () => {
    const name = fresh();
    const target = join(hostDir, 'made-by-dockerd');
    const res = await ci('POST', `${V}/containers/create?name=${name}`, createBody({ Mounts: [{ Type: 'bind', Source: target, Target: '/x', ReadOnly: true, BindOptions: { CreateMountpoint: true } }] }));
    denied(res, 'PC_DENIED_BIND_MOUNT', 'CreateMountpoint');
    await absent(name);
    assert.equal(existsSync(target), false, `${target} was created on the host`);

    const neighbour = fresh();
    const ok = await ci('POST', `${V}/containers/create?name=${neighbour}`, createBody({ Mounts: [{ Type: 'bind', Source: join(hostDir, 'exists'), Target: '/x', ReadOnly: true, BindOptions: { ReadOnlyForceRecursive: modern } }] }));
    assert.equal(ok.status, 201, ok.text);
    const stored = await inspect(neighbour);
    assert.equal(stored.HostConfig.Mounts[0].ReadOnly, true);
    if (modern) assert.equal(stored.HostConfig.Mounts[0].BindOptions.ReadOnlyForceRecursive, true);
  });

  it('BindOptions.ReadOnlyNonRecursive (submounts stay writable) is refused', async () => {
    const name = fresh();
    const res = await ci('POST', `${V}/containers/create?name=${name}`, createBody({ Mounts: [{ Type: 'bind', Source: join(hostDir, 'exists'), Target: '/x', ReadOnly: true, BindOptions: { ReadOnlyNonRecursive: true } }] }));
    denied(res, 'PC_DENIED_BIND_MOUNT', 'must be read-only');
    await absent(name);
  });

  it('endpoint DriverOpts sysctls are refused at create and on connect; a per-endpoint MacAddress passes', async () => {
    const sysctl = { [SYSCTLS]: 'net.ipv4.conf.IFNAME.forwarding=1' };
    const name = fresh();
    const res = await ci('POST', `${V}/containers/create?name=${name}`, createBody({ NetworkMode: net }, { NetworkingConfig: { EndpointsConfig: { [net]: { DriverOpts: sysctl } } } }));
    denied(res, 'PC_DENIED_SYSCTL', 'net.ipv4.conf.IFNAME.forwarding');
    await absent(name);
    const other = fresh();
    const unknown = await ci('POST', `${V}/containers/create?name=${other}`, createBody({ NetworkMode: net }, { NetworkingConfig: { EndpointsConfig: { [net]: { DriverOpts: { 'com.example.opt': '1' } } } } }));
    denied(unknown, 'PC_DENIED_NETWORK_DRIVER', 'com.example.opt');
    await absent(other);

    const neighbour = fresh();
    const mac = '02:42:ac:1f:00:99';
    const ok = await ci('POST', `${V}/containers/create?name=${neighbour}`, createBody({ NetworkMode: net }, { NetworkingConfig: { EndpointsConfig: { [net]: { MacAddress: mac, DriverOpts: {} } } } }));
    assert.equal(ok.status, 201, ok.text);
    if (modern) assert.equal((await inspect(neighbour)).NetworkSettings.Networks[net].MacAddress, mac);

    // Connecting a container (created on the daemon, on no network) with the sysctl is refused.
    const lone = fresh();
    const made = await api('POST', `/containers/create?name=${lone}`, createBody({}));
    assert.equal(made.status, 201, made.text);
    const connect = await ci('POST', `${V}/networks/${net}/connect`, { Container: lone, EndpointConfig: { DriverOpts: sysctl } });
    denied(connect, 'PC_DENIED_SYSCTL', 'EndpointConfig.DriverOpts');
    const netNow = await api('GET', `/networks/${net}`);
    assert.ok(!JSON.stringify(netNow.json.Containers ?? {}).includes(made.json.Id), 'the container was connected');
  });

  it('starting a container created behind the proxy with endpoint sysctls is refused', async () => {
    const name = fresh();
    const made = await api('POST', `/containers/create?name=${name}`, createBody({ NetworkMode: net }, { NetworkingConfig: { EndpointsConfig: { [net]: { DriverOpts: { [SYSCTLS]: 'net.ipv4.conf.IFNAME.forwarding=1' } } } } }));
    assert.equal(made.status, 201, made.text);
    const res = await ci('POST', `${V}/containers/${name}/start`);
    denied(res, 'PC_DENIED_START_UNSAFE', 'DriverOpts');
    assert.equal((await inspect(name)).State.Running, false);
  });

  it('HostConfig.Annotations are refused under hardened and stored when the policy allows them', async () => {
    const name = fresh();
    const annotations = { 'io.kubernetes.cri.container-type': 'sandbox' };
    denied(await ci('POST', `${V}/containers/create?name=${name}`, createBody({ Annotations: annotations })), 'PC_DENIED_ANNOTATIONS');
    await absent(name);
    const ok = await loose('POST', `${V}/containers/create?name=${name}`, createBody({ Annotations: annotations }));
    assert.equal(ok.status, 201, ok.text);
    if (modern) assert.deepEqual((await inspect(name)).HostConfig.Annotations, annotations);
  });

  it('CgroupnsMode host is refused; private and ConsoleSize pass and are stored', async () => {
    const name = fresh();
    denied(await ci('POST', `${V}/containers/create?name=${name}`, createBody({ CgroupnsMode: 'host' })), 'PC_DENIED_NAMESPACE', 'CgroupnsMode');
    await absent(name);
    const ok = await ci('POST', `${V}/containers/create?name=${name}`, createBody({ CgroupnsMode: 'private', ConsoleSize: [30, 100] }, { Tty: true }));
    assert.equal(ok.status, 201, ok.text);
    const stored = await inspect(name);
    assert.equal(stored.HostConfig.CgroupnsMode, 'private');
    if (modern) assert.deepEqual(stored.HostConfig.ConsoleSize, [30, 100]);
  });
});
