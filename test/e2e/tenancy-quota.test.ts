/**
 * The container quota holds under concurrency and across replicas (docs/tenancy.md, "Quotas"): two
 * Portcullis processes in front of one daemon, one client with `quotas.containers: 5`, and 20
 * concurrent `docker create`s by the real CLI, half through each process. Exactly 5 containers of the
 * client exist on the daemon afterwards (read on the daemon socket), they are the ones whose creates
 * succeeded, every other create got 403 PC_QUOTA_CONTAINERS, and nothing else is left behind. A client
 * that hangs up right after sending its creates does not get past the quota either.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { waitFor } from './harness/background.js';
import { docker, dockerApi, tokenConfigDir } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';

const OWNER_LABEL = 'io.portcullis.owner';
const QUOTA = 5;
const CREATES = 20;

e2eSuite('tenancy quota under concurrency and across replicas', (ctx) => {
  // A client of its own, so that other suites' containers on the shared daemon never count.
  const client = `quota${process.pid}`;
  const token = randomBytes(32).toString('hex');
  const proxies: Proxy[] = [];
  let workDir: string;
  let configDir: string;
  const daemon = (method: string, path: string) => dockerApi(ctx.dockerd.socket, method, path);
  const owned = async (): Promise<{ Id: string; Names: string[] }[]> => {
    const res = await daemon('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [`${OWNER_LABEL}=${client}`] }))}`);
    assert.equal(res.status, 200, res.text);
    return res.json;
  };
  const removeAll = async (): Promise<void> => {
    await Promise.all((await owned()).map((c) => daemon('DELETE', `/containers/${c.Id}?force=1&v=1`)));
  };

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'pc-quota-'));
    configDir = await tokenConfigDir(join(workDir, 'docker-config'), token);
    const configYaml = [
      'listeners:',
      '  - name: main',
      '    address: tcp://127.0.0.1:0',
      'clients:',
      `  - name: ${client}`,
      '    policy: tenant',
      `    token: ${token}`,
      'policies:',
      '  tenant:',
      '    extends: hardened',
      '    tenancy:',
      '      ownership: true',
      `      quotas: { containers: ${QUOTA} }`,
      '',
    ].join('\n');
    for (let i = 0; i < 2; i++) proxies.push(await startPortcullis({ configYaml, env: { DOCKER_HOST: ctx.dockerd.host } }));
  });

  after(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    if (ctx.dockerd) await removeAll();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it(`${CREATES} concurrent creates through two proxies leave exactly ${QUOTA} containers; the others are refused and removed`, async () => {
    await removeAll();
    const runs = Array.from({ length: CREATES }, (_, i) =>
      docker(proxies[i % 2]!.host(), ['create', '--network', 'none', '--name', `q${i}`, BUSYBOX_IMAGE, 'true'], { dockerConfigDir: configDir, timeoutMs: 120_000 }),
    );
    const results = await Promise.all(runs);
    const created = results.filter((r) => r.code === 0).map((r) => r.stdout.trim());
    const refused = results.filter((r) => r.code !== 0);
    for (const r of refused) assert.match(r.stderr, /portcullis: ContainerCreate denied: .*\(rule PC_QUOTA_CONTAINERS\)/, r.stderr);
    const onDaemon = await owned();
    assert.equal(onDaemon.length, QUOTA, `the daemon holds ${onDaemon.length} containers of the client: ${onDaemon.map((c) => c.Names[0]).join(' ')}`);
    assert.equal(created.length, QUOTA, `${created.length} creates succeeded`);
    assert.deepEqual(new Set(onDaemon.map((c) => c.Id)), new Set(created), 'the containers left are the ones whose creates succeeded');
    // Nothing else: no container under any of the names tried, beyond those kept.
    const names = await daemon('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: [`^/${client}\\.q`] }))}`);
    assert.equal((names.json as unknown[]).length, QUOTA);
    // Both proxies had a hand in it: each answered some refusals or creations.
    for (const p of proxies) assert.ok(p.logs().some((l) => l.operation === 'ContainerCreate'), 'a proxy saw no create');
    const statuses = proxies.flatMap((p) => p.logs().filter((l) => l.operation === 'ContainerCreate').map((l) => l.status));
    assert.equal(statuses.filter((s) => s === 201).length, QUOTA);
    assert.equal(statuses.filter((s) => s === 403).length, CREATES - QUOTA);
  });

  it('a removal frees a slot: the next create succeeds and the one after is refused again', async () => {
    const before = await owned();
    assert.equal(before.length, QUOTA);
    assert.equal((await daemon('DELETE', `/containers/${before[0]!.Id}?force=1`)).status, 204);
    const next = await docker(proxies[1]!.host(), ['create', '--network', 'none', '--name', 'again', BUSYBOX_IMAGE, 'true'], { dockerConfigDir: configDir });
    assert.equal(next.code, 0, next.stderr);
    const over = await docker(proxies[0]!.host(), ['create', '--network', 'none', '--name', 'over', BUSYBOX_IMAGE, 'true'], { dockerConfigDir: configDir });
    assert.notEqual(over.code, 0);
    assert.match(over.stderr, /PC_QUOTA_CONTAINERS/);
    assert.equal((await owned()).length, QUOTA);
  });

  it('creates whose client hangs up as soon as they are sent are still held to the quota', async () => {
    await removeAll();
    const body = JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
    const named = async (name: string): Promise<boolean> => {
      const res = await daemon('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: [`^/${client}\\.${name}$`] }))}`);
      return (res.json as unknown[]).length > 0;
    };
    const sendAndLeave = async (proxy: Proxy, i: number): Promise<boolean> => {
      const port = Number(/:(\d+)$/.exec(proxy.host())![1]);
      const s = net.connect(port, '127.0.0.1');
      let answered = false;
      s.on('data', () => (answered = true));
      s.on('error', () => {});
      s.write(
        `POST /v1.41/containers/create?name=gone${i} HTTP/1.1\r\nHost: docker\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      // Leave once the daemon has made the container: its answer is then on its way or held for the confirm.
      await waitFor(`container gone${i} on the daemon`, async () => answered || (await named(`gone${i}`)), 60_000);
      s.destroy();
      return !answered;
    };
    const left = await Promise.all(Array.from({ length: 12 }, (_, i) => sendAndLeave(proxies[i % 2]!, i)));
    assert.ok(left.filter((l) => l).length > QUOTA, `only ${left.filter((l) => l).length} clients left before their answer`);
    // The confirms run on without their clients and bring the client down to its quota.
    await waitFor(`exactly ${QUOTA} containers of the client once the confirms finish`, async () => (await owned()).length === QUOTA, 60_000);
  });
});
