/**
 * Redacted inspect answers through the real docker CLI: the secret never reaches the client,
 * the daemon still holds it, and a policy without redaction shows it (the neighbour).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { docker, dockerApi } from './harness/docker-cli.js';
import { daemonRun } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';

function config(upstream: string): string {
  return `listeners:
  - name: scrubbed
    address: tcp://127.0.0.1:0
    policy: scrubbed
  - name: plain
    address: tcp://127.0.0.1:0
    policy: plain
upstream:
  address: ${upstream}
policies:
  scrubbed:
    extends: hardened
    redact:
      env: true
      paths: [Config.Labels]
  plain:
    extends: hardened
`;
}

e2eSuite('redacted inspect answers', (ctx) => {
  let proxy: Proxy;
  const name = `pc-redact-${process.pid}`;

  before(async () => {
    await daemonRun(ctx.dockerd, name, ['sleep', '1000'], { Env: ['TOKEN=s3cret-value'], Labels: { owner: 'secret-team' } });
    proxy = await startPortcullis({ configYaml: config(ctx.dockerd.host) });
  });

  after(async () => {
    await proxy?.stop();
    await dockerApi(ctx.dockerd.socket, 'DELETE', `/containers/${name}?force=1`);
  });

  it('docker inspect shows no Env and no labels, while the daemon still has them', async () => {
    const res = await docker(proxy.host('scrubbed'), ['inspect', name]);
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stdout, /s3cret-value|secret-team/);
    const [doc] = JSON.parse(res.stdout) as [{ Config: { Env: unknown; Labels?: unknown; Image: string } }];
    assert.deepEqual(doc.Config.Env, []);
    assert.equal(doc.Config.Labels, undefined);
    assert.equal(doc.Config.Image, 'busybox:local');
    const direct = await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${name}/json`);
    assert.ok((direct.json.Config.Env as string[]).includes('TOKEN=s3cret-value'));
  });

  it('a policy without redaction shows the environment', async () => {
    const res = await docker(proxy.host('plain'), ['inspect', '--format', '{{json .Config.Env}}', name]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /TOKEN=s3cret-value/);
  });
});
