/**
 * examples/compose brought up with Compose v1.29 on the private daemon, with the locally built
 * image and a busybox stand-in for the client that asks Portcullis what a dashboard would.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import { waitFor } from './harness/background.js';
import { dockerApi } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE, daemonRun } from './harness/dockerd.js';
import { ensureImage, TEST_IMAGE } from './harness/image.js';
import { e2eSuite } from './harness/skip.js';

const example = fileURLToPath(new URL('../../examples/compose/dashboard/compose.yaml', import.meta.url));

e2eSuite('compose example: read-only dashboard', (ctx) => {
  const project = `pcdash${process.pid}`;
  const compose = (...args: string[]) =>
    spawnSync('docker-compose', ['-f', example, '-p', project, ...args], {
      encoding: 'utf8',
      timeout: 180_000,
      env: {
        ...process.env,
        DOCKER_HOST: ctx.dockerd.host,
        PORTCULLIS_IMAGE: TEST_IMAGE,
        DOCKER_GID: String(statSync(ctx.dockerd.socket).gid),
        DOCKER_SOCKET: ctx.dockerd.socket,
        DASHBOARD_IMAGE: BUSYBOX_IMAGE,
        // The stand-in lists containers and inspects the labelled one, as the dashboard's widgets do.
        DASHBOARD_COMMAND: `sh -c "while :; do busybox wget -qO- http://portcullis:2375/containers/json?all=1; echo; busybox wget -qO- http://portcullis:2375/containers/${project}-shown/json; echo; busybox wget -qO- --post-data= http://portcullis:2375/containers/${project}-shown/stop || echo REFUSED; sleep 1; done"`,
      },
    });

  before(async () => {
    await ensureImage(ctx.dockerd);
    await daemonRun(ctx.dockerd, `${project}-shown`, ['sleep', '100000'], { Labels: { 'homepage.group': 'apps' }, Env: ['DB_PASSWORD=s3cret'] });
    await daemonRun(ctx.dockerd, `${project}-hidden`, ['sleep', '100000']);
  });

  after(async () => {
    compose('down', '-v', '-t', '1');
    for (const n of ['shown', 'hidden']) await dockerApi(ctx.dockerd.socket, 'DELETE', `/containers/${project}-${n}?force=1`);
  });

  it('comes up; the client sees only the labelled container, without its environment, and cannot stop it', { timeout: 300_000 }, async () => {
    const up = compose('up', '-d');
    assert.equal(up.status, 0, up.stderr);
    // The stand-in may start before Portcullis listens (its first rounds then end in "Connection
    // refused"): wait for a round that Portcullis answered, from the list to the refused stop.
    const logs = await waitFor('a round of the stand-in that Portcullis answered', () => {
      const out = compose('logs', '--no-color', 'dashboard').stdout;
      const answered = out.indexOf(`${project}-shown`);
      return answered !== -1 && out.indexOf('REFUSED', answered) !== -1 && out;
    }, 120_000);
    assert.match(logs, new RegExp(`${project}-shown`));
    assert.doesNotMatch(logs, new RegExp(`${project}-hidden`));
    assert.doesNotMatch(logs, /s3cret/);
    const state = (await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${project}-shown/json`)).json.State;
    assert.equal(state.Running, true);
  });
});
