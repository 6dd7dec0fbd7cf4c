/** Proves the e2e harness itself against a real daemon, without the proxy in between. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { composeV2Skip, daemonFlavour } from './harness/daemon-flavour.js';
import { docker, dockerApi } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { e2eSuite } from './harness/skip.js';

e2eSuite('e2e harness', (ctx) => {
  it('has a daemon answering /_ping on its socket', async () => {
    const res = await dockerApi(ctx.dockerd.socket, 'GET', '/_ping');
    assert.equal(res.status, 200);
    assert.equal(res.text, 'OK');
  });

  it(`is the daemon PORTCULLIS_TEST_DOCKERD asks for (${daemonFlavour().label})`, async () => {
    const res = await dockerApi(ctx.dockerd.socket, 'GET', '/version');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.ApiVersion, daemonFlavour().apiVersion, res.text);
  });

  it('gives the docker CLI the buildx and Compose v2 plugins', { skip: composeV2Skip() }, async () => {
    const compose = await docker(ctx.dockerd.host, ['compose', 'version', '--short']);
    assert.equal(compose.code, 0, compose.stderr);
    assert.match(compose.stdout, /^2\./);
    const buildx = await docker(ctx.dockerd.host, ['buildx', 'version']);
    assert.equal(buildx.code, 0, buildx.stderr);
    assert.match(buildx.stdout, /buildx/);
  });

  it('runs busybox:local through the real docker CLI', async () => {
    const res = await docker(ctx.dockerd.host, ['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'echo', 'hi']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'hi\n');
  });

  it('sees containers through the API that the CLI created', async () => {
    const name = `harness-smoke-${process.pid}`;
    const created = await docker(ctx.dockerd.host, ['create', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'true']);
    assert.equal(created.code, 0, created.stderr);
    const list = await dockerApi(ctx.dockerd.socket, 'GET', '/containers/json?all=1');
    assert.equal(list.status, 200);
    assert.ok(
      list.json.some((c: { Names: string[] }) => c.Names.includes(`/${name}`)),
      `container ${name} not in ${list.text}`,
    );
    const removed = await dockerApi(ctx.dockerd.socket, 'DELETE', `/containers/${name}?force=1`);
    assert.equal(removed.status, 204);
  });
});
