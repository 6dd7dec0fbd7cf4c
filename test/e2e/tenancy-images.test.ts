/**
 * Images belong to tenants, with the real docker CLI through real proxy processes on
 * examples/tenants.yaml. Alice builds `app:1`; every way bob has to re-point, remove or replace it
 * (tag, build -t, commit, import, load, rmi, image prune -a) leaves alice's `app:1` resolving to
 * her image ID on the daemon, and bob never sees alice's image. Two tenants building and running
 * the same `same:1` at the same time, each through its own proxy process, each get their own, and
 * see the name they gave in ps, inspect and events.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { docker, dockerApi, type DockerResult, tokenConfigDir } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { httpRequest } from './harness/wire.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

type Tenant = 'alice' | 'bob';

e2eSuite('tenancy: images belong to tenants (examples/tenants.yaml)', (ctx) => {
  /** alice talks to one proxy process, bob to another, both in front of the same daemon */
  const proxies = {} as Record<Tenant, Proxy>;
  let workDir: string;
  const configDirs = {} as Record<Tenant, string>;
  const tokens: Record<Tenant, string> = { alice: randomBytes(32).toString('hex'), bob: randomBytes(32).toString('hex') };
  const pid = process.pid;
  const app = `pc-img-app-${pid}`;
  const same = `pc-img-same-${pid}`;
  let aliceId: string;

  const as = (who: Tenant, args: string[], input?: Buffer): Promise<DockerResult> =>
    docker(proxies[who].host(), args, { dockerConfigDir: configDirs[who], timeoutMs: 180_000, ...(input === undefined ? {} : { input }) });
  const must = async (who: Tenant, args: string[], input?: Buffer): Promise<string> => {
    const r = await as(who, args, input);
    assert.equal(r.code, 0, `${who}: docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const refused = async (who: Tenant, args: string[], re: RegExp): Promise<void> => {
    const r = await as(who, args);
    assert.notEqual(r.code, 0, `${who}: docker ${args.join(' ')} succeeded: ${r.stdout}`);
    assert.match(r.stderr, re, `${who}: docker ${args.join(' ')}`);
  };
  const daemon = (method: string, path: string, body?: unknown) => dockerApi(ctx.dockerd.socket, method, path, body);
  /** The image ID a daemon name resolves to, on the daemon socket; null when none. */
  const onDaemon = async (name: string): Promise<string | null> => {
    const res = await daemon('GET', `/images/${encodeURIComponent(name)}/json`);
    if (res.status === 404) return null;
    assert.equal(res.status, 200, res.text);
    return res.json.Id as string;
  };
  /** The verdict every attack is judged by: alice's name on the daemon still is her image. */
  const aliceIntact = async (after: string): Promise<void> => {
    assert.equal(await onDaemon(`${app}:__alice.1`), aliceId, `after ${after}, alice's ${app}:1 is not her image on the daemon`);
    assert.equal(await onDaemon(`${app}:1`), null, `after ${after}, a shared ${app}:1 exists on the daemon`);
  };

  async function context(name: string, who: string): Promise<string> {
    const dir = join(workDir, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN echo ${who} > /who\n`);
    return dir;
  }

  async function cleanupDaemon(): Promise<void> {
    const list = await daemon('GET', '/images/json?all=1');
    for (const img of (list.json as { Id: string; RepoTags: string[] | null }[] | undefined) ?? []) {
      if ((img.RepoTags ?? []).some((t) => t.startsWith('pc-img-') || t.startsWith('localhost:1/pc-img-'))) await daemon('DELETE', `/images/${img.Id}?force=1`);
    }
    const cs = await daemon('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: ['io.portcullis.owner'] }))}`);
    for (const c of (cs.json as { Id: string }[] | undefined) ?? []) await daemon('DELETE', `/containers/${c.Id}?force=1`);
  }

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'pc-tenancy-images-'));
    for (const who of ['alice', 'bob'] as const) {
      configDirs[who] = await tokenConfigDir(join(workDir, `docker-config-${who}`), tokens[who]);
    }
    await cleanupDaemon();
    const configYaml = await readFile(join(repoRoot, 'examples/tenants.yaml'), 'utf8');
    const env = { PORTCULLIS_LISTEN: 'tcp://127.0.0.1:0', ALICE_TOKEN: tokens.alice, BOB_TOKEN: tokens.bob, DOCKER_HOST: ctx.dockerd.host };
    [proxies.alice, proxies.bob] = await Promise.all([startPortcullis({ configYaml, env }), startPortcullis({ configYaml, env })]);
    const out = await must('alice', ['build', '-t', `${app}:1`, await context('alice', 'alice')]);
    assert.match(out, new RegExp(`Successfully tagged ${app}:1\\n`), out);
    assert.ok(!out.includes('__alice'), `the build output shows the daemon's name:\n${out}`);
    aliceId = (await onDaemon(`${app}:__alice.1`))!;
    assert.match(aliceId, /^sha256:[0-9a-f]{64}$/);
  });

  after(async () => {
    await Promise.all([proxies.alice?.stop(), proxies.bob?.stop()]);
    if (ctx.dockerd) await cleanupDaemon();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('alice runs, inspects and lists her app:1 under the name she gave', async () => {
    assert.equal((await must('alice', ['run', '--rm', '--network', 'none', `${app}:1`, 'cat', '/who'])).trim(), 'alice');
    assert.equal((await must('alice', ['image', 'inspect', '--format', '{{.Id}} {{json .RepoTags}}', `${app}:1`])).trim(), `${aliceId} ["${app}:1"]`);
    const listed = await must('alice', ['images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    assert.ok(listed.includes(`${app}:1 ${aliceId}`), listed);
    assert.ok(!listed.includes('__'), listed);
    // Shared images (busybox:local, loaded on the daemon socket) are there for both.
    assert.ok(listed.includes(BUSYBOX_IMAGE), listed);
  });

  it('bob cannot see alice\'s image: not listed, not by name, daemon name, ID or prefix', async () => {
    const listed = await must('bob', ['images', '-a', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    assert.ok(!listed.includes(aliceId) && !listed.includes(app), `bob lists alice's image:\n${listed}`);
    assert.ok(listed.includes(BUSYBOX_IMAGE), listed);
    for (const ref of [`${app}:1`, `${app}:__alice.1`, aliceId, aliceId.slice(7, 19)]) {
      await refused('bob', ['image', 'inspect', ref], /No such image/);
      await refused('bob', ['history', ref], /No such image/);
      await refused('bob', ['run', '--rm', '--network', 'none', '--pull', 'never', ref, 'true'], /No such image|not found|Unable to find/i);
    }
    const df = await must('bob', ['system', 'df', '-v']);
    assert.ok(!df.includes(app) && !df.includes(aliceId.slice(7, 19)), df);
  });

  it('bob tags, builds, commits and imports over app:1: each lands in his own space, alice\'s is untouched', async () => {
    await must('bob', ['tag', BUSYBOX_IMAGE, `${app}:1`]);
    await aliceIntact('bob tag');
    const busyboxId = await onDaemon(BUSYBOX_IMAGE);
    assert.equal(await onDaemon(`${app}:__bob.1`), busyboxId);

    const out = await must('bob', ['build', '-t', `${app}:1`, await context('bob', 'bob')]);
    assert.match(out, new RegExp(`Successfully tagged ${app}:1\\n`), out);
    await aliceIntact('bob build -t');
    assert.equal((await must('bob', ['run', '--rm', '--network', 'none', `${app}:1`, 'cat', '/who'])).trim(), 'bob');

    const c = `pc-img-commit-${pid}`;
    await must('bob', ['run', '--name', c, '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', 'echo bob-commit > /who']);
    await must('bob', ['commit', c, `${app}:1`]);
    await aliceIntact('bob commit');
    assert.equal((await must('bob', ['run', '--rm', '--network', 'none', `${app}:1`, 'cat', '/who'])).trim(), 'bob-commit');
    await must('bob', ['rm', c]);

    const rootfs = join(workDir, 'import');
    await mkdir(rootfs, { recursive: true });
    await writeFile(join(rootfs, 'who'), 'bob-import\n');
    const tarball = join(workDir, 'import.tar');
    await run('tar', ['-C', rootfs, '-cf', tarball, '.']);
    await must('bob', ['import', tarball, `${app}:1`]);
    await aliceIntact('bob import');
    const imported = await onDaemon(`${app}:__bob.1`);
    assert.ok(imported !== null && imported !== aliceId && imported !== busyboxId);

    // and alice still runs her own
    assert.equal((await must('alice', ['run', '--rm', '--network', 'none', `${app}:1`, 'cat', '/who'])).trim(), 'alice');
  });

  it('bob cannot remove alice\'s image by any reference; his own rmi removes only his', async () => {
    for (const ref of [`${app}:__alice.1`, aliceId, aliceId.slice(7, 19)]) {
      await refused('bob', ['rmi', ref], /No such image/);
      // With -f the CLI says nothing of a missing image: the daemon is the judge.
      await as('bob', ['rmi', '-f', ref]);
      await aliceIntact(`bob rmi -f ${ref}`);
    }
    await must('bob', ['tag', BUSYBOX_IMAGE, `${app}:gone`]);
    const removed = await must('bob', ['rmi', `${app}:gone`]);
    assert.match(removed, new RegExp(`Untagged: ${app}:gone`), removed);
    assert.equal(await onDaemon(`${app}:__bob.gone`), null);
    await aliceIntact('bob rmi of his own tag');
    // A shared image is used, not removed.
    await refused('bob', ['rmi', BUSYBOX_IMAGE], /PC_SHARED_READ_ONLY/);
    assert.notEqual(await onDaemon(BUSYBOX_IMAGE), null);
  });

  it('docker load and image prune are refused; alice\'s image stays; save of her own carries no daemon name', async () => {
    const saved = join(workDir, 'alice.tar');
    await must('alice', ['save', '-o', saved, `${app}:1`]);
    const { stdout: manifest } = await run('tar', ['-xOf', saved, 'manifest.json']);
    assert.ok(!manifest.includes('__alice'), manifest);
    const r = await as('bob', ['load'], await readFile(saved));
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /ImageLoad denied: .*\(rule PC_TENANCY_IMAGES_UNSUPPORTED\)/);
    await aliceIntact('bob load');
    await refused('bob', ['image', 'prune', '-a', '-f'], /ImagePrune denied: .*\(rule PC_TENANCY_IMAGES_UNSUPPORTED\)/);
    await aliceIntact('bob image prune -a');
  });

  it('pushing one\'s own image is refused; a shared name is forwarded to its registry', async () => {
    await refused('alice', ['push', `${app}:1`], /ImagePush denied: .*the client's own.*\(rule PC_TENANCY_IMAGES_UNSUPPORTED\)/);
    const shared = `localhost:1/pc-img-pushed-${pid}`;
    const tagged = await daemon('POST', `/images/${BUSYBOX_IMAGE}/tag?repo=${encodeURIComponent(shared)}&tag=1`);
    assert.equal(tagged.status, 201, tagged.text);
    // Nothing listens on port 1: the daemon's own error shows the push was forwarded.
    const r = await as('alice', ['push', `${shared}:1`]);
    assert.notEqual(r.code, 0);
    assert.ok(!/portcullis/.test(r.stderr + r.stdout), r.stderr);
    assert.match(r.stdout + r.stderr, /connection refused|dial tcp/i);
  });

  it('reserved tags cannot be given', async () => {
    await refused('bob', ['tag', BUSYBOX_IMAGE, `${app}:__alice.1`], /PC_TENANCY_IMAGE_NAME/);
    await aliceIntact('bob tag of the daemon name');
  });

  it('raw requests naming alice\'s daemon name, ID or prefix are refused before the daemon sees them', async () => {
    const raw = (method: string, path: string, body?: unknown) => {
      const m = /:(\d+)$/.exec(proxies.bob.host());
      assert.ok(m, proxies.bob.host());
      return httpRequest(Number(m[1]), method, path, { headers: { Authorization: `Bearer ${tokens.bob}` }, body });
    };
    const q = encodeURIComponent;
    const daemonName = `${app}:__alice.1`;
    const stolen = `pc-img-stolen-${pid}`;
    const cases: [string, string, number, RegExp | null, unknown?][] = [
      ['POST', `/images/create?fromSrc=-&repo=${q(app)}&tag=__alice.1`, 403, /PC_TENANCY_IMAGE_NAME/],
      ['POST', `/images/create?fromSrc=-&repo=${q(daemonName)}`, 403, /PC_TENANCY_IMAGE_NAME/],
      ['POST', `/images/create?fromImage=${q(app)}&tag=__alice.1`, 403, /PC_TENANCY_IMAGE_NAME/],
      ['POST', `/images/create?fromImage=${q(app)}`, 403, /PC_TENANCY_IMAGES_UNSUPPORTED/],
      ['POST', `/build?t=${q(daemonName)}`, 403, /PC_TENANCY_IMAGE_NAME/],
      ['POST', `/commit?repo=${q(app)}&tag=__alice.1`, 403, /PC_TENANCY_IMAGE_NAME/],
      ['POST', `/images/${q(BUSYBOX_IMAGE)}/tag?repo=${q(app)}&tag=__alice.1`, 403, /PC_TENANCY_IMAGE_NAME/],
      ['POST', `/images/${q(aliceId)}/tag?repo=${stolen}&tag=1`, 404, /No such image/],
      ['POST', `/images/${q(aliceId.slice(7, 17))}/tag?repo=${stolen}&tag=2`, 404, /No such image/],
      ['POST', '/containers/create', 404, /No such image/, { Image: daemonName, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } }],
      ['POST', '/containers/create', 404, /No such image/, { Image: aliceId, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } }],
      ['GET', `/images/json?filters=${q(JSON.stringify({ before: [daemonName] }))}`, 404, /No such image/],
      ['GET', `/images/get?names=${q(daemonName)}`, 404, /No such image/],
      ['GET', `/images/${q(aliceId)}/get`, 404, /No such image/],
      ['GET', `/images/${q(aliceId.slice(7, 17))}/history`, 404, /No such image/],
      ['DELETE', `/images/${q(daemonName)}?force=1`, 404, /No such image/],
      ['DELETE', `/images/${q(aliceId)}?force=1`, 404, /No such image/],
      ['POST', `/images/${q(app)}/push?tag=__alice.1`, 404, /No such image/],
    ];
    for (const [method, path, status, re, body] of cases) {
      const res = await raw(method, path, body);
      assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
      if (re !== null) assert.match(res.text, re, `${method} ${path}`);
      await aliceIntact(`bob's ${method} ${path}`);
    }
    for (const t of ['1', '2']) assert.equal(await onDaemon(`${stolen}:__bob.${t}`), null);
    const bobs = await daemon('GET', `/containers/json?all=1&filters=${q(JSON.stringify({ label: ['io.portcullis.owner=bob'] }))}`);
    assert.deepEqual(bobs.json, [], 'a container was created from alice\'s image');
    // A reference filter naming alice's daemon name lists nothing of hers.
    const listed = await raw('GET', `/images/json?filters=${q(JSON.stringify({ reference: [daemonName] }))}`);
    assert.equal(listed.status, 200, listed.text);
    assert.ok(!listed.text.includes(aliceId) && !listed.text.includes('__alice'), listed.text);
  });

  it('alice and bob build and run the same same:1 at the same time through two proxies, each their own', async () => {
    const [a, b] = await Promise.all([context('same-alice', 'alice-same'), context('same-bob', 'bob-same')]);
    await Promise.all([must('alice', ['build', '-t', `${same}:1`, a]), must('bob', ['build', '-t', `${same}:1`, b])]);
    const [ra, rb] = await Promise.all([
      must('alice', ['run', '--rm', '--network', 'none', `${same}:1`, 'cat', '/who']),
      must('bob', ['run', '--rm', '--network', 'none', `${same}:1`, 'cat', '/who']),
    ]);
    assert.equal(ra.trim(), 'alice-same');
    assert.equal(rb.trim(), 'bob-same');
    const [ia, ib] = [await onDaemon(`${same}:__alice.1`), await onDaemon(`${same}:__bob.1`)];
    assert.ok(ia !== null && ib !== null && ia !== ib, `${ia} ${ib}`);
    // alice's container shows the name she gave, in ps and inspect.
    const c = `pc-img-ps-${pid}`;
    const since = Math.floor(Date.now() / 1000) - 1;
    await must('alice', ['create', '--name', c, '--network', 'none', `${same}:1`, 'true']);
    const events = await must('alice', ['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', `container=${c}`, '--format', '{{.Action}} {{.Actor.Attributes.image}}']);
    assert.match(events, new RegExp(`^create ${same}:1$`, 'm'), events);
    assert.ok(!events.includes('__'), events);
    assert.equal((await must('alice', ['ps', '-a', '--filter', `name=${c}`, '--format', '{{.Image}}'])).trim(), `${same}:1`);
    assert.equal((await must('alice', ['inspect', '--format', '{{.Config.Image}}', c])).trim(), `${same}:1`);
    await must('alice', ['rm', c]);
  });
});
