/**
 * Policy decisions as the docker CLI and raw clients meet them, checked against what the daemon did:
 * the embedded default config, a rule with a query condition, and the many spellings of one path.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { DEFAULT_CONFIG } from '../../src/config/default.js';
import { waitFor, waitForDecision } from './harness/background.js';
import { daemonFlavour } from './harness/daemon-flavour.js';
import { docker, dockerApi } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE, daemonRun } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { exchange, splitResponses, type ParsedResponse } from './harness/wire.js';

function denial(op: string): RegExp {
  return new RegExp(`^(docker: )?Error response from daemon: portcullis: ${op} denied: no rule allows ${op} \\(rule PC_DENIED_DEFAULT\\)$`, 'm');
}

e2eSuite('policies against the real daemon', (ctx) => {
  /** the embedded default config (read-only), on a free port instead of 2375 */
  let readOnly: Proxy;
  let hupOnly: Proxy;
  const target = `pc-policy-${process.pid}-target`;
  const hupTarget = `pc-policy-${process.pid}-hup`;

  async function running(name: string): Promise<boolean> {
    const res = await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${name}/json`);
    assert.equal(res.status, 200, `${name} is gone: ${res.text}`);
    return res.json.State.Running as boolean;
  }

  /** What the daemon holds, in a form that compares equal when nothing was created, removed or stopped. */
  async function daemonSnapshot(): Promise<unknown> {
    const [containers, volumes, images] = await Promise.all([
      dockerApi(ctx.dockerd.socket, 'GET', '/containers/json?all=1'),
      dockerApi(ctx.dockerd.socket, 'GET', '/volumes'),
      dockerApi(ctx.dockerd.socket, 'GET', '/images/json'),
    ]);
    return {
      containers: (containers.json as { Id: string; State: string }[]).map((c) => `${c.Id} ${c.State}`).sort(),
      volumes: ((volumes.json as { Volumes: { Name: string }[] | null }).Volumes ?? []).map((v) => v.Name).sort(),
      images: (images.json as { Id: string }[]).map((i) => i.Id).sort(),
    };
  }

  async function raw(proxy: Proxy, method: string, target: string): Promise<ParsedResponse> {
    const { data } = await exchange(proxy.host(), `${method} ${target} HTTP/1.1\r\nHost: portcullis\r\nConnection: close\r\n\r\n`);
    const { responses } = splitResponses(data);
    assert.equal(responses.length, 1, `${method} ${target}: ${JSON.stringify(data.toString('latin1'))}`);
    return responses[0]!;
  }

  before(async () => {
    await daemonRun(ctx.dockerd, target, ['sleep', '1000']);
    await daemonRun(ctx.dockerd, hupTarget, ['sh', '-c', 'trap "echo got-hup" HUP; while :; do sleep 0.2; done']);
    readOnly = await startPortcullis({
      configYaml: DEFAULT_CONFIG,
      args: ['--listen', 'tcp://127.0.0.1:0'],
      env: { DOCKER_HOST: ctx.dockerd.host },
    });
    hupOnly = await startPortcullis({
      configYaml: `listeners:
  - name: hup
    address: tcp://127.0.0.1:0
    policy: hup-only
upstream:
  address: ${ctx.dockerd.host}
policies:
  hup-only:
    rules:
      - id: system
        allow: [system:read]
      - id: look
        allow: ["containers:read"]
      - id: hangup
        allow: [ContainerKill]
        query:
          signal: [HUP, SIGHUP]
`,
    });
  });

  after(async () => {
    await Promise.all(
      [target, hupTarget].map((n) => dockerApi(ctx.dockerd.socket, 'DELETE', `/containers/${n}?force=1`).catch(() => undefined)),
    );
    await Promise.all([readOnly?.stop(), hupOnly?.stop()]);
  });

  it('the embedded default config lets the CLI look around', async () => {
    const host = readOnly.host();
    const [info, version, volumes] = await Promise.all([
      dockerApi(ctx.dockerd.socket, 'GET', '/info'),
      dockerApi(ctx.dockerd.socket, 'GET', '/version'),
      dockerApi(ctx.dockerd.socket, 'GET', '/volumes'),
    ]);
    const volumeNames = ((volumes.json as { Volumes: { Name: string }[] | null }).Volumes ?? []).map((v) => v.Name).sort();
    const checks: [string[], (out: string) => void][] = [
      [['ps', '--format', '{{.Names}}'], (out) => assert.ok(out.split('\n').includes(target), out)],
      [['images', '--format', '{{.Repository}}:{{.Tag}}'], (out) => assert.ok(out.split('\n').includes(BUSYBOX_IMAGE), out)],
      [['network', 'ls', '--format', '{{.Name}}'], (out) => assert.ok(out.split('\n').includes('none'), out)],
      [['volume', 'ls', '--format', '{{.Name}}'], (out) => assert.deepEqual(out.split('\n').filter(Boolean).sort(), volumeNames)],
      [['info', '--format', '{{.ID}}'], (out) => assert.equal(out.trim(), info.json.ID)],
      [['version', '--format', '{{.Server.APIVersion}}'], (out) => assert.equal(out.trim(), version.json.ApiVersion)],
    ];
    for (const [args, check] of checks) {
      const res = await docker(host, args);
      assert.equal(res.code, 0, `docker ${args.join(' ')}: ${res.stderr}`);
      check(res.stdout);
    }
  });

  it('the embedded default config refuses run, logs, export, cp, rm and volume create, and the daemon is untouched', async () => {
    const host = readOnly.host();
    const volume = `pc-policy-${process.pid}-vol`;
    const before = await daemonSnapshot();
    const since = readOnly.logs().length;
    const refused: [string[], string][] = [
      [['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true'], 'ContainerCreate'],
      [['logs', target], 'ContainerLogs'],
      [['export', target], 'ContainerExport'],
      [['cp', `${target}:/etc/hostname`, '-'], 'ContainerArchive'],
      [['rm', '-f', target], 'ContainerDelete'],
      [['volume', 'create', volume], 'VolumeCreate'],
    ];
    for (const [args, op] of refused) {
      const res = await docker(host, args);
      assert.notEqual(res.code, 0, `docker ${args.join(' ')} succeeded: ${res.stdout}`);
      assert.match(res.stderr, denial(op), `docker ${args.join(' ')}`);
      await waitForDecision(readOnly, `the ${op} denial`, (l) => l.operation === op && l.decision === 'deny' && l.status === 403, since);
    }
    assert.deepEqual(await daemonSnapshot(), before);
    assert.equal(await running(target), true);
    assert.equal((await dockerApi(ctx.dockerd.socket, 'GET', `/volumes/${volume}`)).status, 404);
  });

  it('a query condition lets docker kill -s HUP through and refuses the default KILL', async () => {
    const host = hupOnly.host();
    const hups = async (): Promise<number> => {
      const logs = await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${hupTarget}/logs?stdout=1`);
      return logs.text.split('got-hup').length - 1;
    };

    for (const [signal, count] of [['HUP', 1], ['SIGHUP', 2]] as const) {
      const res = await docker(host, ['kill', '-s', signal, hupTarget]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, `${hupTarget}\n`);
      // The trap's output proves dockerd delivered a hangup, not some other signal.
      await waitFor(`hangup number ${count} in the container's log`, async () => (await hups()) === count);
    }
    assert.equal(await running(hupTarget), true);

    const since = hupOnly.logs().length;
    const api = daemonFlavour().apiVersion;
    const killed = await docker(host, ['kill', hupTarget]);
    assert.equal(killed.code, 1);
    assert.match(killed.stderr, denial('ContainerKill'));
    const explicit = await docker(host, ['kill', '-s', 'KILL', hupTarget]);
    assert.equal(explicit.code, 1);
    assert.match(explicit.stderr, denial('ContainerKill'));
    assert.equal(await running(hupTarget), true);
    await waitFor('two denied kills in the log', () => hupOnly.logs().slice(since).filter((l) => l.operation === 'ContainerKill').length === 2);
    assert.deepEqual(
      hupOnly.logs().slice(since).filter((l) => l.operation === 'ContainerKill').map((l) => [l.path, l.decision, l.rule]),
      [
        // the CLI negotiates down to the daemon's API version
        [`/v${api}/containers/${hupTarget}/kill`, 'deny', 'PC_DENIED_DEFAULT'],
        [`/v${api}/containers/${hupTarget}/kill?signal=KILL`, 'deny', 'PC_DENIED_DEFAULT'],
      ],
    );
    assert.ok(
      hupOnly.logs().some((l) => l.operation === 'ContainerKill' && l.path.endsWith('?signal=HUP') && l.decision === 'allow' && l.rule === 'hangup'),
    );
  });

  it('every spelling of a path meets the same decision, and non-canonical ones are refused without reaching the daemon', async () => {
    const answeredByDockerd = (r: ParsedResponse): boolean => r.headers.has('api-version');
    const allowed: [string, string][] = [
      ['/v1.41/containers/json', '/v1.41/containers/json'],
      ['/v1.41.0/containers/json', '/v1.41/containers/json'],
      ['/containers/json', '/containers/json'],
    ];
    for (const [path, logged] of allowed) {
      const since = readOnly.logs().length;
      const res = await raw(readOnly, 'GET', path);
      assert.equal(res.status, 200, `${path}: ${res.body.toString()}`);
      assert.ok(answeredByDockerd(res), path);
      assert.ok((JSON.parse(res.body.toString()) as { Names: string[] }[]).some((c) => c.Names.includes(`/${target}`)), path);
      const line = await waitForDecision(readOnly, `the line for ${path}`, () => true, since);
      assert.deepEqual([line.path, line.operation, line.decision], [logged, 'ContainerList', 'allow']);
    }

    type Refusal = { method: string; path: string; message: string; rule: string; logged: string };
    const logs = `/v1.41/containers/${target}/logs?stdout=1`;
    const kill = `/v1.41/containers/${target}/kill`;
    const refused: Refusal[] = [
      {
        method: 'GET',
        path: '/v1.23/containers/json',
        message: 'GET /v1.23/containers/json denied: API version 1.23 is below the minimum 1.24',
        rule: 'PC_API_VERSION',
        logged: '/v1.23/containers/json',
      },
      // Decoded, these are the same operation on the same container, and are logged by that canonical path.
      ...[logs, `/v1.41/containers%2F${target}/logs?stdout=1`, `/v1.41/containers/${target}%2Flogs?stdout=1`, `/v1.41/%63ontainers/${target}/logs?stdout=1`].map(
        (path): Refusal => ({ method: 'GET', path, message: 'ContainerLogs denied: no rule allows ContainerLogs', rule: 'PC_DENIED_DEFAULT', logged: logs }),
      ),
      ...[kill, `/v1.41/containers%2F${target}%2Fkill`, `/v1.41/containers/${target}%2fkill`].map(
        (path): Refusal => ({ method: 'POST', path, message: 'ContainerKill denied: no rule allows ContainerKill', rule: 'PC_DENIED_DEFAULT', logged: kill }),
      ),
      // ContainerList is allowed, so only the spelling can be what refuses these.
      ...[
        ['/v1.41//containers/json', 'an empty segment'],
        ['/v1.41/containers/../containers/json', 'a dot segment'],
        ['/v1.41/./containers/json', 'a dot segment'],
        ['/v1.41/containers/%2e%2e/containers/json', 'a dot segment'],
        ['/v1.41/containers/json/', 'a trailing slash'],
      ].map(([path, why]): Refusal => ({ method: 'GET', path: path!, message: `GET ${path} denied: path has ${why}`, rule: 'PC_BAD_PATH', logged: path! })),
    ];
    for (const { method, path, message, rule, logged } of refused) {
      const since = readOnly.logs().length;
      const res = await raw(readOnly, method, path);
      assert.equal(res.status, 403, `${method} ${path}: ${res.body.toString()}`);
      assert.equal(JSON.parse(res.body.toString()).message, `portcullis: ${message} (rule ${rule})`);
      assert.ok(!answeredByDockerd(res), `${method} ${path} reached dockerd`);
      const line = await waitForDecision(readOnly, `the line for ${path}`, () => true, since);
      assert.deepEqual([line.path, line.decision, line.rule, line.status], [logged, 'deny', rule, 403], JSON.stringify(line));
    }
    assert.equal(await running(target), true, 'a kill spelling reached the daemon');
  });
});
