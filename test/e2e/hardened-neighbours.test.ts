/**
 * The legitimate neighbour of every hardened-profile rule passes against the real daemon, driven
 * by the real docker CLI: what adversarial.test.ts refuses must not take ordinary work with it.
 * `ci` is examples/hardened.yaml as shipped; `relaxed` extends the same profile with constraints
 * a team might add (a capability, a read-only bind prefix, resource bounds), so the allowed side
 * of those rules is exercised too — and their bounds are checked from the refused side.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { docker, dockerApi, type DockerResult } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/hardened.yaml', import.meta.url));
const PFX = `pc-nb-${process.pid}`;

function denied(res: DockerResult, op: string, rule: string): void {
  assert.notEqual(res.code, 0, `expected a denial, got success: ${res.stdout}`);
  assert.match(res.stderr, new RegExp(`Error response from daemon: portcullis: ${op} denied: .+ \\(rule ${rule}\\)`), res.stderr);
}

function ok(res: DockerResult, what: string): void {
  assert.equal(res.code, 0, `${what}: exit ${res.code}\n--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`);
}

e2eSuite('legitimate neighbours of the hardened rules', (ctx) => {
  let ci: Proxy;
  let relaxed: Proxy;
  let bindDir: string;
  const plain = `${PFX}-plain`;

  const api = (method: string, path: string, body?: unknown) => dockerApi(ctx.dockerd.socket, method, path, body);
  const inspect = async (name: string): Promise<any> => {
    const res = await api('GET', `/containers/${name}/json`);
    assert.equal(res.status, 200, `${name}: ${res.text}`);
    return res.json;
  };
  const run = (proxy: Proxy, args: string[]) => docker(proxy.host(), args);

  /** What the daemon itself logged between `fromMs` and `toMs` (`until` in the past: it answers at once). */
  async function daemonEvents(fromMs: number, toMs: number): Promise<string[]> {
    const res = await api('GET', `/events?since=${(fromMs / 1000).toFixed(3)}&until=${(toMs / 1000).toFixed(3)}`);
    assert.equal(res.status, 200, res.text);
    return res.text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { Type: string; Action: string; timeNano: number; Actor: { ID: string; Attributes?: Record<string, string> } })
      .filter((e) => e.timeNano >= fromMs * 1e6 && e.timeNano <= toMs * 1e6)
      .map((e) => `${e.Type} ${e.Action} ${e.Actor.Attributes?.name ?? e.Actor.ID}`);
  }

  /**
   * The CLI prints the refusal, and the daemon's event log shows that nothing happened meanwhile: nothing
   * created, started, mounted or connected. (This file's commands run one at a time on the daemon.)
   */
  async function refused(proxy: Proxy, args: string[], op: string, rule: string): Promise<void> {
    const from = Date.now();
    const res = await run(proxy, args);
    const to = Date.now();
    denied(res, op, rule);
    assert.deepEqual(await daemonEvents(from, to), [], `the daemon acted on the refused docker ${args.join(' ')}`);
  }

  before(async () => {
    bindDir = await mkdtemp(join(tmpdir(), 'pc-nb-bind-'));
    await writeFile(join(bindDir, 'f'), 'from-the-host\n');
    ci = await startPortcullis({
      configYaml: await readFile(EXAMPLE, 'utf8'),
      env: { DOCKER_HOST: ctx.dockerd.host, PORTCULLIS_LISTEN: 'tcp://127.0.0.1:0' },
    });
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
      bindMounts:
        allow: [${bindDir}]
      memory:
        max: 268435456
      pidsLimit:
        max: 100
      shmSize:
        max: 67108864
`,
    });
    const created = await api('POST', `/containers/create?name=${plain}`, { Image: BUSYBOX_IMAGE, Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } });
    assert.equal(created.status, 201, created.text);
    const started = await api('POST', `/containers/${plain}/start`);
    assert.equal(started.status, 204, started.text);
  });

  after(async () => {
    await Promise.all([ci?.stop(), relaxed?.stop()]);
    const filter = encodeURIComponent(JSON.stringify({ name: [PFX] }));
    const containers = await api('GET', `/containers/json?all=1&filters=${filter}`);
    await Promise.all((containers.json as { Id: string }[]).map((c) => api('DELETE', `/containers/${c.Id}?force=1&v=1`)));
    const volumes = await api('GET', `/volumes?filters=${filter}`);
    await Promise.all(((volumes.json.Volumes ?? []) as { Name: string }[]).map((v) => api('DELETE', `/volumes/${v.Name}?force=1`)));
    const networks = await api('GET', `/networks?filters=${filter}`);
    await Promise.all((networks.json as { Id: string }[]).map((n) => api('DELETE', `/networks/${n.Id}`)));
    if (bindDir) await rm(bindDir, { recursive: true, force: true });
  });

  it('docker run --rm --network none busybox echo hi (and --privileged is what is refused)', async () => {
    const from = Date.now();
    const res = await run(ci, ['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'echo', 'hi']);
    const to = Date.now();
    ok(res, 'docker run');
    assert.equal(res.stdout, 'hi\n');
    // the event log that must stay empty for a refusal does show an allowed run
    const actions = (await daemonEvents(from, to)).map((e) => e.split(' ').slice(0, 2).join(' '));
    for (const a of ['container create', 'container start', 'container destroy']) assert.ok(actions.includes(a), `${a} missing from ${actions.join(', ')}`);
    await refused(ci, ['run', '--rm', '--network', 'none', '--privileged', BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_PRIVILEGED');
  });

  it('a named volume mount, shared with --volumes-from (a bind of / is what is refused)', async () => {
    const vol = `${PFX}-vol`;
    ok(await run(ci, ['volume', 'create', vol]), 'volume create');
    const writer = `${PFX}-writer`;
    ok(await run(ci, ['run', '--name', writer, '--network', 'none', '-v', `${vol}:/data`, BUSYBOX_IMAGE, 'sh', '-c', 'echo kept > /data/f']), 'run -v vol');
    const w = await inspect(writer);
    assert.deepEqual(
      (w.Mounts as { Type: string; Name: string }[]).map((m) => [m.Type, m.Name]),
      [['volume', vol]],
    );
    const read = await run(ci, ['run', '--rm', '--network', 'none', '--volumes-from', writer, BUSYBOX_IMAGE, 'cat', '/data/f']);
    ok(read, 'run --volumes-from');
    assert.equal(read.stdout, 'kept\n');
    const mounted = await run(ci, ['run', '--rm', '--network', 'none', '--mount', `type=volume,src=${vol},dst=/v,readonly`, BUSYBOX_IMAGE, 'cat', '/v/f']);
    ok(mounted, 'run --mount type=volume');
    assert.equal(mounted.stdout, 'kept\n');
    await refused(ci, ['run', '--rm', '--network', 'none', '-v', '/:/host', BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_BIND_MOUNT');
  });

  it('a tmpfs volume of the local driver and a bridge network with an allowed option', async () => {
    const vol = `${PFX}-tmpvol`;
    ok(await run(ci, ['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=1m', vol]), 'volume create tmpfs');
    const v = await api('GET', `/volumes/${vol}`);
    assert.equal(v.status, 200, v.text);
    assert.deepEqual(v.json.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
    await refused(ci, ['volume', 'create', '--opt', 'type=none', '--opt', 'device=/', '--opt', 'o=bind', `${PFX}-bindvol`], 'VolumeCreate', 'PC_DENIED_VOLUME_OPTIONS');
    assert.equal((await api('GET', `/volumes/${PFX}-bindvol`)).status, 404);

    const net = `${PFX}-mtu`;
    ok(await run(ci, ['network', 'create', '--opt', 'com.docker.network.driver.mtu=1400', net]), 'network create');
    const n = await api('GET', `/networks/${net}`);
    assert.equal(n.status, 200, n.text);
    assert.equal(n.json.Driver, 'bridge');
    assert.equal(n.json.Options['com.docker.network.driver.mtu'], '1400');
    await refused(ci, ['network', 'create', '-d', 'macvlan', '-o', 'parent=lo', `${PFX}-mac`], 'NetworkCreate', 'PC_DENIED_NETWORK_DRIVER');
  });

  it('CapAdd NET_BIND_SERVICE where the policy allows it (and not where it does not)', async () => {
    const name = `${PFX}-cap`;
    await refused(ci, ['create', '--name', name, '--network', 'none', '--cap-add', 'NET_BIND_SERVICE', BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_CAP_ADD');
    assert.equal((await api('GET', `/containers/${name}/json`)).status, 404);
    ok(await run(relaxed, ['create', '--name', name, '--network', 'none', '--cap-add', 'NET_BIND_SERVICE', BUSYBOX_IMAGE, 'true']), 'create --cap-add');
    const c = await inspect(name);
    assert.equal(c.HostConfig.CapAdd.length, 1, JSON.stringify(c.HostConfig.CapAdd));
    assert.match(c.HostConfig.CapAdd[0], /^(CAP_)?NET_BIND_SERVICE$/);
    assert.equal(c.HostConfig.Privileged, false);
    const started = await run(relaxed, ['start', '-a', name]);
    ok(started, 'start -a');
    await refused(relaxed, ['run', '--rm', '--network', 'none', '--cap-add', 'SYS_ADMIN', BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_CAP_ADD');
  });

  it('a non-privileged exec, also as another user (a privileged one is refused)', async () => {
    const hi = await run(ci, ['exec', plain, 'echo', 'hi']);
    ok(hi, 'exec');
    assert.equal(hi.stdout, 'hi\n');
    const uid = await run(ci, ['exec', '-u', '1000', plain, 'id', '-u']);
    ok(uid, 'exec -u 1000');
    assert.equal(uid.stdout, '1000\n');
    const before = (await inspect(plain)).ExecIDs?.length ?? 0;
    await refused(ci, ['exec', '--privileged', plain, 'true'], 'ContainerExec', 'PC_DENIED_EXEC_PRIVILEGED');
    assert.equal((await inspect(plain)).ExecIDs?.length ?? 0, before);
  });

  it('a tmpfs within bounds, as --tmpfs and as --mount (2g is refused)', async () => {
    const df = await run(ci, ['run', '--rm', '--network', 'none', '--tmpfs', '/t:size=1m', BUSYBOX_IMAGE, 'sh', '-c', 'grep " /t " /proc/mounts']);
    ok(df, 'run --tmpfs');
    assert.match(df.stdout, /^tmpfs \/t tmpfs .*size=1024k/m);
    const mnt = await run(ci, ['run', '--rm', '--network', 'none', '--mount', 'type=tmpfs,dst=/t,tmpfs-size=1048576', BUSYBOX_IMAGE, 'sh', '-c', 'grep " /t " /proc/mounts']);
    ok(mnt, 'run --mount type=tmpfs');
    assert.match(mnt.stdout, /size=1024k/);
    await refused(ci, ['run', '--rm', '--network', 'none', '--tmpfs', '/t:size=2g', BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_TMPFS');
  });

  it('a port published on 127.0.0.1 on a user network (0.0.0.0 is refused)', async () => {
    const net = `${PFX}-net`;
    ok(await run(ci, ['network', 'create', net]), 'network create');
    const name = `${PFX}-web`;
    ok(await run(ci, ['run', '-d', '--name', name, '--network', net, '-p', '127.0.0.1::80', BUSYBOX_IMAGE, 'sleep', '1000']), 'run -p 127.0.0.1::80');
    const c = await inspect(name);
    assert.equal(c.State.Running, true);
    const ports = c.NetworkSettings.Ports['80/tcp'] as { HostIp: string; HostPort: string }[];
    assert.ok(ports.length > 0 && ports.every((p) => p.HostIp === '127.0.0.1' && Number(p.HostPort) > 0), JSON.stringify(ports));
    const port = await run(ci, ['port', name, '80']);
    ok(port, 'docker port');
    assert.match(port.stdout, /^127\.0\.0\.1:\d+$/m);
    await refused(ci, ['run', '-d', '--name', `${name}-all`, '--network', net, '-p', '80', BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_PORT_BINDING');
    await refused(ci, ['run', '-d', '--name', `${name}-any`, '--network', net, '-p', '0.0.0.0::80', BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_PORT_BINDING');
    await refused(ci, ['run', '-d', '--name', `${name}-P`, '--network', net, '-P', '--expose', '80', BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_PORT_BINDING');
    for (const n of [`${name}-all`, `${name}-any`, `${name}-P`]) assert.equal((await api('GET', `/containers/${n}/json`)).status, 404, n);
  });

  it('a read-only bind under the allowed prefix (rw, a sibling and .. are refused)', async () => {
    const res = await run(relaxed, ['run', '--rm', '--network', 'none', '-v', `${bindDir}:/data:ro`, BUSYBOX_IMAGE, 'cat', '/data/f']);
    ok(res, 'run -v dir:/data:ro');
    assert.equal(res.stdout, 'from-the-host\n');
    const name = `${PFX}-bind`;
    ok(await run(relaxed, ['create', '--name', name, '--network', 'none', '--mount', `type=bind,src=${bindDir},dst=/d,readonly`, BUSYBOX_IMAGE, 'cat', '/d/f']), 'create --mount type=bind,readonly');
    const c = await inspect(name);
    assert.deepEqual(
      (c.Mounts as { Type: string; Source: string; RW: boolean }[]).map((m) => [m.Type, m.Source, m.RW]),
      [['bind', bindDir, false]],
    );
    const started = await run(relaxed, ['start', '-a', name]);
    ok(started, 'start -a');
    assert.equal(started.stdout, 'from-the-host\n');
    await refused(relaxed, ['run', '--rm', '--network', 'none', '-v', `${bindDir}:/data`, BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_BIND_MOUNT');
    await refused(relaxed, ['run', '--rm', '--network', 'none', '-v', `${bindDir}/..:/data:ro`, BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_BIND_MOUNT');
    await refused(relaxed, ['run', '--rm', '--network', 'none', '-v', `${bindDir}x:/data:ro`, BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_BIND_MOUNT');
    await refused(ci, ['run', '--rm', '--network', 'none', '-v', `${bindDir}:/data:ro`, BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_BIND_MOUNT');
  });

  it('memory, pids and shm within the relaxed bounds pass; above them they are refused', async () => {
    const name = `${PFX}-limits`;
    ok(await run(relaxed, ['create', '--name', name, '--network', 'none', '--memory', '64m', '--pids-limit', '50', '--shm-size', '32m', BUSYBOX_IMAGE, 'true']), 'create with limits');
    const c = await inspect(name);
    assert.deepEqual([c.HostConfig.Memory, c.HostConfig.PidsLimit, c.HostConfig.ShmSize], [64 * 1024 * 1024, 50, 32 * 1024 * 1024]);
    for (const flags of [['--memory', '1g'], ['--pids-limit', '1000'], ['--shm-size', '1g']]) {
      await refused(relaxed, ['run', '--rm', '--network', 'none', ...flags, BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_RESOURCE_LIMIT');
    }
  });

  it('starting, restarting, pausing and unpausing a harmless container created on the daemon', async () => {
    const name = `${PFX}-direct`;
    const created = await api('POST', `/containers/create?name=${name}`, { Image: BUSYBOX_IMAGE, Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } });
    assert.equal(created.status, 201, created.text);
    ok(await run(ci, ['start', name]), 'start');
    assert.equal((await inspect(name)).State.Running, true);
    const startedAt = (await inspect(name)).State.StartedAt;
    ok(await run(ci, ['restart', '-t', '0', name]), 'restart');
    const after = await inspect(name);
    assert.equal(after.State.Running, true);
    assert.notEqual(after.State.StartedAt, startedAt);
    ok(await run(ci, ['pause', name]), 'pause');
    assert.equal((await inspect(name)).State.Paused, true);
    ok(await run(ci, ['unpause', name]), 'unpause');
    assert.equal((await inspect(name)).State.Paused, false);
  });

  it("joining a harmless container's namespaces", async () => {
    const pid = await run(ci, ['run', '--rm', '--pid', `container:${plain}`, '--network', `container:${plain}`, BUSYBOX_IMAGE, 'sh', '-c', 'ps -o comm | grep -c sleep']);
    ok(pid, 'run --pid container: --network container:');
    assert.ok(Number(pid.stdout.trim()) >= 1, pid.stdout);
  });

  it('harmless security options, log drivers and the default runtime', async () => {
    const name = `${PFX}-opts`;
    ok(
      await run(ci, ['create', '--name', name, '--network', 'none', '--security-opt', 'no-new-privileges', '--log-driver', 'none', '--runtime', 'runc', '--read-only', '--cap-drop', 'ALL', BUSYBOX_IMAGE, 'true']),
      'create with harmless options',
    );
    const c = await inspect(name);
    assert.deepEqual(c.HostConfig.SecurityOpt, ['no-new-privileges']);
    assert.equal(c.HostConfig.LogConfig.Type, 'none');
    assert.equal(c.HostConfig.Runtime, 'runc');
    ok(await run(ci, ['start', '-a', name]), 'start');
    const logged = await run(ci, ['run', '--rm', '--network', 'none', '--log-driver', 'json-file', '--log-opt', 'max-size=1m', BUSYBOX_IMAGE, 'echo', 'logged']);
    ok(logged, 'run --log-driver json-file');
    await refused(ci, ['run', '--rm', '--network', 'none', '--log-driver', 'syslog', BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_LOG_DRIVER');
    await refused(ci, ['run', '--rm', '--network', 'none', '--security-opt', 'seccomp=unconfined', BUSYBOX_IMAGE, 'true'], 'ContainerCreate', 'PC_DENIED_SECURITY_OPT');
  });
});
