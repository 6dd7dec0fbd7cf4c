/**
 * Tenancy with the real docker CLI through the real proxy on examples/tenants.yaml: alice and bob, each
 * with a bearer token in their own DOCKER_CONFIG, on the `tenant` policy (hardened + ownership + a quota
 * of 5 containers). Neither sees or touches the other's containers, volumes and networks: the other's
 * objects answer "No such ..." and nothing is forwarded; `docker events` is narrowed to one's own; the
 * 6th container is refused; both may use the same names (each in its own name space on the daemon).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnDocker, untilDelivered, waitFor, waitForDecision } from './harness/background.js';
import { docker, dockerApi, type DockerResult, tokenConfigDir } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE, daemonRun } from './harness/dockerd.js';
import { startPortcullis, type DecisionLine, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { httpRequest } from './harness/wire.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const OWNER_LABEL = 'io.portcullis.owner';
const QUOTA = 5; // examples/tenants.yaml: quotas.containers

type Tenant = 'alice' | 'bob';

/** A raw request through the proxy with a bearer token, for operations the CLI never reaches (it inspects first). */
function rawRequest(host: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const m = /^tcp:\/\/127\.0\.0\.1:(\d+)$/.exec(host);
  assert.ok(m, host);
  return httpRequest(Number(m[1]), method, path, { headers: { Authorization: `Bearer ${token}` }, body });
}

