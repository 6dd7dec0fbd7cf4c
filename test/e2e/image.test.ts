/**
 * The container image, built offline with `npm run image` on a base imported from this machine's
 * Node, run as users run socket proxies: socket mounted, --read-only, --cap-drop ALL,
 * no-new-privileges, a non-root user with the socket's group. The host docker CLI reaches it
 * through the published loopback port (inside the private daemon's network namespace, hence
 * nsenter). Prints the measurements the issue asks for.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { waitFor } from './harness/background.js';
import { docker, dockerApi, dockerBinary, dockerEnv, runClient, type DockerResult } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { buildImage, importNodeBase, LOCAL_NODE_BASE, TEST_IMAGE } from './harness/image.js';
import { e2eSuite } from './harness/skip.js';

const MB = 1024 * 1024;

e2eSuite('the container image', (ctx) => {
  const tag = `pc-image-${process.pid}`;
  const network = `${tag}-net`;
  const port = 20000 + (process.pid % 20000);
  let work: string;
  let gid: number;
  const created: string[] = [];

  /** The docker CLI in the daemon's network namespace, where the published port is. */
  const cli = async (args: string[], timeoutMs = 60_000): Promise<DockerResult> => {
    const cfg = await mkdtemp(join(tmpdir(), 'pc-img-cli-'));
    try {
      return await runClient('nsenter', ['-t', String(ctx.dockerd.pid), '-n', dockerBinary(), ...args], { env: dockerEnv(`tcp://127.0.0.1:${port}`, cfg), timeoutMs });
    } finally {
      await rm(cfg, { recursive: true, force: true });
    }
  };
  const onDaemon = (args: string[]) => docker(ctx.dockerd.host, args);
  const runProxy = async (name: string, extra: string[], cmd: string[] = ['serve', '--config', '/config/portcullis.yaml']): Promise<string> => {
    created.push(name);
    const res = await onDaemon([
      'create', '--name', name, '--network', network, '-p', `127.0.0.1:${port}:2375`,
      '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--user', '65532',
      '-v', `${ctx.dockerd.socket}:/var/run/docker.sock`, '-v', `${work}:/config:ro`,
      ...extra, TEST_IMAGE, ...cmd,
    ]);
    assert.equal(res.code, 0, res.stderr);
    return res.stdout.trim();
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'pc-img-'));
    // mkdtemp makes 0700 directories: the proxy's user must be able to read its config.
    await chmod(work, 0o755);
    await writeFile(join(work, 'portcullis.yaml'), 'listeners:\n  - address: tcp://0.0.0.0:2375\n    policy: hardened\n', { mode: 0o644 });
    gid = statSync(ctx.dockerd.socket).gid;
    const net = await onDaemon(['network', 'create', network]);
    assert.equal(net.code, 0, net.stderr);
    await importNodeBase(ctx.dockerd);
  });

  after(async () => {
    for (const n of created) await dockerApi(ctx.dockerd.socket, 'DELETE', `/containers/${n}?force=1`);
    await onDaemon(['network', 'rm', network]);
    await rm(work, { recursive: true, force: true });
  });

  it('npm run image builds offline with the classic builder, and adds less than 25 MB to its base', { timeout: 600_000 }, async () => {
    const { ms } = buildImage(ctx.dockerd);
    const size = async (ref: string) => (await dockerApi(ctx.dockerd.socket, 'GET', `/images/${ref}/json`)).json.Size as number;
    const base = await size(LOCAL_NODE_BASE);
    const total = await size(TEST_IMAGE);
    const config = (await dockerApi(ctx.dockerd.socket, 'GET', `/images/${TEST_IMAGE}/json`)).json.Config;
    assert.equal(config.User, '65532:65532');
    assert.deepEqual(config.Healthcheck.Test, ['CMD', 'node', '/app/dist/cli/main.js', 'healthcheck']);
    assert.ok(config.Env.includes('PORTCULLIS_LISTEN=tcp://0.0.0.0:2375'));
    process.stdout.write(`# image: build ${(ms / 1000).toFixed(1)} s, base ${(base / MB).toFixed(1)} MB, total ${(total / MB).toFixed(1)} MB, added ${((total - base) / MB).toFixed(1)} MB\n`);
    assert.ok(total - base < 25 * MB, `the image adds ${(total - base) / MB} MB`);
  });

  it('without the socket\'s group it says which group_add to use, and answers 502 with the errno logged', async () => {
    const name = `${tag}-nogroup`;
    await runProxy(name, []);
    try {
      assert.equal((await onDaemon(['start', name])).code, 0);
      // Generous: a container's Node start on a loaded 2-core machine can take seconds.
      const logs = await waitFor('the probe line', async () => (await onDaemon(['logs', name])).stdout.split('\n').find((l) => l.includes('"errno":"EACCES"')), 60_000);
      const probe = JSON.parse(logs) as { level: string; msg: string };
      assert.equal(probe.level, 'error');
      assert.equal(probe.msg, `cannot open /var/run/docker.sock: permission denied — run with the socket's group (group_add: ["${gid}"])`);
      const ps = await cli(['ps']);
      assert.notEqual(ps.code, 0);
      assert.match(ps.stderr, /unreachable \(EACCES\)/);
      const line = await waitFor('a 502 decision line', async () => (await onDaemon(['logs', name])).stdout.split('\n').find((l) => l.includes('"status":502')), 30_000);
      assert.match(line, /"errno":"EACCES"/);
    } finally {
      await onDaemon(['rm', '-f', name]);
    }
  });

  it('runs hardened: cold start, ps, run, logs -f, exec -it, healthy, and docker stop exits 0', { timeout: 300_000 }, async () => {
    const name = `${tag}-proxy`;
    const id = await runProxy(name, ['--group-add', String(gid)]);
    // Cold start: from the start request to the first answered _ping through the published port.
    const t0 = Date.now();
    const started = await dockerApi(ctx.dockerd.socket, 'POST', `/containers/${id}/start`);
    assert.equal(started.status, 204, started.text);
    const pinger = spawnSync('nsenter', ['-t', String(ctx.dockerd.pid), '-n', process.execPath, '-e', `
      const net = require('node:net');
      const deadline = Date.now() + 25000;
      (function attempt() {
        const s = net.connect(${port}, '127.0.0.1');
        let data = '';
        s.on('data', (d) => { data += d; if (data.includes('\\r\\n\\r\\nOK')) { console.log(Date.now()); process.exit(0); } });
        s.on('connect', () => s.write('GET /_ping HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'));
        const again = () => { s.destroy(); if (Date.now() > deadline) process.exit(1); setTimeout(attempt, 5); };
        s.on('error', again); s.on('end', again);
      })();`], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(pinger.status, 0, pinger.stderr);
    const coldMs = Number(pinger.stdout.trim()) - t0;

    const ps = await cli(['ps', '--format', '{{.Names}}']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, new RegExp(name));

    const run = await cli(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'echo', 'through-the-image']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'through-the-image');
    const priv = await cli(['run', '--rm', '--privileged', '--network', 'none', BUSYBOX_IMAGE, 'true']);
    assert.match(priv.stderr, /PC_DENIED_PRIVILEGED/);

    const logsName = `${tag}-logs`;
    created.push(logsName);
    const bg = await cli(['run', '-d', '--name', logsName, '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', 'echo one; sleep 1; echo two']);
    assert.equal(bg.code, 0, bg.stderr);
    const follow = await cli(['logs', '-f', logsName]);
    assert.equal(follow.code, 0, follow.stderr);
    assert.equal(follow.stdout, 'one\ntwo\n');

    await execUnderTty(name);

    const health = await waitFor('the healthcheck to report healthy', async () => {
      const s = (await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${id}/json`)).json.State.Health?.Status as string | undefined;
      return s === 'healthy' && s;
    }, 60_000);
    assert.equal(health, 'healthy');

    const rss = await onDaemon(['exec', name, 'node', '-e', "console.log(require('fs').readFileSync('/proc/1/status','utf8').match(/VmRSS:\\s+(\\d+)/)[1])"]);
    assert.equal(rss.code, 0, rss.stderr);

    const tStop = Date.now();
    const stop = await onDaemon(['stop', '-t', '10', name]);
    assert.equal(stop.code, 0, stop.stderr);
    const stopMs = Date.now() - tStop;
    const state = (await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${id}/json`)).json.State;
    assert.equal(state.ExitCode, 0);
    assert.equal(state.OOMKilled, false);
    assert.ok(stopMs < 10_000, `stopped after ${stopMs} ms, past the grace period`);
    // From the moment the daemon says the process started to the proxy's "listening" line: the
    // part that is Portcullis's own, without runc and the network set-up.
    const listening = (await onDaemon(['logs', name])).stdout.split('\n').find((l) => l.includes('"msg":"listening"'))!;
    const ownMs = Date.parse((JSON.parse(listening) as { time: string }).time) - Date.parse(state.StartedAt as string);
    const load = (await readFile('/proc/loadavg', 'utf8')).split(' ')[0];
    process.stdout.write(
      `# image: cold start to first _ping ${coldMs} ms (process start to listening ${ownMs} ms; load average ${load}), idle RSS ${(Number(rss.stdout) / 1024).toFixed(1)} MB, docker stop ${stopMs} ms (exit 0)\n`,
    );
    // The goal is 1 s on an idle machine; on a 2-core machine shared by parallel test runs the
    // same start takes several times longer, so the bound here only catches a hang.
    assert.ok(coldMs < 20_000, `cold start took ${coldMs} ms`);
  });

  async function execUnderTty(container: string): Promise<void> {
    const target = `${tag}-exec`;
    created.push(target);
    const started = await cli(['run', '-d', '--name', target, '--network', 'none', BUSYBOX_IMAGE, 'sleep', '1000']);
    assert.equal(started.code, 0, started.stderr);
    const server = `pc-img-${process.pid}`;
    const dir = await mkdtemp(join(tmpdir(), 'pc-img-tty-'));
    const statusFile = join(dir, 'status');
    const t = (...args: string[]): string => spawnSync('tmux', ['-L', server, ...args], { encoding: 'utf8' }).stdout;
    try {
      const cmd = `nsenter -t ${ctx.dockerd.pid} -n ${dockerBinary()} exec -it ${target} sh; echo "exit=$?" > ${statusFile}`;
      const s = spawnSync('tmux', ['-L', server, 'new-session', '-d', '-s', 'tty', '-x', '100', '-y', '30', cmd], { env: dockerEnv(`tcp://127.0.0.1:${port}`, dir), encoding: 'utf8' });
      assert.equal(s.status, 0, s.stderr);
      await waitFor('the exec shell prompt', () => /^\/ #/m.test(t('capture-pane', '-p', '-t', 'tty')), 30_000);
      t('send-keys', '-t', 'tty', 'echo $((6*7))', 'Enter');
      await waitFor('the answer', () => /^42$/m.test(t('capture-pane', '-p', '-t', 'tty')), 30_000);
      t('send-keys', '-t', 'tty', 'exit', 'Enter');
      const status = await waitFor('docker exec to end', () => readFile(statusFile, 'utf8').then((x) => x.includes('\n') && x, () => undefined), 30_000);
      assert.equal(status.trim(), 'exit=0');
    } finally {
      spawnSync('tmux', ['-L', server, 'kill-server'], { stdio: 'ignore' });
      await rm(dir, { recursive: true, force: true });
    }
    void container;
  }
});
