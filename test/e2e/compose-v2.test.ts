/**
 * Compose v2 (`docker compose`, the CLI plugin from Debian trixie) through examples/hardened.yaml
 * and through the two tenants of examples/tenants.yaml, on whichever daemon the run targets. The
 * project builds its web image with the classic builder, publishes a port on 127.0.0.1, shares a
 * named volume and a user network with a worker that waits for web to be healthy
 * (`depends_on: condition: service_healthy`). Then ps, logs -f, exec, run --rm, cp, events and
 * down -v. Every outcome is checked on the daemon's own socket.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnDocker, waitFor } from './harness/background.js';
import { composeV2, composeV2Args } from './harness/compose.js';
import { composeV2Skip } from './harness/daemon-flavour.js';
import { dockerApi, type DockerResult, tokenConfigDir } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const OWNER_LABEL = 'io.portcullis.owner';

function ok(res: DockerResult, what: string): string {
  assert.equal(res.code, 0, `${what}: exit ${res.code}\n--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`);
  return res.stdout;
}

/** The project: web is built here (it writes `built` into /built) and turns healthy once it runs. */
async function writeProject(dir: string, image: string, built: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN echo ${built} > /built\n`);
  const file = join(dir, 'compose.yaml');
  await writeFile(
    file,
    `services:
  web:
    build: .
    image: ${image}
    command: ["sh", "-c", "echo web-up; touch /healthy; exec sleep 1000"]
    healthcheck:
      test: ["CMD", "test", "-f", "/healthy"]
      interval: 1s
      timeout: 5s
      retries: 60
    ports:
      - "127.0.0.1::80"
    volumes:
      - data:/data
    networks:
      - back
  worker:
    image: ${BUSYBOX_IMAGE}
    command: ["sh", "-c", "while true; do echo tick; sleep 1; done"]
    depends_on:
      web:
        condition: service_healthy
    volumes:
      - data:/data
    networks:
      - back
volumes:
  data: {}
networks:
  back: {}
`,
  );
  return file;
}

interface DaemonContainer {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  State: string;
  Status: string;
}

const q = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));

e2eSuite('Compose v2 through examples/hardened.yaml', (ctx) => {
  const project = `pcv2h${process.pid}`;
  const image = `pc-v2-${process.pid}-web:1`;
  const skip = composeV2Skip();
  let proxy: Proxy;
  let dir: string;
  let configDir: string;
  let file: string;
  const api = (method: string, path: string, body?: unknown) => dockerApi(ctx.dockerd.socket, method, path, body);
  const compose = (args: string[], timeoutMs?: number) => composeV2(proxy.host(), file, configDir, project, args, timeoutMs);
  const projectContainers = async (): Promise<DaemonContainer[]> =>
    (await api('GET', `/containers/json?all=1&filters=${q({ label: [`com.docker.compose.project=${project}`] })}`)).json as DaemonContainer[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-v2h-'));
    configDir = join(dir, 'docker-config');
    await mkdir(configDir);
    file = await writeProject(join(dir, 'project'), image, 'hardened');
    proxy = await startPortcullis({
      configYaml: await readFile(join(repoRoot, 'examples/hardened.yaml'), 'utf8'),
      env: { DOCKER_HOST: ctx.dockerd.host, PORTCULLIS_LISTEN: 'tcp://127.0.0.1:0' },
    });
  });

  after(async () => {
    await proxy?.stop();
    if (ctx.dockerd) {
      await Promise.all(((await projectContainers()) ?? []).map((c) => api('DELETE', `/containers/${c.Id}?force=1&v=1`)));
      await api('DELETE', `/volumes/${project}_data?force=1`);
      await api('DELETE', `/networks/${project}_back`);
      await api('DELETE', `/images/${image}?force=1`);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('up -d with build, healthy dependency, ps, logs -f, exec, run --rm, cp, events, down -v', { skip }, async () => {
    const events = await spawnDocker(proxy.host(), composeV2Args(file, project, ['events', '--json']), { configDir });
    try {
      ok(await compose(['up', '-d', '--build'], 180_000), 'docker compose up -d --build');

      // On the daemon: the built image, both services running, web healthy before worker started.
      const built = await api('GET', `/images/${image}/json`);
      assert.equal(built.status, 200, built.text);
      const running = await projectContainers();
      assert.deepEqual(running.map((c) => c.Labels['com.docker.compose.service']).sort(), ['web', 'worker']);
      assert.ok(running.every((c) => c.State === 'running'), JSON.stringify(running));
      const web = running.find((c) => c.Labels['com.docker.compose.service'] === 'web')!;
      const worker = running.find((c) => c.Labels['com.docker.compose.service'] === 'worker')!;
      const webState = (await api('GET', `/containers/${web.Id}/json`)).json;
      const workerState = (await api('GET', `/containers/${worker.Id}/json`)).json;
      assert.equal(webState.State.Health.Status, 'healthy');
      const firstHealthy = Date.parse(webState.State.Health.Log[0].End);
      assert.ok(Date.parse(workerState.State.StartedAt) >= firstHealthy, 'worker started before web was healthy');
      assert.equal(webState.HostConfig.NetworkMode, `${project}_back`);
      const ports = webState.NetworkSettings.Ports['80/tcp'] as { HostIp: string; HostPort: string }[];
      assert.ok(ports.length > 0 && ports.every((p) => p.HostIp === '127.0.0.1' && Number(p.HostPort) > 0), JSON.stringify(ports));
      assert.deepEqual(
        (workerState.Mounts as { Type: string; Name: string; Destination: string }[]).map((m) => [m.Type, m.Name, m.Destination]),
        [['volume', `${project}_data`, '/data']],
      );

      const ps = ok(await compose(['ps', '--format', '{{.Service}} {{.State}} {{.Status}} {{.Ports}}']), 'docker compose ps');
      assert.match(ps, /^web running Up .*\(healthy\) 127\.0\.0\.1:\d+->80\/tcp$/m, ps);
      assert.match(ps, /^worker running Up/m, ps);

      const logs = await spawnDocker(proxy.host(), composeV2Args(file, project, ['logs', '-f', '--no-color', 'worker']), { configDir });
      try {
        await logs.waitForStdout(/(tick[\s\S]*){3}/, 20_000);
      } finally {
        await logs.stop();
      }

      // exec and the shared volume: web writes, worker reads.
      ok(await compose(['exec', '-T', 'web', 'sh', '-c', 'cat /built > /data/from-web']), 'docker compose exec web');
      assert.equal(ok(await compose(['exec', '-T', 'worker', 'cat', '/data/from-web']), 'docker compose exec worker').trim(), 'hardened');

      // run --rm: a one-off container on the project network, gone afterwards.
      const before = (await projectContainers()).length;
      const ran = ok(await compose(['run', '--rm', '--no-deps', 'worker', 'nslookup', 'web']), 'docker compose run --rm');
      assert.match(ran, /Address:? .*\d+\.\d+\.\d+\.\d+/, ran);
      await waitFor('the run --rm container to be removed', async () => (await projectContainers()).length === before, 20_000);

      // cp both ways.
      const local = join(dir, 'copied');
      ok(await compose(['cp', 'web:/built', local]), 'docker compose cp out');
      assert.equal((await readFile(local, 'utf8')).trim(), 'hardened');
      await writeFile(join(dir, 'into'), 'copied-in\n');
      ok(await compose(['cp', join(dir, 'into'), 'worker:/data/into']), 'docker compose cp in');
      assert.equal(ok(await compose(['exec', '-T', 'web', 'cat', '/data/into']), 'exec cat').trim(), 'copied-in');

      // events, opened before up: the project's lifecycle as compose reports it, through the proxy's event stream.
      await events.waitForStdout(/"action":"exec_start: cat \/data\/into"/, 20_000);
      const seen = events.stdout().trim().split('\n').map((l) => JSON.parse(l) as { action: string; service: string });
      for (const [action, service] of [['create', 'web'], ['start', 'web'], ['health_status: healthy', 'web'], ['start', 'worker'], ['exec_start: cat /data/into', 'web']]) {
        assert.ok(seen.some((e) => e.action === action && e.service === service), `no ${action} of ${service} in:\n${events.stdout()}`);
      }
    } finally {
      await events.stop();
    }

    ok(await compose(['down', '-v']), 'docker compose down -v');
    assert.deepEqual(await projectContainers(), []);
    assert.equal((await api('GET', `/networks/${project}_back`)).status, 404);
    assert.equal((await api('GET', `/volumes/${project}_data`)).status, 404);
  });

  it('refusals reach the user through compose: a port on every interface', { skip }, async () => {
    const bad = join(dir, 'bad');
    await mkdir(bad);
    const badFile = join(bad, 'compose.yaml');
    await writeFile(badFile, `services:\n  x:\n    image: ${BUSYBOX_IMAGE}\n    command: sleep 1000\n    ports: ["8080:80"]\n`);
    const res = await composeV2(proxy.host(), badFile, configDir, `${project}bad`, ['up', '-d']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /portcullis: ContainerCreate denied: .*HostIp is empty.*\(rule PC_DENIED_PORT_BINDING\)/);
    const left = await api('GET', `/containers/json?all=1&filters=${q({ label: [`com.docker.compose.project=${project}bad`] })}`);
    assert.deepEqual(left.json, []);
    ok(await composeV2(proxy.host(), badFile, configDir, `${project}bad`, ['down', '-v']), 'down of the refused project');
  });
});

e2eSuite('Compose v2: two tenants, one project name (examples/tenants.yaml)', (ctx) => {
  const TENANTS = ['alice', 'bob'] as const;
  type Tenant = (typeof TENANTS)[number];
  const project = `pcv2t${process.pid}`;
  const imageOf = (who: Tenant) => `pc-v2-${process.pid}-${who}:1`;
  // Each tenant's image names live in its own tag space on the daemon (docs/tenancy.md).
  const daemonImageOf = (who: Tenant) => `pc-v2-${process.pid}-${who}:__${who}.1`;
  const skip = composeV2Skip();
  const tokens: Record<Tenant, string> = { alice: randomBytes(32).toString('hex'), bob: randomBytes(32).toString('hex') };
  const configDirs = {} as Record<Tenant, string>;
  const files = {} as Record<Tenant, string>;
  let proxy: Proxy;
  let dir: string;
  const api = (method: string, path: string, body?: unknown) => dockerApi(ctx.dockerd.socket, method, path, body);
  const composeAs = (who: Tenant, args: string[], timeoutMs?: number) => composeV2(proxy.host(), files[who], configDirs[who], project, args, timeoutMs);
  const other = (who: Tenant): Tenant => (who === 'alice' ? 'bob' : 'alice');

  /** The project's containers on the daemon, by owner. */
  async function onDaemon(): Promise<Record<Tenant, DaemonContainer[]>> {
    const res = await api('GET', `/containers/json?all=1&filters=${q({ label: [`com.docker.compose.project=${project}`] })}`);
    assert.equal(res.status, 200, res.text);
    const all = res.json as DaemonContainer[];
    return { alice: all.filter((c) => c.Labels[OWNER_LABEL] === 'alice'), bob: all.filter((c) => c.Labels[OWNER_LABEL] === 'bob') };
  }

  async function cleanup(): Promise<void> {
    const res = await api('GET', `/containers/json?all=1&filters=${q({ label: [`com.docker.compose.project=${project}`] })}`);
    await Promise.all(((res.json as { Id: string }[] | undefined) ?? []).map((c) => api('DELETE', `/containers/${c.Id}?force=1&v=1`)));
    for (const who of TENANTS) {
      await api('DELETE', `/networks/${who}.${project}_back`);
      await api('DELETE', `/volumes/${who}.${project}_data?force=1`);
      await api('DELETE', `/images/${daemonImageOf(who)}?force=1`);
    }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-v2t-'));
    for (const who of TENANTS) {
      configDirs[who] = await tokenConfigDir(join(dir, `docker-config-${who}`), tokens[who]);
      files[who] = await writeProject(join(dir, who), imageOf(who), who);
    }
    await cleanup();
    proxy = await startPortcullis({
      configYaml: await readFile(join(repoRoot, 'examples/tenants.yaml'), 'utf8'),
      env: { PORTCULLIS_LISTEN: 'tcp://127.0.0.1:0', ALICE_TOKEN: tokens.alice, BOB_TOKEN: tokens.bob, DOCKER_HOST: ctx.dockerd.host },
    });
  });

  after(async () => {
    await proxy?.stop();
    if (ctx.dockerd) await cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('both build and bring up the same project at once, each in its own name space, and take it down again', { skip }, async () => {
    const events = {} as Record<Tenant, Awaited<ReturnType<typeof spawnDocker>>>;
    for (const who of TENANTS) events[who] = await spawnDocker(proxy.host(), composeV2Args(files[who], project, ['events', '--json']), { configDir: configDirs[who] });
    try {
      const ups = await Promise.all(TENANTS.map((who) => composeAs(who, ['up', '-d', '--build'], 240_000)));
      TENANTS.forEach((who, i) => ok(ups[i]!, `${who}: docker compose up -d --build`));

      const daemon = await onDaemon();
      for (const who of TENANTS) {
        assert.deepEqual(daemon[who].map((c) => c.Names[0]).sort(), [`/${who}.${project}-web-1`, `/${who}.${project}-worker-1`], `${who}'s containers on the daemon`);
        assert.ok(daemon[who].every((c) => c.State === 'running'), JSON.stringify(daemon[who]));
        for (const [kind, name] of [['networks', `${who}.${project}_back`], ['volumes', `${who}.${project}_data`]] as const) {
          const res = await api('GET', `/${kind}/${name}`);
          assert.equal(res.status, 200, res.text);
          assert.equal((res.json as { Labels: Record<string, string> }).Labels[OWNER_LABEL], who);
        }
        const web = daemon[who].find((c) => c.Labels['com.docker.compose.service'] === 'web')!;
        const state = (await api('GET', `/containers/${web.Id}/json`)).json;
        assert.equal(state.State.Health.Status, 'healthy');
        assert.equal(state.Config.Image, daemonImageOf(who));
        assert.deepEqual(Object.keys(state.NetworkSettings.Networks), [`${who}.${project}_back`]);
        // tenants.yaml gives every container a memory limit
        assert.equal(state.HostConfig.Memory, 256 * 1024 * 1024);

        const ps = ok(await composeAs(who, ['ps', '--format', '{{.Name}} {{.State}} {{.Status}}']), `${who}: docker compose ps`);
        assert.match(ps, new RegExp(`^${project}-web-1 running Up .*\\(healthy\\)$`, 'm'), ps);
        assert.match(ps, new RegExp(`^${project}-worker-1 running Up`, 'm'), ps);
        assert.ok(!ps.includes('alice.') && !ps.includes('bob.'), ps);
      }

      for (const who of TENANTS) {
        const logs = await spawnDocker(proxy.host(), composeV2Args(files[who], project, ['logs', '-f', '--no-color', 'worker']), { configDir: configDirs[who] });
        try {
          await logs.waitForStdout(/(tick[\s\S]*){2}/, 20_000);
        } finally {
          await logs.stop();
        }
        // Each project's volume: web writes its build's content, its own worker reads it.
        ok(await composeAs(who, ['exec', '-T', 'web', 'sh', '-c', 'cat /built > /data/from-web']), `${who}: exec web`);
      }
      for (const who of TENANTS) {
        assert.equal(ok(await composeAs(who, ['exec', '-T', 'worker', 'cat', '/data/from-web']), `${who}: exec worker`).trim(), who);
        assert.equal(ok(await composeAs(who, ['run', '--rm', '--no-deps', 'worker', 'cat', '/data/from-web']), `${who}: run --rm`).trim(), who);
        const local = join(dir, `${who}-copied`);
        ok(await composeAs(who, ['cp', 'web:/built', local]), `${who}: cp`);
        assert.equal((await readFile(local, 'utf8')).trim(), who);
      }
      await waitFor('the run --rm containers to be removed', async () => {
        const d = await onDaemon();
        return d.alice.length === 2 && d.bob.length === 2;
      }, 20_000);

      for (const who of TENANTS) {
        await events[who].waitForStdout(/"action":"exec_start: cat \/data\/from-web"/, 20_000);
        const out = events[who].stdout();
        for (const c of daemon[other(who)]) assert.ok(!out.includes(c.Id), `${who} saw an event of ${other(who)}'s ${c.Id}:\n${out}`);
        for (const c of daemon[who]) assert.ok(out.includes(c.Id), `${who} missed the events of its own ${c.Names[0]}:\n${out}`);
        assert.ok(!out.includes(`${who}.`) && !out.includes(`${other(who)}.`), `${who}'s events show a prefixed name:\n${out}`);
      }
    } finally {
      for (const who of TENANTS) await events[who].stop();
    }

    const downs = await Promise.all(TENANTS.map((who) => composeAs(who, ['down', '-v'])));
    TENANTS.forEach((who, i) => ok(downs[i]!, `${who}: docker compose down -v`));
    const left = await onDaemon();
    assert.deepEqual([...left.alice, ...left.bob], []);
    for (const who of TENANTS) {
      assert.equal((await api('GET', `/networks/${who}.${project}_back`)).status, 404);
      assert.equal((await api('GET', `/volumes/${who}.${project}_data`)).status, 404);
    }
  });
});
