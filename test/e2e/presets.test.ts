/**
 * Each preset replays its tool's call sequence against the real daemon (version negotiation with
 * HEAD and GET /_ping, the events stream, the tool's reads and writes): every call reaches the
 * daemon. A host escape and one write outside the tool's needs are refused, and the daemon is
 * checked to be unchanged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { docker, dockerApi } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE, daemonRun } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { httpRequest } from './harness/wire.js';
import { PRESETS } from '../../src/presets/presets.js';

interface Call {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

const tag = `pc-preset-${process.pid}`;
const app = `${tag}-app`;
const now = () => Math.floor(Date.now() / 1000);

/** Every tool starts like this: Docker's clients negotiate the version before anything else. */
const negotiate: Call[] = [
  { method: 'HEAD', path: '/_ping' },
  { method: 'GET', path: '/_ping' },
  { method: 'GET', path: '/v1.41/version' },
];
const events = (): Call => ({ method: 'GET', path: `/v1.41/events?since=${now() - 5}&until=${now()}&filters=${encodeURIComponent('{"type":["container"]}')}` });

/** The calls each tool makes, in its order, on the objects the suite creates. */
const replays: Record<string, () => Call[]> = {
  traefik: () => [...negotiate, { method: 'GET', path: '/v1.41/info' }, { method: 'GET', path: '/v1.41/containers/json' }, { method: 'GET', path: `/v1.41/containers/${app}/json` }, { method: 'GET', path: '/v1.41/networks' }, events()],
  homepage: () => [...negotiate, { method: 'GET', path: '/v1.41/containers/json?all=true' }, { method: 'GET', path: `/v1.41/containers/${app}/json` }, { method: 'GET', path: `/v1.41/containers/${app}/stats?stream=false` }],
  'portainer-readonly': () => [
    ...negotiate, { method: 'GET', path: '/v1.41/info' }, { method: 'GET', path: '/v1.41/system/df' }, { method: 'GET', path: '/v1.41/containers/json?all=1' },
    { method: 'GET', path: `/v1.41/containers/${app}/json` }, { method: 'GET', path: `/v1.41/containers/${app}/top` }, { method: 'GET', path: `/v1.41/containers/${app}/logs?stdout=1&stderr=1&tail=10` },
    { method: 'GET', path: '/v1.41/images/json' }, { method: 'GET', path: `/v1.41/images/${BUSYBOX_IMAGE}/json` }, { method: 'GET', path: '/v1.41/networks' }, { method: 'GET', path: '/v1.41/volumes' }, events(),
  ],
  watchtower: () => [
    ...negotiate, { method: 'GET', path: '/v1.41/containers/json' }, { method: 'GET', path: `/v1.41/containers/${tag}-wt/json` }, { method: 'GET', path: `/v1.41/images/${BUSYBOX_IMAGE}/json` },
    { method: 'POST', path: `/v1.41/containers/${tag}-wt/stop?t=0` },
    { method: 'POST', path: `/v1.41/containers/create?name=${tag}-wt-next`, body: { Image: BUSYBOX_IMAGE, Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } } },
    { method: 'POST', path: `/v1.41/containers/${tag}-wt-next/start` },
    { method: 'DELETE', path: `/v1.41/containers/${tag}-wt` },
  ],
  diun: () => [...negotiate, { method: 'GET', path: '/v1.41/info' }, { method: 'GET', path: '/v1.41/containers/json' }, { method: 'GET', path: `/v1.41/images/${BUSYBOX_IMAGE}/json` }, { method: 'GET', path: '/v1.41/images/json' }],
  autoheal: () => [...negotiate, { method: 'GET', path: `/v1.41/containers/json?filters=${encodeURIComponent('{"health":["unhealthy"]}')}` }, { method: 'POST', path: `/v1.41/containers/${app}/restart?t=0` }, events()],
  dozzle: () => [...negotiate, { method: 'GET', path: '/v1.41/info' }, { method: 'GET', path: '/v1.41/containers/json?all=1' }, { method: 'GET', path: `/v1.41/containers/${app}/json` }, { method: 'GET', path: `/v1.41/containers/${app}/logs?stdout=1&stderr=1&timestamps=1&tail=100` }, { method: 'GET', path: `/v1.41/containers/${app}/stats?stream=false` }, events()],
  'uptime-kuma': () => [...negotiate, { method: 'GET', path: '/v1.41/containers/json?all=true' }, { method: 'GET', path: `/v1.41/containers/${app}/json` }],
  'gitlab-runner': () => [
    ...negotiate, { method: 'GET', path: '/v1.41/info' }, { method: 'GET', path: `/v1.41/images/${BUSYBOX_IMAGE}/json` },
    { method: 'POST', path: `/v1.41/volumes/create`, body: { Name: `${tag}-cache` } },
    { method: 'POST', path: `/v1.41/networks/create`, body: { Name: `${tag}-build`, CheckDuplicate: true } },
    { method: 'POST', path: `/v1.41/containers/create?name=${tag}-job`, body: { Image: BUSYBOX_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: `${tag}-build`, Mounts: [{ Type: 'volume', Source: `${tag}-cache`, Target: '/cache' }] } } },
    { method: 'POST', path: `/v1.41/containers/${tag}-job/start` },
    { method: 'POST', path: `/v1.41/containers/${tag}-job/wait` },
    { method: 'GET', path: `/v1.41/containers/${tag}-job/logs?stdout=1&stderr=1` },
    { method: 'DELETE', path: `/v1.41/containers/${tag}-job?v=1&force=1` },
    { method: 'DELETE', path: `/v1.41/networks/${tag}-build` },
    { method: 'DELETE', path: `/v1.41/volumes/${tag}-cache` },
  ],
  ci: () => [...negotiate, { method: 'GET', path: '/v1.41/info' }, { method: 'GET', path: '/v1.41/containers/json' }],
};

