/**
 * examples/hardened.yaml does not get in the way of ordinary work: Compose 1.29 (docker-py, a
 * client other than the docker CLI) brings up and tears down a two-service project with a named
 * volume, a user network and a port published on 127.0.0.1, and the classic builder builds an
 * image with a RUN step. Each outcome is checked on the daemon's own socket.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compose as runCompose, composeRequired, twoServiceProject } from './harness/compose.js';
import { docker, dockerApi, type DockerResult } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/hardened.yaml', import.meta.url));
const PROJECT = `pccb${process.pid}`;
const IMAGE = `pc-cb-${process.pid}-x:1`;

const COMPOSE_FILE = twoServiceProject(BUSYBOX_IMAGE, true);

function compose(host: string, dir: string, configDir: string, args: string[], timeoutMs = 120_000): Promise<DockerResult> {
  return runCompose(host, dir, configDir, PROJECT, args, timeoutMs);
}

function ok(res: DockerResult, what: string): void {
  assert.equal(res.code, 0, `${what}: exit ${res.code}\n--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`);
}

e2eSuite('docker-compose and the classic builder through examples/hardened.yaml', (ctx) => {
  let proxy: Proxy;
  let dir: string;
  let configDir: string;

  const api = (method: string, path: string, body?: unknown) => dockerApi(ctx.dockerd.socket, method, path, body);
  const projectFilter = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${PROJECT}`] }));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-cb-'));
    configDir = await mkdtemp(join(tmpdir(), 'pc-cb-cfg-'));
    await writeFile(join(dir, 'docker-compose.yml'), COMPOSE_FILE);
    await writeFile(join(dir, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN echo hi > /f\n`);
    proxy = await startPortcullis({
      configYaml: await readFile(EXAMPLE, 'utf8'),
      env: { DOCKER_HOST: ctx.dockerd.host, PORTCULLIS_LISTEN: 'tcp://127.0.0.1:0' },
    });
  });

  after(async () => {
    await proxy?.stop();
    const containers = await api('GET', `/containers/json?all=1&filters=${projectFilter}`);
    await Promise.all((containers.json as { Id: string }[]).map((c) => api('DELETE', `/containers/${c.Id}?force=1&v=1`)));
    await api('DELETE', `/volumes/${PROJECT}_data?force=1`);
    await api('DELETE', `/networks/${PROJECT}_back`);
    await api('DELETE', `/images/${IMAGE}?force=1`);
    await Promise.all([dir, configDir].filter(Boolean).map((d) => rm(d, { recursive: true, force: true })));
  });

  const composeTool = composeRequired();
  it('docker-compose up -d, ps and down -v', { skip: composeTool.skip }, async () => {
    composeTool.check();
    const up = await compose(proxy.host(), dir, configDir, ['up', '-d']);
    ok(up, 'docker-compose up -d');

    const listed = await api('GET', `/containers/json?filters=${projectFilter}`);
    const running = listed.json as { Names: string[]; Labels: Record<string, string>; State: string }[];
    assert.deepEqual(running.map((c) => c.Labels['com.docker.compose.service']).sort(), ['web', 'worker'], listed.text);
    assert.ok(running.every((c) => c.State === 'running'), listed.text);

    const network = await api('GET', `/networks/${PROJECT}_back`);
    assert.equal(network.status, 200, network.text);
    assert.equal(network.json.Driver, 'bridge');
    const volume = await api('GET', `/volumes/${PROJECT}_data`);
    assert.equal(volume.status, 200, volume.text);
    assert.equal(volume.json.Driver, 'local');

    for (const service of ['web', 'worker']) {
      const c = running.find((x) => x.Labels['com.docker.compose.service'] === service)!;
      const inspected = await api('GET', `/containers/${c.Names[0]!.slice(1)}/json`);
      assert.equal(inspected.status, 200);
      const hc = inspected.json.HostConfig;
      assert.equal(hc.Privileged, false);
      assert.equal(hc.NetworkMode, `${PROJECT}_back`);
      assert.deepEqual(
        (inspected.json.Mounts as { Type: string; Name: string; Destination: string }[]).map((m) => [m.Type, m.Name, m.Destination]),
        [['volume', `${PROJECT}_data`, '/data']],
      );
      if (service === 'web') {
        const ports = inspected.json.NetworkSettings.Ports['80/tcp'] as { HostIp: string; HostPort: string }[];
        assert.ok(ports.length > 0 && ports.every((p) => p.HostIp === '127.0.0.1' && Number(p.HostPort) > 0), JSON.stringify(ports));
      }
    }

    const ps = await compose(proxy.host(), dir, configDir, ['ps']);
    ok(ps, 'docker-compose ps');
    assert.match(ps.stdout, new RegExp(`^${PROJECT}_web_1 .* Up .*127\\.0\\.0\\.1:\\d+->80/tcp`, 'm'), ps.stdout);
    assert.match(ps.stdout, new RegExp(`^${PROJECT}_worker_1 .* Up`, 'm'), ps.stdout);

    const down = await compose(proxy.host(), dir, configDir, ['down', '-v']);
    ok(down, 'docker-compose down -v');
    const left = await api('GET', `/containers/json?all=1&filters=${projectFilter}`);
    assert.deepEqual(left.json, [], left.text);
    assert.equal((await api('GET', `/networks/${PROJECT}_back`)).status, 404);
    assert.equal((await api('GET', `/volumes/${PROJECT}_data`)).status, 404);
  });

  it('DOCKER_BUILDKIT=0 docker build of FROM busybox + RUN', async () => {
    const res = await buildIn(proxy.host(), dir);
    ok(res, 'docker build');
    const image = await api('GET', `/images/${IMAGE}/json`);
    assert.equal(image.status, 200, image.text);
    const check = await docker(proxy.host(), ['run', '--rm', '--network', 'none', IMAGE, 'cat', '/f']);
    ok(check, 'docker run of the built image');
    assert.equal(check.stdout, 'hi\n');
  });

  /**
   * `DOCKER_BUILDKIT=0 docker build -t IMAGE <dir>` (dockerEnv sets DOCKER_BUILDKIT=0 already; stated
   * again because it is the point). The harness's docker() has no cwd option, so the context is a path.
   */
  function buildIn(host: string, context: string): Promise<DockerResult> {
    return docker(host, ['build', '-t', IMAGE, context], { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000 });
  }
});
