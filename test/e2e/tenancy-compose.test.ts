/**
 * The two tenants of examples/tenants.yaml run `docker-compose up -d` (Compose 1.29, docker-py) on
 * the same compose file with the same project name at the same time. Per-tenant name prefixes let
 * both succeed: on the daemon each project's containers, network and volume carry the tenant's
 * prefix and owner label, while each tenant sees only its own, under the names compose chose,
 * in lists, inspect, `system df` and the events stream, and compose's second `up` finds its
 * containers up to date. Everything is checked against the daemon's own socket.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnDocker, untilDelivered, type BackgroundDocker } from './harness/background.js';
import { compose, composeRequired, twoServiceProject } from './harness/compose.js';
import { docker, dockerApi, type DockerResult, tokenConfigDir } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const OWNER_LABEL = 'io.portcullis.owner';
const PROJECT = `pcten${process.pid}`;
const TENANTS = ['alice', 'bob'] as const;
type Tenant = (typeof TENANTS)[number];

const COMPOSE_FILE = twoServiceProject(BUSYBOX_IMAGE, false);

function ok(res: DockerResult, what: string): string {
  assert.equal(res.code, 0, `${what}: exit ${res.code}\n--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`);
  return res.stdout;
}

interface DaemonContainer {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
}

e2eSuite('two tenants, one compose project name (examples/tenants.yaml)', (ctx) => {
  let proxy: Proxy;
  let dir: string;
  const configDirs = {} as Record<Tenant, string>;
  const tokens: Record<Tenant, string> = { alice: randomBytes(32).toString('hex'), bob: randomBytes(32).toString('hex') };
  const events = {} as Record<Tenant, BackgroundDocker>;
  const composeTool = composeRequired();

  const api = (method: string, path: string, body?: unknown) => dockerApi(ctx.dockerd.socket, method, path, body);
  const q = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));
  const as = (who: Tenant, args: string[]) => docker(proxy.host(), args, { dockerConfigDir: configDirs[who], timeoutMs: 60_000 });
  const composeAs = (who: Tenant, args: string[]) => compose(proxy.host(), dir, configDirs[who], PROJECT, args);

  /** The project's containers on the daemon, by owner. */
  async function onDaemon(): Promise<Record<Tenant, DaemonContainer[]>> {
    const res = await api('GET', `/containers/json?all=1&filters=${q({ label: [`com.docker.compose.project=${PROJECT}`] })}`);
    assert.equal(res.status, 200, res.text);
    const all = res.json as DaemonContainer[];
    return { alice: all.filter((c) => c.Labels[OWNER_LABEL] === 'alice'), bob: all.filter((c) => c.Labels[OWNER_LABEL] === 'bob') };
  }

  async function cleanup(): Promise<void> {
    const res = await api('GET', `/containers/json?all=1&filters=${q({ label: [`com.docker.compose.project=${PROJECT}`] })}`);
    await Promise.all(((res.json as { Id: string }[] | undefined) ?? []).map((c) => api('DELETE', `/containers/${c.Id}?force=1&v=1`)));
    for (const who of TENANTS) {
      await api('DELETE', `/networks/${who}.${PROJECT}_back`);
      await api('DELETE', `/volumes/${who}.${PROJECT}_data?force=1`);
    }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-tencompose-'));
    await writeFile(join(dir, 'docker-compose.yml'), COMPOSE_FILE);
    for (const who of TENANTS) {
      configDirs[who] = await tokenConfigDir(join(dir, `docker-config-${who}`), tokens[who]);
    }
    await cleanup();
    proxy = await startPortcullis({
      configYaml: await readFile(join(repoRoot, 'examples/tenants.yaml'), 'utf8'),
      env: { PORTCULLIS_LISTEN: 'tcp://127.0.0.1:0', ALICE_TOKEN: tokens.alice, BOB_TOKEN: tokens.bob, DOCKER_HOST: ctx.dockerd.host },
    });
  });

  after(async () => {
    for (const who of TENANTS) await events[who]?.stop();
    await proxy?.stop();
    if (ctx.dockerd) await cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('both tenants bring the same project up at once; each sees only its own containers, network and volume', { skip: composeTool.skip }, async () => {
    composeTool.check();
    const format = '{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}';
    for (const who of TENANTS) {
      events[who] = await spawnDocker(proxy.host(), ['events', '--format', format], { configDir: configDirs[who] });
    }
    // Each stream is subscribed once it has delivered a container of its own tenant's, made and removed through the proxy.
    for (const who of TENANTS) {
      await untilDelivered(events[who]!, `${who}'s events stream to deliver a warm-up container`, async (attempt) => {
        const name = `pc-tencw-${who}${attempt}-${process.pid}`;
        ok(await as(who, ['create', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'true']), `${who}: docker create ${name}`);
        ok(await as(who, ['rm', name]), `${who}: docker rm ${name}`);
        return new RegExp(`^container destroy \\S+ ${name}$`, 'm');
      });
    }

    const [aliceUp, bobUp] = await Promise.all(TENANTS.map((who) => composeAs(who, ['up', '-d'])));
    ok(aliceUp!, 'alice: docker-compose up -d');
    ok(bobUp!, 'bob: docker-compose up -d');

    // On the daemon: two projects, each in its tenant's name space and labelled with its owner.
    const daemon = await onDaemon();
    for (const who of TENANTS) {
      const names = daemon[who].map((c) => c.Names[0]).sort();
      assert.deepEqual(names, [`/${who}.${PROJECT}_web_1`, `/${who}.${PROJECT}_worker_1`], `${who}'s containers on the daemon`);
      const net = await api('GET', `/networks/${who}.${PROJECT}_back`);
      assert.equal(net.status, 200, net.text);
      assert.equal((net.json as { Labels: Record<string, string> }).Labels[OWNER_LABEL], who);
      const vol = await api('GET', `/volumes/${who}.${PROJECT}_data`);
      assert.equal(vol.status, 200, vol.text);
      assert.equal((vol.json as { Labels: Record<string, string> }).Labels[OWNER_LABEL], who);
      // each container sits on its own tenant's network only
      for (const c of daemon[who]) assert.deepEqual(Object.keys(c.NetworkSettings.Networks), [`${who}.${PROJECT}_back`]);
    }

    for (const who of TENANTS) {
      const other: Tenant = who === 'alice' ? 'bob' : 'alice';
      const mine = daemon[who].map((c) => c.Id).sort();
      // docker ps: exactly the tenant's own containers, under the names compose gave them
      const ps = ok(await as(who, ['ps', '-a', '--no-trunc', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.ID}} {{.Names}}']), `${who}: docker ps`);
      const rows = ps.trim().split('\n').sort();
      assert.deepEqual(rows.map((r) => r.split(' ')[0]).sort(), mine, `${who}: docker ps lists other containers:\n${ps}`);
      assert.deepEqual(rows.map((r) => r.split(' ')[1]).sort(), [`${PROJECT}_web_1`, `${PROJECT}_worker_1`]);
      // docker-compose ps finds its services by label through the proxy
      const cps = ok(await composeAs(who, ['ps']), `${who}: docker-compose ps`);
      assert.match(cps, new RegExp(`${PROJECT}_web_1 .*Up`));
      assert.match(cps, new RegExp(`${PROJECT}_worker_1 .*Up`));
      // networks and volumes: the tenant's own, by the names compose chose
      const netLs = ok(await as(who, ['network', 'ls', '--no-trunc', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.ID}} {{.Name}}']), `${who}: network ls`);
      const netId = ((await api('GET', `/networks/${who}.${PROJECT}_back`)).json as { Id: string }).Id;
      assert.equal(netLs.trim(), `${netId} ${PROJECT}_back`);
      const volLs = ok(await as(who, ['volume', 'ls', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Name}}']), `${who}: volume ls`);
      assert.equal(volLs.trim(), `${PROJECT}_data`);
      // inspect shows the names the tenant knows
      const web = daemon[who].find((c) => c.Labels['com.docker.compose.service'] === 'web')!;
      const shown = ok(await as(who, ['container', 'inspect', '--format', '{{.Name}} {{.HostConfig.NetworkMode}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}', `${PROJECT}_web_1`]), `${who}: inspect`);
      assert.equal(shown.trim(), `/${PROJECT}_web_1 ${PROJECT}_back ${PROJECT}_back`);
      assert.equal(ok(await as(who, ['container', 'inspect', '--format', '{{.Id}}', `${PROJECT}_web_1`]), `${who}: inspect id`).trim(), web.Id);
      // the other tenant's objects are not there for it, by ID either
      const theirs = daemon[other].find((c) => c.Labels['com.docker.compose.service'] === 'web')!;
      const hidden = await as(who, ['container', 'inspect', theirs.Id]);
      assert.notEqual(hidden.code, 0);
      assert.match(hidden.stderr, new RegExp(`No such container: ${theirs.Id}`));
    }

    // Separate volumes and networks: what alice's web writes, only alice's worker reads, and each
    // worker finds its own project's web by the service name.
    for (const who of TENANTS) ok(await composeAs(who, ['exec', '-T', 'web', 'sh', '-c', `echo ${who} > /data/owner`]), `${who}: exec web`);
    for (const who of TENANTS) {
      assert.equal(ok(await composeAs(who, ['exec', '-T', 'worker', 'cat', '/data/owner']), `${who}: exec worker`).trim(), who);
      const web = daemon[who].find((c) => c.Labels['com.docker.compose.service'] === 'web')!;
      const ip = web.NetworkSettings.Networks[`${who}.${PROJECT}_back`]!.IPAddress;
      const lookup = ok(await composeAs(who, ['exec', '-T', 'worker', 'nslookup', 'web']), `${who}: nslookup web`);
      assert.ok(lookup.includes(ip), `${who}'s worker resolves web to something else than ${ip}:\n${lookup}`);
    }

    // A second `up` finds everything as compose left it (what the proxy shows matches what compose asked for).
    const again = await composeAs('alice', ['up', '-d']);
    ok(again, 'alice: second docker-compose up -d');
    assert.match(again.stderr, new RegExp(`${PROJECT}_web_1 is up-to-date`));
    assert.deepEqual((await onDaemon()).alice.map((c) => c.Id).sort(), daemon.alice.map((c) => c.Id).sort(), 'the second up recreated containers');

    // system df: only one's own containers and volumes
    for (const who of TENANTS) {
      const other: Tenant = who === 'alice' ? 'bob' : 'alice';
      const df = ok(await as(who, ['system', 'df', '-v']), `${who}: system df -v`);
      for (const c of daemon[who]) assert.ok(df.includes(c.Id.slice(0, 12)), `${who}'s df lacks ${c.Id}:\n${df}`);
      for (const c of daemon[other]) assert.ok(!df.includes(c.Id.slice(0, 12)), `${who}'s df shows ${other}'s ${c.Id}:\n${df}`);
      assert.ok(!df.includes(`${other}.`) && !df.includes(`${who}.`), `${who}'s df shows a prefixed name:\n${df}`);
    }

    // Events: each stream saw its own project come up, by the names compose gave, and nothing of the other's.
    for (const who of TENANTS) {
      const other: Tenant = who === 'alice' ? 'bob' : 'alice';
      await events[who]!.waitForStdout(new RegExp(`^container start \\S+ ${PROJECT}_worker_1$`, 'm'));
      const out = events[who]!.stdout();
      const theirIds = daemon[other].map((c) => c.Id);
      const netOf = async (t: Tenant) => ((await api('GET', `/networks/${t}.${PROJECT}_back`)).json as { Id: string }).Id;
      assert.match(out, new RegExp(`^network create ${await netOf(who)} ${PROJECT}_back$`, 'm'), out);
      assert.match(out, new RegExp(`^volume create ${PROJECT}_data( |$)`, 'm'), out);
      for (const c of daemon[who]) assert.match(out, new RegExp(`^container create ${c.Id} `, 'm'));
      for (const id of [...theirIds, await netOf(other)]) assert.ok(!out.includes(id), `${who} saw an event of ${other}'s ${id}:\n${out}`);
      assert.ok(!out.includes(`${who}.`) && !out.includes(`${other}.`), `${who}'s events show a prefixed name:\n${out}`);
      await events[who]!.stop();
    }

    // Both take their project down at once; the other's is untouched until its own down.
    const [aliceDown, bobDown] = await Promise.all(TENANTS.map((who) => composeAs(who, ['down', '-v'])));
    ok(aliceDown!, 'alice: docker-compose down -v');
    ok(bobDown!, 'bob: docker-compose down -v');
    const left = await onDaemon();
    assert.deepEqual([...left.alice, ...left.bob], []);
    for (const who of TENANTS) {
      assert.equal((await api('GET', `/networks/${who}.${PROJECT}_back`)).status, 404);
      assert.equal((await api('GET', `/volumes/${who}.${PROJECT}_data`)).status, 404);
    }
  });
});
