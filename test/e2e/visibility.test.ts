/**
 * Visibility by name patterns with the real docker CLI through the real proxy. Containers `web1-…`,
 * `db1-…` and `lab-…` are made directly on the daemon; a policy extending hardened with
 * `visibility.containers.names: ["web*"]` sees only web1: db1 answers "No such container" to
 * everything and keeps running, lists and `-n` count visible containers only, `docker events`
 * leaves db1 out. A policy naming web1 exactly shows that an ID prefix shared with hidden
 * containers resolves to web1, and a substring policy behaves like docker-proxy-filter.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { spawnDocker, untilDelivered } from './harness/background.js';
import { docker, dockerApi, type DockerResult } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE, daemonRun } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { httpRequest } from './harness/wire.js';

const tag = `${process.pid}`;
const web1 = `web1-${tag}`;
const db1 = `db1-${tag}`;
const lab = `lab-${tag}`;

function config(upstream: string): string {
  return `listeners:
  - name: glob
    address: tcp://127.0.0.1:0
    policy: dashboard
  - name: only
    address: tcp://127.0.0.1:0
    policy: only-web1
  - name: substring
    address: tcp://127.0.0.1:0
    policy: dpf
upstream:
  address: ${upstream}
policies:
  dashboard:
    extends: hardened
    rules:                             # the generic \`docker inspect\` also asks for a plugin of that name
      - { id: plugin-inspect, allow: [PluginInspect] }
    visibility:
      containers: { names: ["web*"] }
  only-web1:
    extends: hardened
    visibility:
      containers: { names: ["${web1}"] }
  dpf:
    extends: hardened
    visibility:
      match: substring                 # docker-proxy-filter's CONTAINER_NAMES / CONTAINER_LABELS
      containers: { names: ["eb1-${tag}"], labels: ["pcvis.expo"] }
`;
}

e2eSuite('visibility by name patterns and labels', (ctx) => {
  let proxy: Proxy;
  let web1Id: string;
  let db1Id: string;

  const daemon = (method: string, path: string, body?: unknown) => dockerApi(ctx.dockerd.socket, method, path, body);
  const via = (listener: string, args: string[]): Promise<DockerResult> => docker(proxy.host(listener), args);
  const must = async (listener: string, args: string[]): Promise<string> => {
    const r = await via(listener, args);
    assert.equal(r.code, 0, `${listener}: docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
  const raw = (listener: string, method: string, path: string, body?: unknown) => {
    const port = Number(/:(\d+)$/.exec(proxy.host(listener))![1]);
    return httpRequest(port, method, path, { body });
  };
  async function running(name: string): Promise<boolean> {
    const res = await daemon('GET', `/containers/${name}/json`);
    assert.equal(res.status, 200, `${name} is gone from the daemon: ${res.text}`);
    return (res.json as { State: { Running: boolean } }).State.Running;
  }

  /** The actions the daemon itself recorded for container `id` from `sinceMs` until now. */
  async function daemonActions(id: string, sinceMs: number): Promise<string[]> {
    const until = Math.ceil(Date.now() / 1000) + 1;
    const res = await daemon('GET', `/events?since=${Math.floor(sinceMs / 1000)}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ container: [id] }))}`);
    assert.equal(res.status, 200, res.text);
    return res.text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { Action: string; timeNano: number })
      .filter((e) => e.timeNano >= sinceMs * 1e6)
      .map((e) => e.Action);
  }

  async function cleanup(): Promise<void> {
    const named = await daemon('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: [`-${tag}$`] }))}`);
    for (const c of (named.json as { Id: string }[] | undefined) ?? []) await daemon('DELETE', `/containers/${c.Id}?force=1`);
  }

  before(async () => {
    await cleanup();
    web1Id = await daemonRun(ctx.dockerd, web1, ['sh', '-c', 'echo hello from web1; exec sleep 1000']);
    db1Id = await daemonRun(ctx.dockerd, db1, ['sh', '-c', 'echo hello from db1; exec sleep 1000']);
    await daemonRun(ctx.dockerd, lab, ['sleep', '1000'], { Labels: { 'com.pcvis.exposed': 'yes' } });
    proxy = await startPortcullis({ configYaml: config(ctx.dockerd.host) });
  });

  after(async () => {
    await proxy?.stop();
    if (ctx.dockerd) await cleanup();
  });

  it('docker ps -a shows web1 and no container whose name does not match web*', async () => {
    const names = lines(await must('glob', ['ps', '-a', '--format', '{{.Names}}']));
    assert.ok(names.includes(web1), names.join('\n'));
    assert.ok(!names.includes(db1) && !names.includes(lab), names.join('\n'));
    assert.deepEqual(names.filter((n) => !n.startsWith('web')), []);
    // a filter of the client's own cannot widen the view
    assert.deepEqual(lines(await must('glob', ['ps', '-a', '--filter', `name=${db1}`, '--format', '{{.Names}}'])), []);
  });

  it('every command on db1 says No such container and db1 keeps running untouched', async () => {
    const sinceMs = Date.now();
    for (const args of [
      ['inspect', db1],
      ['container', 'inspect', db1Id.slice(0, 12)],
      ['logs', db1],
      ['stop', db1],
      ['kill', db1],
      ['exec', db1, 'true'],
      ['restart', db1],
      ['pause', db1],
      ['rename', db1, `web-stolen-${tag}`],
      ['rm', '-f', db1],
    ]) {
      const r = await via('glob', args);
      // `docker rm -f` of a missing container prints the error but exits 0 (docker CLI behaviour).
      if (args[0] !== 'rm') assert.notEqual(r.code, 0, `docker ${args.join(' ')} succeeded: ${r.stdout}`);
      const ref = args[0] === 'container' ? db1Id.slice(0, 12) : db1;
      assert.match(r.stderr, new RegExp(`No such (container|object): ${ref}`), `docker ${args.join(' ')}`);
      assert.ok(!r.stderr.includes('portcullis'), `docker ${args.join(' ')} says a proxy refused it: ${r.stderr}`);
    }
    // what the CLI never reaches because it inspects first
    for (const [method, path, body] of [
      ['GET', `/v1.41/containers/${db1}/logs?stdout=1`, undefined],
      ['POST', `/v1.41/containers/${db1}/exec`, { Cmd: ['true'] }],
      ['GET', `/v1.41/containers/${db1}/top`, undefined],
      ['GET', `/v1.41/containers/${db1}/archive?path=%2Fetc`, undefined],
    ] as const) {
      const r = await raw('glob', method, path, body);
      assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
      assert.equal(JSON.parse(r.text).message, `No such container: ${db1}`);
    }
    assert.equal(await running(db1), true);
    const onDaemon = await daemon('GET', `/containers/${db1Id}/json`);
    assert.equal((onDaemon.json as { Name: string }).Name, `/${db1}`);
    // Anything forwarded (a pause, a restart, an exec) would be in the daemon's own event log.
    assert.deepEqual(await daemonActions(db1Id, sinceMs), [], 'the daemon recorded actions on db1 (something was forwarded)');
  });

  it('web1 can be inspected, read, exec\'d into, stopped and started', async () => {
    const sinceMs = Date.now();
    assert.equal((await must('glob', ['inspect', '--format', '{{.Id}}', web1])).trim(), web1Id);
    assert.match(await must('glob', ['logs', web1]), /hello from web1/);
    assert.equal(await must('glob', ['exec', web1, 'echo', 'in web1']), 'in web1\n');
    await must('glob', ['stop', '-t', '0', web1]);
    assert.equal(await running(web1), false);
    await must('glob', ['start', web1]);
    assert.equal(await running(web1), true);
    // the event log that shows nothing for db1 does show what was forwarded for web1
    const actions = await daemonActions(web1Id, sinceMs);
    for (const action of ['stop', 'start']) assert.ok(actions.includes(action), `no ${action} in ${actions.join(', ')}`);
    assert.ok(actions.some((a) => a.startsWith('exec_start')), `no exec_start in ${actions.join(', ')}`);
  });

  it('docker run of a container the client could not see is refused; one it will see runs', async () => {
    const hiddenRun = await via('glob', ['run', '--rm', '--name', `db-run-${tag}`, '--network', 'none', BUSYBOX_IMAGE, 'true']);
    assert.notEqual(hiddenRun.code, 0, hiddenRun.stdout);
    assert.match(hiddenRun.stderr, /PC_VISIBILITY_OUTSIDE/);
    assert.equal((await daemon('GET', `/containers/db-run-${tag}/json`)).status, 404);
    assert.equal(await must('glob', ['run', '--rm', '--name', `web-run-${tag}`, '--network', 'none', BUSYBOX_IMAGE, 'echo', 'ran']), 'ran\n');
  });

  it('docker ps -n 1 shows the newest visible container, not the newest one', async () => {
    const newer = `db-newer-${tag}`;
    const created = await daemon('POST', `/containers/create?name=${newer}`, { Image: BUSYBOX_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(lines(await docker(ctx.dockerd.host, ['ps', '-n', '1', '--format', '{{.Names}}']).then((r) => r.stdout)), [newer]);
    assert.deepEqual(lines(await must('glob', ['ps', '-n', '1', '--format', '{{.Names}}'])), [web1]);
    const two = lines(await must('glob', ['ps', '-n', '2', '--format', '{{.Names}}']));
    assert.equal(two.length <= 2 && two[0] === web1, true, two.join('\n'));
    assert.ok(two.every((n) => n.startsWith('web')), two.join('\n'));
  });

  it('an ID prefix shared with hidden containers resolves to the one visible container', async () => {
    const first = web1Id[0]!;
    let sharing: string | undefined;
    for (let i = 0; i < 200 && sharing === undefined; i++) {
      const res = await daemon('POST', `/containers/create?name=pfx${i}-${tag}`, { Image: BUSYBOX_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
      assert.equal(res.status, 201, res.text);
      if ((res.json.Id as string).startsWith(first)) sharing = res.json.Id as string;
    }
    assert.ok(sharing, `no hidden container got an ID starting with ${first}`);
    assert.equal((await must('only', ['container', 'inspect', '--format', '{{.Id}}', first])).trim(), web1Id);
    const hiddenOne = await via('only', ['container', 'inspect', sharing.slice(0, 12)]);
    assert.notEqual(hiddenOne.code, 0);
    assert.match(hiddenOne.stderr, new RegExp(`No such container: ${sharing.slice(0, 12)}`));
  });

  it('substring mode: names and label keys match anywhere, as docker-proxy-filter matches them', async () => {
    const names = lines(await must('substring', ['ps', '-a', '--format', '{{.Names}}']));
    assert.ok(names.includes(web1), names.join('\n'));
    assert.ok(names.includes(lab), `lab (label com.pcvis.exposed, selector pcvis.expo) is missing:\n${names.join('\n')}`);
    assert.ok(!names.includes(db1), names.join('\n'));
    assert.equal((await must('substring', ['container', 'inspect', '--format', '{{.Name}}', lab])).trim(), `/${lab}`);
    const r = await via('substring', ['container', 'inspect', db1]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`No such container: ${db1}`));
    // the glob policy does not show lab: labels were not listed there
    assert.notEqual((await via('glob', ['container', 'inspect', lab])).code, 0);
  });

  it('system df lists web1 and not db1', async () => {
    const r = await raw('glob', 'GET', '/v1.41/system/df');
    assert.equal(r.status, 200, r.text);
    const names = (JSON.parse(r.text) as { Containers: { Names: string[] }[] }).Containers.flatMap((c) => c.Names);
    assert.ok(names.includes(`/${web1}`), names.join(' '));
    assert.ok(!names.includes(`/${db1}`) && !names.includes(`/${lab}`), names.join(' '));
  });

  it('docker events shows web1\'s events and none of db1\'s', async () => {
    const events = await spawnDocker(proxy.host('glob'), ['events', '--filter', 'type=container', '--format', '{{.Actor.Attributes.name}} {{.Action}}']);
    try {
      // The stream is established once it delivers one of web1's events.
      await untilDelivered(events, 'the events stream to deliver web1\'s unpause', async () => {
        await daemon('POST', `/containers/${web1}/pause`);
        await daemon('POST', `/containers/${web1}/unpause`);
        return new RegExp(`^${web1} unpause$`, 'm');
      });
      for (const name of [db1, lab]) {
        assert.equal((await daemon('POST', `/containers/${name}/pause`)).status, 204);
        assert.equal((await daemon('POST', `/containers/${name}/unpause`)).status, 204);
      }
      // web1's restart comes after db1's events: once it has arrived, theirs would have too.
      await must('glob', ['restart', '-t', '0', web1]);
      await events.waitForStdout(new RegExp(`^${web1} restart$`, 'm'));
      const out = events.stdout();
      assert.match(out, new RegExp(`^${web1} start$`, 'm'));
      assert.ok(!out.includes(db1) && !out.includes(lab), `hidden containers' events were shown:\n${out}`);
      // they did happen on the daemon
      const until = Math.ceil(Date.now() / 1000) + 1;
      const onDaemon = await daemon('GET', `/events?since=${until - 120}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ container: [db1] }))}`);
      assert.match(onDaemon.text, /"pause"/);
    } finally {
      await events.stop();
    }
  });
});
