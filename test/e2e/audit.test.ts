/**
 * Audit mode (issue 11): a policy with `mode: audit` decides every request as enforce would, but
 * forwards what enforce refuses, unchanged, logging `would_deny` with the rule and the reason.
 * What the daemon received is read back from the daemon itself.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { waitFor } from './harness/background.js';
import { docker, dockerApi } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { exchange } from './harness/wire.js';

function config(upstream: string): string {
  return `
listeners:
  - name: audit
    address: tcp://127.0.0.1:0
    policy: trial
  - name: enforce
    address: tcp://127.0.0.1:0
    policy: strict
upstream:
  address: ${upstream}
policies:
  trial:
    mode: audit
    extends: hardened
    mutate:
      labels: { team: ci }
  strict:
    extends: hardened
    mutate:
      labels: { team: ci }
`;
}

e2eSuite('audit mode', (ctx) => {
  let proxy: Proxy;
  const names: string[] = [];
  before(async () => {
    proxy = await startPortcullis({ configYaml: config(ctx.dockerd.host) });
  });
  after(async () => {
    await proxy?.stop();
    await Promise.all(names.map((n) => dockerApi(ctx.dockerd.socket, 'DELETE', `/containers/${n}?force=1`).catch(() => undefined)));
  });

  it('forwards a privileged run unchanged and logs would_deny with the rule and reason; enforce refuses it', async () => {
    const name = `pc-audit-${process.pid}-priv`;
    names.push(name);
    const run = await docker(proxy.host('audit'), ['create', '--name', name, '--privileged', '--network', 'none', BUSYBOX_IMAGE, 'true']);
    assert.equal(run.code, 0, run.stderr);
    const onDaemon = await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${name}/json`);
    assert.equal(onDaemon.json?.HostConfig?.Privileged, true);
    // Audit changes nothing it forwards: the mutation's label is not added.
    assert.equal(onDaemon.json?.Config?.Labels?.team, undefined);
    const line = await waitFor('the would_deny line', () => proxy.logs().find((l) => l.operation === 'ContainerCreate' && l.listener === 'audit'));
    assert.equal(line.decision, 'would_deny');
    assert.equal(line.rule, 'PC_DENIED_PRIVILEGED');
    assert.equal(line.mode, 'audit');
    assert.match(String(line.reason), /privileged/i);
    assert.equal(line.status, 201);

    const refused = await docker(proxy.host('enforce'), ['create', '--privileged', '--network', 'none', BUSYBOX_IMAGE, 'true']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /portcullis: ContainerCreate denied: .*\(rule PC_DENIED_PRIVILEGED\)/);
    const denied = await waitFor('the deny line', () => proxy.logs().find((l) => l.operation === 'ContainerCreate' && l.listener === 'enforce'));
    assert.equal(denied.decision, 'deny');
    assert.equal(denied.mode, 'enforce');
    assert.match(String(denied.reason), /privileged/i);
  });

  it('forwards an operation no rule allows, and an allowed one without its mutation', async () => {
    const name = `pc-audit-${process.pid}-plain`;
    names.push(name);
    const created = await docker(proxy.host('audit'), ['create', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'true']);
    assert.equal(created.code, 0, created.stderr);
    const onDaemon = await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${name}/json`);
    assert.equal(onDaemon.json?.Config?.Labels?.team, undefined);
    const allowed = await waitFor('the allowed create', () => proxy.logs().find((l) => l.operation === 'ContainerCreate' && l.path.includes(name)));
    assert.equal(allowed.decision, 'allow');
    assert.equal(allowed.reason, undefined);

    // hardened does not allow plugins: audit forwards, and the daemon answers for itself.
    const plugins = await docker(proxy.host('audit'), ['plugin', 'ls']);
    assert.equal(plugins.code, 0, plugins.stderr);
    const line = await waitFor('the plugin list line', () => proxy.logs().find((l) => l.operation === 'PluginList'));
    assert.equal(line.decision, 'would_deny');
    assert.equal(line.rule, 'PC_DENIED_DEFAULT');
    assert.equal(line.status, 200);
  });

  it('still refuses what it cannot read the way dockerd does', async () => {
    const r = await exchange(proxy.host('audit'), 'GET /containers/../json HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
    assert.match(r.data.toString(), /^HTTP\/1\.1 403 /);
    assert.match(r.data.toString(), /PC_BAD_PATH/);
    const dup = await exchange(
      proxy.host('audit'),
      'POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 52\r\nConnection: close\r\n\r\n{"Image":"busybox:local","HostConfig":{},"image":"x"}'.replace('52', String('{"Image":"busybox:local","HostConfig":{},"image":"x"}'.length)),
    );
    assert.match(dup.data.toString(), /PC_BAD_JSON/);
  });
});