e2eSuite('tenancy (examples/tenants.yaml)', (ctx) => {
  let proxy: Proxy;
  let workDir: string;
  const configDirs = {} as Record<Tenant, string>;
  const tokens: Record<Tenant, string> = { alice: randomBytes(32).toString('hex'), bob: randomBytes(32).toString('hex') };
  const tag = `${process.pid}`;
  const web = `pc-ten-web-${tag}`;
  let webId: string;

  const as = (who: Tenant, args: string[], timeoutMs = 60_000): Promise<DockerResult> =>
    docker(proxy.host(), args, { dockerConfigDir: configDirs[who], timeoutMs });
  const must = async (who: Tenant, args: string[]): Promise<string> => {
    const r = await as(who, args);
    assert.equal(r.code, 0, `${who}: docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const daemon = (method: string, path: string, body?: unknown) => dockerApi(ctx.dockerd.socket, method, path, body);
  const filters = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));

  /** Events the daemon itself recorded for `filter` from `sinceMs` until now (the stream ends at `until`). */
  async function daemonEvents(sinceMs: number, filter: Record<string, string[]>): Promise<{ Action: string; timeNano: number; Actor: { ID: string } }[]> {
    const until = Math.ceil(Date.now() / 1000) + 1;
    const res = await daemon('GET', `/events?since=${Math.floor(sinceMs / 1000)}&until=${until}&filters=${filters(filter)}`);
    assert.equal(res.status, 200, res.text);
    return res.text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { Action: string; timeNano: number; Actor: { ID: string } })
      .filter((e) => e.timeNano >= sinceMs * 1e6);
  }

  async function cleanupDaemon(): Promise<void> {
    const owned = filters({ label: [OWNER_LABEL] });
    const cs = await daemon('GET', `/containers/json?all=1&filters=${owned}`);
    const ids = new Set<string>((cs.json as { Id: string }[] | undefined)?.map((c) => c.Id) ?? []);
    const named = await daemon('GET', `/containers/json?all=1&filters=${filters({ name: [`pc-ten-`] })}`);
    for (const c of (named.json as { Id: string }[] | undefined) ?? []) ids.add(c.Id);
    await Promise.all([...ids].map((id) => daemon('DELETE', `/containers/${id}?force=1&v=1`)));
    const vols = await daemon('GET', `/volumes?filters=${owned}`);
    for (const v of (vols.json as { Volumes: { Name: string }[] | null } | undefined)?.Volumes ?? []) await daemon('DELETE', `/volumes/${v.Name}?force=1`);
    const nets = await daemon('GET', `/networks?filters=${owned}`);
    for (const n of (nets.json as { Id: string }[] | undefined) ?? []) await daemon('DELETE', `/networks/${n.Id}`);
  }

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'pc-tenancy-'));
    for (const who of ['alice', 'bob'] as const) {
      configDirs[who] = await tokenConfigDir(join(workDir, `docker-config-${who}`), tokens[who]);
    }
    await cleanupDaemon();
    proxy = await startPortcullis({
      configYaml: await readFile(join(repoRoot, 'examples/tenants.yaml'), 'utf8'),
      env: { PORTCULLIS_LISTEN: 'tcp://127.0.0.1:0', ALICE_TOKEN: tokens.alice, BOB_TOKEN: tokens.bob, DOCKER_HOST: ctx.dockerd.host },
    });
    const out = await must('alice', ['run', '-d', '--name', web, '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', 'echo hello from web; exec sleep 1000']);
    webId = out.trim();
    assert.match(webId, /^[0-9a-f]{64}$/);
  });

  after(async () => {
    await proxy?.stop();
    if (ctx.dockerd) await cleanupDaemon();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  async function webOnDaemon(): Promise<{ Id: string; State: { Running: boolean }; Config: { Labels: Record<string, string> } }> {
    const res = await daemon('GET', `/containers/${webId}/json`);
    assert.equal(res.status, 200, `alice's container is gone from the daemon: ${res.text}`);
    return res.json;
  }

  it("alice's container carries her owner label; only alice lists it in docker ps -a", async () => {
    const c = await webOnDaemon();
    assert.equal(c.State.Running, true);
    assert.equal(c.Config.Labels[OWNER_LABEL], 'alice');
    const alicePs = await must('alice', ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}}']);
    assert.ok(alicePs.includes(`${webId} ${web}`), alicePs);
    const bobPs = await must('bob', ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}}']);
    assert.ok(!bobPs.includes(web) && !bobPs.includes(webId.slice(0, 12)), `bob sees alice's container:\n${bobPs}`);
    // Filters the client adds cannot widen the view.
    const byName = await must('bob', ['ps', '-a', '--filter', `name=${web}`, '--format', '{{.Names}}']);
    assert.equal(byName, '');
    const byLabel = await must('bob', ['ps', '-a', '--filter', `label=${OWNER_LABEL}=alice`, '--format', '{{.Names}}']);
    assert.equal(byLabel, '');
  });

  it("bob's inspect/logs/exec/stop/rm -f/kill/start on alice's container answer No such container and reach nothing", async () => {
    const sinceMs = Date.now();
    const since = proxy.logs().length;
    const prefix = webId.slice(0, 12);
    const attempts: [string[], string][] = [
      [['container', 'inspect', web], web],
      [['container', 'inspect', webId], webId],
      [['container', 'inspect', prefix], prefix],
      [['logs', web], web],
      [['logs', prefix], prefix],
      [['exec', web, 'true'], web],
      [['exec', webId, 'true'], webId],
      [['stop', web], web],
      [['stop', prefix], prefix],
      [['rm', '-f', web], web],
      [['rm', '-f', webId], webId],
      [['kill', web], web],
      [['kill', prefix], prefix],
      [['start', web], web],
      [['restart', web], web],
      [['pause', web], web],
      [['rename', web, `pc-ten-stolen-${tag}`], web],
    ];
    for (const [args, ref] of attempts) {
      const r = await as('bob', args);
      // `docker rm -f` of a missing container prints the error but exits 0 (docker CLI behaviour).
      if (!(args[0] === 'rm' && args.includes('-f'))) assert.notEqual(r.code, 0, `bob: docker ${args.join(' ')} succeeded: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`No such container: ${ref}`), `bob: docker ${args.join(' ')}`);
      assert.ok(!r.stderr.includes('portcullis'), `bob: docker ${args.join(' ')} says a proxy refused it: ${r.stderr}`);
    }
    // The docker CLI inspects before logs and exec, so send those (and others the CLI has no verb for) raw.
    for (const [method, path, body] of [
      ['GET', `/v1.41/containers/${web}/logs?stdout=1&stderr=1`, undefined],
      ['POST', `/v1.41/containers/${web}/exec`, { Cmd: ['true'] }],
      ['POST', `/v1.41/containers/${prefix}/exec`, { Cmd: ['true'] }],
      ['GET', `/v1.41/containers/${web}/top`, undefined],
      ['GET', `/v1.41/containers/${web}/archive?path=%2Fetc%2Fhostname`, undefined],
      ['GET', `/v1.41/containers/${web}/changes`, undefined],
      ['POST', `/v1.41/containers/${web}/update`, { CpuShares: 512 }],
      ['POST', `/v1.41/containers/${web}/unpause`, undefined],
      ['POST', `/v1.41/containers/${web}/kill?signal=KILL`, undefined],
    ] as const) {
      const ref = path.split('/')[3]!;
      const r = await rawRequest(proxy.host(), tokens.bob, method, path, body);
      assert.equal(r.status, 404, `bob: ${method} ${path}: ${r.text}`);
      assert.equal(JSON.parse(r.text).message, `No such container: ${ref}`, `bob: ${method} ${path}`);
    }

    // The generic `docker inspect` tries every object type; none of them may find it.
    const generic = await as('bob', ['inspect', web]);
    assert.notEqual(generic.code, 0, generic.stdout);
    // (hardened does not allow PluginInspect, one of the types it tries, so that can be the message instead)
    assert.match(generic.stderr, new RegExp(`No such (object|container): ${web}|portcullis: PluginInspect denied`));
    assert.ok(!generic.stdout.includes(webId), 'docker inspect showed alice\'s container to bob');

    // On the daemon it is untouched: still running, same name, nothing happened to it.
    const c = await webOnDaemon();
    assert.equal(c.State.Running, true);
    assert.equal((c as unknown as { Name: string }).Name, `/alice.${web}`);
    const events = await daemonEvents(sinceMs, { container: [webId] });
    assert.deepEqual(
      events.map((e) => e.Action),
      [],
      'the daemon recorded events for alice\'s container while bob tried (something was forwarded)',
    );

    // The decision log: every container request of bob's about it denied as hidden, with 404.
    const refs = [web, webId, prefix];
    const required = ['ContainerInspect', 'ContainerLogs', 'ContainerExec', 'ContainerTop', 'ContainerArchive', 'ContainerChanges', 'ContainerUpdate', 'ContainerUnpause', 'ContainerStop', 'ContainerDelete', 'ContainerKill', 'ContainerStart', 'ContainerRestart', 'ContainerPause', 'ContainerRename'];
    const linesAboutWeb = () =>
      proxy
        .logs()
        .slice(since)
        .filter((l) => l.client === 'bob' && typeof l.operation === 'string' && l.operation.startsWith('Container') && refs.some((r) => new RegExp(`/containers/${r}(/|\\?|$)`).test(l.path)));
    await waitFor('a decision line for each of bob\'s attempts', () => {
      const ops = new Set(linesAboutWeb().map((l) => l.operation));
      return required.every((op) => ops.has(op));
    }).catch(() => {
      const ops = new Set(linesAboutWeb().map((l) => l.operation));
      assert.fail(`no decision line for ${required.filter((op) => !ops.has(op)).join(', ')}; lines:\n${linesAboutWeb().map((l) => JSON.stringify(l)).join('\n')}`);
    });
    const bobLines = linesAboutWeb();
    const notHidden = bobLines.filter((l: DecisionLine) => l.decision !== 'deny' || l.rule !== 'PC_HIDDEN' || l.status !== 404);
    assert.deepEqual(notHidden, [], 'requests about alice\'s container that were not denied as PC_HIDDEN 404');
  });

  it('alice inspects, reads logs of, execs in, stops and starts her own container by name and by prefix', async () => {
    const prefix = webId.slice(0, 12);
    for (const ref of [web, webId, prefix]) {
      assert.equal((await must('alice', ['container', 'inspect', '--format', '{{.Id}}', ref])).trim(), webId, ref);
    }
    assert.equal((await must('alice', ['inspect', '--format', '{{.Id}}', web])).trim(), webId);
    assert.match(await must('alice', ['logs', web]), /hello from web/);
    assert.match(await must('alice', ['logs', prefix]), /hello from web/);
    assert.equal(await must('alice', ['exec', web, 'echo', 'in web']), 'in web\n');
    assert.equal(await must('alice', ['exec', prefix, 'echo', 'by prefix']), 'by prefix\n');
    await must('alice', ['stop', '-t', '0', prefix]);
    assert.equal((await webOnDaemon()).State.Running, false);
    await must('alice', ['start', web]);
    assert.equal((await webOnDaemon()).State.Running, true);
  });

  it("bob's docker events shows his own container events and none of alice's", async () => {
    const since = proxy.logs().length;
    const events = await spawnDocker(proxy.host(), ['events', '--filter', 'type=container', '--format', '{{.Actor.Attributes.name}} {{.Action}}'], { configDir: configDirs.bob });
    const aliceName = `pc-ten-ev-alice-${tag}`;
    try {
      // The stream is established once it delivers one of bob's own events (the decision line comes only at its end).
      await untilDelivered(events, 'bob\'s events stream to deliver his own create', async (n) => {
        const pre = `pc-ten-ev-bob-pre${n}-${tag}`;
        await must('bob', ['create', '--name', pre, '--network', 'none', BUSYBOX_IMAGE, 'true']);
        return new RegExp(`^${pre} create$`, 'm');
      });

      // Alice creates, starts, (dies) and removes a container meanwhile.
      await must('alice', ['run', '--rm', '--name', aliceName, '--network', 'none', BUSYBOX_IMAGE, 'true']);
      const onDaemon = await daemonEvents(Date.now() - 60_000, { container: [`alice.${aliceName}`] });
      assert.ok(onDaemon.some((e) => e.Action === 'destroy'), 'alice\'s container events did not happen on the daemon');

      // Bob's own lifecycle after alice's: once it has arrived, alice's would have too.
      const post = `pc-ten-ev-bob-post-${tag}`;
      await must('bob', ['run', '--name', post, '--network', 'none', BUSYBOX_IMAGE, 'true']);
      await must('bob', ['rm', post]);
      await events.waitForStdout(new RegExp(`^${post} destroy$`, 'm'));
      const out = events.stdout();
      assert.match(out, new RegExp(`^${post} start$`, 'm'));
      assert.ok(!out.includes(aliceName), `bob saw alice's events:\n${out}`);
      assert.ok(!out.includes(web), `bob saw events about alice's ${web}:\n${out}`);
    } finally {
      await events.stop();
      const bobs = await must('bob', ['ps', '-aq', '--filter', 'name=pc-ten-ev-bob']);
      const ids = bobs.split('\n').filter((s) => s !== '');
      if (ids.length > 0) await must('bob', ['rm', '-f', ...ids]);
    }
    const line = await waitForDecision(proxy, "bob's SystemEvents", (l) => l.client === 'bob' && l.operation === 'SystemEvents', since);
    assert.equal(line.decision, 'allow');
  });

  it(`the ${QUOTA + 1}th container alice owns is refused with PC_QUOTA_CONTAINERS; bob is not affected; removing one frees a slot`, async () => {
    const owned = async (who: Tenant) => {
      const res = await daemon('GET', `/containers/json?all=1&filters=${filters({ label: [`${OWNER_LABEL}=${who}`] })}`);
      return (res.json as unknown[]).length;
    };
    const made: string[] = [];
    try {
      const have = await owned('alice');
      assert.ok(have >= 1 && have < QUOTA, `alice owns ${have}`);
      for (let i = have; i < QUOTA; i++) {
        const name = `pc-ten-q${i}-${tag}`;
        await must('alice', ['create', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'true']);
        made.push(name);
      }
      assert.equal(await owned('alice'), QUOTA);
      const since = proxy.logs().length;
      const over = `pc-ten-over-${tag}`;
      const r = await as('alice', ['create', '--name', over, '--network', 'none', BUSYBOX_IMAGE, 'true']);
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, /portcullis: ContainerCreate denied: .*\(rule PC_QUOTA_CONTAINERS\)/);
      assert.equal((await daemon('GET', `/containers/alice.${over}/json`)).status, 404, 'the over-quota container was created');
      const line = await waitForDecision(proxy, 'the quota refusal', (l) => l.operation === 'ContainerCreate' && l.client === 'alice', since);
      assert.equal(line.decision, 'deny');
      assert.equal(line.rule, 'PC_QUOTA_CONTAINERS');
      assert.equal(line.status, 403);
      // docker run is refused the same way
      const run = await as('alice', ['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true']);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /PC_QUOTA_CONTAINERS/);
      assert.equal(await owned('alice'), QUOTA);

      // bob has his own quota
      const bobs = `pc-ten-bobq-${tag}`;
      await must('bob', ['create', '--name', bobs, '--network', 'none', BUSYBOX_IMAGE, 'true']);
      await must('bob', ['rm', bobs]);

      // removing one of hers lets her create again
      await must('alice', ['rm', made.pop()!]);
      const again = `pc-ten-again-${tag}`;
      await must('alice', ['create', '--name', again, '--network', 'none', BUSYBOX_IMAGE, 'true']);
      made.push(again);
    } finally {
      if (made.length > 0) await must('alice', ['rm', '-f', ...made]);
    }
    assert.equal(await owned('alice'), 1);
  });

  it('memory per container: none asked gets the 256 MiB default; more than 1 GiB is refused at create and update', async () => {
    const name = `pc-ten-mem-${tag}`;
    const id = (await must('bob', ['create', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'true'])).trim();
    try {
      const c = await daemon('GET', `/containers/${id}/json`);
      assert.equal((c.json as { HostConfig: { Memory: number } }).HostConfig.Memory, 256 * 1024 * 1024);
      const update = await as('bob', ['update', '--memory', '2g', '--memory-swap', '2g', name]);
      assert.notEqual(update.code, 0, update.stdout);
      assert.match(update.stderr, /PC_DENIED_RESOURCE_LIMIT/);
      await must('bob', ['update', '--memory', '512m', '--memory-swap', '512m', name]);
      const after = await daemon('GET', `/containers/${id}/json`);
      assert.equal((after.json as { HostConfig: { Memory: number } }).HostConfig.Memory, 512 * 1024 * 1024);
    } finally {
      await must('bob', ['rm', '-f', id]);
    }
    const over = await as('bob', ['run', '--rm', '--pull', 'never', '-m', '2g', '--network', 'none', BUSYBOX_IMAGE, 'true']);
    assert.notEqual(over.code, 0, over.stdout);
    assert.match(over.stderr, /portcullis: ContainerCreate denied: .*Memory.*\(rule PC_DENIED_RESOURCE_LIMIT\)/);
    const within = await as('bob', ['run', '--rm', '--pull', 'never', '-m', '1g', '--network', 'none', BUSYBOX_IMAGE, 'true']);
    assert.equal(within.code, 0, within.stderr);
  });

  it('bob may use the name of alice\'s container: each name lives in its tenant\'s name space on the daemon', async () => {
    const bobId = (await must('bob', ['create', '--name', web, '--network', 'none', BUSYBOX_IMAGE, 'true'])).trim();
    try {
      assert.notEqual(bobId, webId);
      assert.equal((await must('alice', ['container', 'inspect', '--format', '{{.Id}} {{.Name}}', web])).trim(), `${webId} /${web}`);
      assert.equal((await must('bob', ['container', 'inspect', '--format', '{{.Id}} {{.Name}}', web])).trim(), `${bobId} /${web}`);
      const onDaemon = await daemon('GET', `/containers/json?all=1&filters=${filters({ name: [web] })}`);
      const names = (onDaemon.json as { Names: string[] }[]).map((c) => c.Names[0]).sort();
      assert.deepEqual(names, [`/alice.${web}`, `/bob.${web}`]);
      // A second container of the same tenant with that name is dockerd's own Conflict, naming the tenant's own container.
      const again = await as('bob', ['create', '--name', web, '--network', 'none', BUSYBOX_IMAGE, 'true']);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /Conflict/);
      assert.ok(!again.stderr.includes(webId.slice(0, 12)), again.stderr);
      // Names dockerd would refuse are refused before the prefix could make them valid.
      const bad = await as('bob', ['create', '--name', 'x', '--network', 'none', BUSYBOX_IMAGE, 'true']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /Invalid container name \(x\)/);
    } finally {
      await must('bob', ['rm', '-f', bobId]);
    }
    assert.equal((await webOnDaemon()).Config.Labels[OWNER_LABEL], 'alice');
  });

  it("volumes: only alice lists and inspects hers; bob's inspect and rm answer no such volume; bob's mount of the same name is his own", async () => {
    const av = `pc-ten-av-${tag}`;
    try {
      assert.equal((await must('alice', ['volume', 'create', av])).trim(), av);
      const v = await daemon('GET', `/volumes/alice.${av}`);
      assert.equal(v.status, 200, v.text);
      assert.equal((v.json as { Labels: Record<string, string> }).Labels[OWNER_LABEL], 'alice');
      assert.match(await must('alice', ['volume', 'ls', '-q']), new RegExp(`^${av}$`, 'm'));
      assert.match(await must('alice', ['volume', 'inspect', '--format', '{{.Name}}', av]), new RegExp(`^${av}$`, 'm'));
      await must('alice', ['run', '--rm', '--network', 'none', '-v', `${av}:/data`, BUSYBOX_IMAGE, 'sh', '-c', 'echo secret > /data/f']);
      assert.doesNotMatch(await must('bob', ['volume', 'ls', '-q']), new RegExp(av));
      for (const args of [
        ['volume', 'inspect', av],
        ['volume', 'rm', av],
      ]) {
        const r = await as('bob', args);
        assert.notEqual(r.code, 0, `bob: docker ${args.join(' ')}: ${r.stdout}`);
        assert.match(r.stderr, /no such volume/i, `bob: docker ${args.join(' ')}`);
      }
      // bob's -v/--mount of that name is a volume in his own name space, created for him with his owner label
      // (--pull never: the CLI takes any 404 from create for a missing image and would try to pull it)
      for (const how of [['-v', `${av}:/data`], ['--mount', `type=volume,source=${av},target=/data`]]) {
        const mount = await as('bob', ['run', '--rm', '--pull', 'never', '--network', 'none', ...how, BUSYBOX_IMAGE, 'sh', '-c', 'cat /data/f 2>/dev/null || echo empty']);
        assert.equal(mount.code, 0, mount.stderr);
        assert.equal(mount.stdout, 'empty\n', `bob read alice's volume with ${how.join(' ')}`);
        const bobs = await daemon('GET', `/volumes/bob.${av}`);
        assert.equal(bobs.status, 200, bobs.text);
        assert.equal((bobs.json as { Labels: Record<string, string> }).Labels[OWNER_LABEL], 'bob');
      }
      assert.match(await must('bob', ['volume', 'ls', '-q']), new RegExp(`^${av}$`, 'm'));
      await must('bob', ['volume', 'rm', av]);
      assert.equal((await daemon('GET', `/volumes/alice.${av}`)).status, 200, "bob's rm removed alice's volume");
    } finally {
      await as('alice', ['volume', 'rm', '-f', av]);
      await daemon('DELETE', `/volumes/bob.${av}?force=1`);
    }
    assert.equal((await daemon('GET', `/volumes/alice.${av}`)).status, 404, 'alice could not remove her volume');
  });

  it("networks: only alice lists and inspects hers; bob's inspect, rm and connect answer not found", async () => {
    const an = `pc-ten-an-${tag}`;
    try {
      const id = (await must('alice', ['network', 'create', '--internal', an])).trim();
      const n = await daemon('GET', `/networks/alice.${an}`);
      assert.equal(n.status, 200, n.text);
      assert.equal((n.json as { Labels: Record<string, string> }).Labels[OWNER_LABEL], 'alice');
      assert.match(await must('alice', ['network', 'ls', '--format', '{{.Name}}']), new RegExp(`^${an}$`, 'm'));
      assert.match(await must('alice', ['network', 'inspect', '--format', '{{.Name}}', an]), new RegExp(`^${an}$`, 'm'));
      const bobLs = await must('bob', ['network', 'ls', '--no-trunc', '--format', '{{.ID}} {{.Name}}']);
      assert.ok(!bobLs.includes(an) && !bobLs.includes(id.slice(0, 12)), `bob lists alice's network:\n${bobLs}`);
      for (const [args, ref] of [
        [['network', 'inspect', an], an],
        [['network', 'inspect', id], id],
        [['network', 'rm', an], an],
      ] as const) {
        const r = await as('bob', [...args]);
        assert.notEqual(r.code, 0, `bob: docker ${args.join(' ')}: ${r.stdout}`);
        assert.match(r.stderr, new RegExp(`(network ${ref} not found|No such network: ${ref})`, 'i'), `bob: docker ${args.join(' ')}`);
      }
      // bob cannot attach a container to it
      const attach = await as('bob', ['run', '--rm', '--pull', 'never', '--network', an, BUSYBOX_IMAGE, 'true']);
      assert.notEqual(attach.code, 0, `bob ran a container on alice's network: ${attach.stdout}`);
      assert.match(attach.stderr, new RegExp(`network ${an} not found`));
      const bobC = `pc-ten-netbob-${tag}`;
      await must('bob', ['create', '--name', bobC, '--network', 'none', BUSYBOX_IMAGE, 'true']);
      try {
        const connect = await as('bob', ['network', 'connect', an, bobC]);
        assert.notEqual(connect.code, 0, connect.stdout);
        assert.match(connect.stderr, new RegExp(`network ${an} not found`));
      } finally {
        await must('bob', ['rm', bobC]);
      }
      assert.equal((await daemon('GET', `/networks/alice.${an}`)).status, 200, "bob's rm removed alice's network");
    } finally {
      await as('alice', ['network', 'rm', an]);
    }
    assert.equal((await daemon('GET', `/networks/alice.${an}`)).status, 404, 'alice could not remove her network');
  });

  it('objects an admin labels shared are visible to both tenants, usable, and not changeable', async () => {
    const SHARED = { 'io.portcullis.shared': 'true' };
    const net = `pc-ten-shared-${tag}`;
    const svc = `pc-ten-sharedc-${tag}`;
    const made = await daemon('POST', '/networks/create', { Name: net, Internal: true, Labels: SHARED });
    assert.equal(made.status, 201, made.text);
    const svcId = await daemonRun(ctx.dockerd, svc, ['sh', '-c', 'echo shared hello; exec sleep 1000'], { Labels: SHARED });
    try {
      for (const who of ['alice', 'bob'] as const) {
        assert.match(await must(who, ['network', 'ls', '--format', '{{.Name}}']), new RegExp(`^${net}$`, 'm'), who);
        assert.match(await must(who, ['ps', '--format', '{{.Names}}']), new RegExp(`^${svc}$`, 'm'), who);
        assert.match(await must(who, ['logs', svc]), /shared hello/, who);
        // joining the shared network is using it
        assert.equal(await must(who, ['run', '--rm', '--pull', 'never', '--network', net, BUSYBOX_IMAGE, 'echo', 'joined']), 'joined\n', who);
      }
      for (const args of [
        ['stop', svc],
        ['rm', '-f', svc],
        ['exec', svc, 'true'],
        ['network', 'rm', net],
      ]) {
        const r = await as('bob', args);
        assert.notEqual(r.code, 0, `bob: docker ${args.join(' ')}: ${r.stdout}`);
        assert.match(r.stderr, /PC_SHARED_READ_ONLY/, `bob: docker ${args.join(' ')}`);
      }
      const c = await daemon('GET', `/containers/${svcId}/json`);
      assert.equal((c.json as { State: { Running: boolean } }).State.Running, true, 'the shared container was stopped');
      assert.equal((await daemon('GET', `/networks/${net}`)).status, 200, 'the shared network was removed');
      // a prune never takes shared objects
      await must('bob', ['network', 'prune', '-f']);
      assert.equal((await daemon('GET', `/networks/${net}`)).status, 200, 'network prune removed the shared network');
    } finally {
      await daemon('DELETE', `/containers/${svcId}?force=1`);
      await daemon('DELETE', `/networks/${net}`);
    }
  });

  it('alice removes her own container with docker rm -f', async () => {
    await must('alice', ['rm', '-f', web]);
    assert.equal((await daemon('GET', `/containers/${webId}/json`)).status, 404);
  });
});