/** One write each tool never makes, and how to see on the daemon that it did not happen. */
const outside: Record<string, Call> = {
  traefik: { method: 'POST', path: `/v1.41/containers/${app}/stop?t=0` },
  homepage: { method: 'POST', path: `/v1.41/containers/${app}/kill` },
  'portainer-readonly': { method: 'POST', path: `/v1.41/containers/${app}/stop?t=0` },
  watchtower: { method: 'POST', path: `/v1.41/containers/${app}/exec`, body: { Cmd: ['true'] } },
  diun: { method: 'POST', path: `/v1.41/containers/${app}/stop?t=0` },
  autoheal: { method: 'POST', path: `/v1.41/containers/${app}/stop?t=0` },
  dozzle: { method: 'POST', path: `/v1.41/containers/${app}/stop?t=0` },
  'uptime-kuma': { method: 'POST', path: `/v1.41/containers/${app}/kill` },
  'gitlab-runner': { method: 'POST', path: `/v1.41/containers/${app}/exec`, body: { Cmd: ['true'] } },
  ci: { method: 'POST', path: '/v1.41/swarm/init', body: { ListenAddr: '127.0.0.1:2377', AdvertiseAddr: '127.0.0.1' } },
};

e2eSuite('presets replay their tools against the daemon', (ctx) => {
  let proxy: Proxy;
  const names = Object.keys(PRESETS);
  const port = (preset: string) => Number(new URL(proxy.host(preset).replace(/^tcp:/, 'http:')).port);
  const send = (preset: string, c: Call) => httpRequest(port(preset), c.method, c.path, c.body === undefined ? {} : { body: c.body });

  before(async () => {
    await daemonRun(ctx.dockerd, app, ['sleep', '100000']);
    await daemonRun(ctx.dockerd, `${tag}-wt`, ['sleep', '100000']);
    const listeners = names.map((n) => `  - name: ${n}\n    address: tcp://127.0.0.1:0\n    policy: ${n}\n`).join('');
    proxy = await startPortcullis({ configYaml: `listeners:\n${listeners}upstream:\n  address: ${ctx.dockerd.host}\n` });
  });

  after(async () => {
    await proxy?.stop();
    for (const n of [app, `${tag}-wt`, `${tag}-wt-next`, `${tag}-job`, `${tag}-escape`]) await dockerApi(ctx.dockerd.socket, 'DELETE', `/containers/${n}?force=1`);
  });

  for (const preset of Object.keys(replays)) {
    describe(preset, () => {
      it("passes the tool's calls to the daemon", async () => {
        for (const call of replays[preset]!()) {
          const res = await send(preset, call);
          assert.ok(res.status < 400, `${call.method} ${call.path}: ${res.status} ${res.text}`);
        }
      });

      it('refuses a privileged container with the host root mounted, which the daemon never sees', async () => {
        const res = await send(preset, {
          method: 'POST',
          path: `/v1.41/containers/create?name=${tag}-escape`,
          body: { Image: BUSYBOX_IMAGE, Cmd: ['true'], HostConfig: { Privileged: true, Binds: ['/:/host'], NetworkMode: 'none' } },
        });
        assert.equal(res.status, 403, res.text);
        assert.match(res.text, /portcullis: ContainerCreate denied/);
        assert.equal((await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${tag}-escape/json`)).status, 404);
      });

      it('refuses a write outside its needs, and the container (and swarm state) is untouched', async () => {
        const res = await send(preset, outside[preset]!);
        assert.equal(res.status, 403, res.text);
        const state = (await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${app}/json`)).json;
        assert.equal(state.State.Running, true);
        assert.equal(state.ExecIDs, null);
        assert.equal(state.HostConfig.Privileged, false);
        assert.equal((await dockerApi(ctx.dockerd.socket, 'GET', '/info')).json.Swarm.LocalNodeState, 'inactive');
      });
    });
  }

  it('ci and gitlab-runner run a job with the docker CLI', async () => {
    for (const preset of ['ci', 'gitlab-runner']) {
      const run = await docker(proxy.host(preset), ['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'echo', preset]);
      assert.equal(run.code, 0, `${preset}: ${run.stderr}`);
      assert.equal(run.stdout.trim(), preset);
    }
  });

  it('every preset has a replay', () => {
    assert.deepEqual(Object.keys(replays).sort(), names.sort());
  });
});
