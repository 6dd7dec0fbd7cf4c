/**
 * The socket-proxy environment variables through the real docker CLI: `serve` without --config,
 * configured only by CONTAINERS/POST/ALLOW_START/... as a Tecnativa or linuxserver compose file
 * would set them. Verdicts are read from the daemon, not from status codes.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { docker, dockerApi } from './harness/docker-cli.js';
import { daemonRun } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { httpRequest } from './harness/wire.js';

function portOf(host: string): number {
  return Number(new URL(host.replace(/^tcp:/, 'http:')).port);
}

async function exists(socket: string, name: string): Promise<boolean> {
  return (await dockerApi(socket, 'GET', `/containers/${name}/json`)).status === 200;
}

e2eSuite('socket-proxy environment variables', (ctx) => {
  const proxies: Proxy[] = [];
  const tag = `pc-compat-${process.pid}`;
  const serve = async (env: Record<string, string>): Promise<Proxy> => {
    const p = await startPortcullis({ env: { PORTCULLIS_LISTEN: 'tcp://127.0.0.1:0', SOCKET_PATH: ctx.dockerd.socket, ...env } });
    proxies.push(p);
    return p;
  };

  before(async () => {
    await daemonRun(ctx.dockerd, `${tag}-web`, ['sleep', '1000'], { Env: ['API_KEY=s3cret-value'] });
    await daemonRun(ctx.dockerd, `${tag}-other`, ['sleep', '1000']);
  });

  after(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    for (const n of ['web', 'other', 'run', 'priv', 'ro']) await dockerApi(ctx.dockerd.socket, 'DELETE', `/containers/${tag}-${n}?force=1`);
  });

  it('CONTAINERS=1 alone: docker ps works, HEAD /_ping answers, docker run is refused and nothing is created', async () => {
    const proxy = await serve({ CONTAINERS: '1' });
    const ps = await docker(proxy.host(), ['ps', '--format', '{{.Names}}']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, new RegExp(`${tag}-web`));
    const head = await httpRequest(portOf(proxy.host()), 'HEAD', '/_ping');
    assert.equal(head.status, 200);
    const run = await docker(proxy.host(), ['run', '--name', `${tag}-ro`, '--network', 'none', 'busybox:local', 'true']);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /portcullis: ContainerCreate denied: .*PC_DENIED_DEFAULT/);
    assert.equal(await exists(ctx.dockerd.socket, `${tag}-ro`), false);
    const images = await docker(proxy.host(), ['images']);
    assert.notEqual(images.code, 0, 'IMAGES was not switched on');
  });

  it('CONTAINERS=1 POST=1 ALLOW_START=1 with PORTCULLIS_HARDEN=1: docker run works, a privileged one is refused before the daemon sees it', async () => {
    const proxy = await serve({ CONTAINERS: '1', POST: '1', ALLOW_START: '1', IMAGES: '1', PORTCULLIS_HARDEN: '1' });
    const run = await docker(proxy.host(), ['run', '--name', `${tag}-run`, '--network', 'none', 'busybox:local', 'echo', 'hello']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'hello');
    const priv = await docker(proxy.host(), ['run', '--privileged', '--name', `${tag}-priv`, '--network', 'none', 'busybox:local', 'true']);
    assert.notEqual(priv.code, 0);
    assert.match(priv.stderr, /PC_DENIED_PRIVILEGED/);
    assert.equal(await exists(ctx.dockerd.socket, `${tag}-priv`), false);
  });

  it('the same env without PORTCULLIS_HARDEN lets the daemon create a privileged container (the neighbour)', async () => {
    const proxy = await serve({ CONTAINERS: '1', POST: '1' });
    const create = await docker(proxy.host(), ['create', '--privileged', '--name', `${tag}-priv`, '--network', 'none', 'busybox:local', 'true']);
    assert.equal(create.code, 0, create.stderr);
    const direct = await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${tag}-priv/json`);
    assert.equal(direct.json.HostConfig.Privileged, true);
  });

  it('linuxserver: ALLOW_STOP=1 with POST=0 stops a container, whose state the daemon reports', async () => {
    const proxy = await serve({ ALLOW_STOP: '1' });
    const stop = await docker(proxy.host(), ['stop', '-t', '0', `${tag}-other`]);
    assert.equal(stop.code, 0, stop.stderr);
    const direct = await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${tag}-other/json`);
    assert.equal(direct.json.State.Running, false);
  });

  it('CONTAINER_NAMES and SCRUB_ENVS: only matching containers are listed, and their environment is scrubbed', async () => {
    const proxy = await serve({ CONTAINERS: '1', CONTAINER_NAMES: `${tag}-web`, SCRUB_ENVS: 'true' });
    const ps = await docker(proxy.host(), ['ps', '-a', '--format', '{{.Names}}']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.deepEqual(ps.stdout.trim().split('\n'), [`${tag}-web`]);
    const inspect = await docker(proxy.host(), ['inspect', '--format', '{{json .Config.Env}}', `${tag}-web`]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(inspect.stdout.trim(), '[]');
    const hidden = await docker(proxy.host(), ['inspect', `${tag}-other`]);
    assert.notEqual(hidden.code, 0);
  });
});
