/**
 * Streams through the proxy with the real docker CLI and daemon: attach and exec hijacks, a raw exec
 * start without an Upgrade header, a pseudo-terminal with resizes, long-idle follow streams, stats and
 * wait. The proxy runs examples/ci-basic.yaml unchanged, with its listener moved to a free port.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import { spawnDocker, untilDelivered, waitFor, waitForDecision } from './harness/background.js';
import { docker, dockerApi, dockerBinary, dockerEnv } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE, daemonRun } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { prerequisite } from '../prerequisite.js';
import { exchange, rawConnect, splitResponses, type ParsedResponse } from './harness/wire.js';

const CI_BASIC = new URL('../../examples/ci-basic.yaml', import.meta.url);

/*
 * How long the follow streams stay silent. Portcullis has no idle timeout; 6 s is past the idle limits
 * a proxy tends to pick up by accident (Node's http keepAliveTimeout is 5 s, many socket wrappers use a
 * few seconds) but far short of HAProxy-based proxies such as Tecnativa's docker-socket-proxy, which
 * sets `timeout client`/`timeout server` to 10m. Set PORTCULLIS_E2E_IDLE_MS=660000 to go past those.
 */
const IDLE_MS = Number(process.env.PORTCULLIS_E2E_IDLE_MS ?? 6_000);

function tmuxProblem(): string | undefined {
  const res = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (res.error !== undefined || res.status !== 0) return 'tmux is not installed';
  // resize-window first appeared in tmux 2.9 and sizes detached sessions reliably from 3.0 on.
  const m = /tmux (?:next-)?(\d+)\.(\d+)/.exec(res.stdout);
  if (m === null || Number(m[1]) < 3) return `tmux 3.0 or later is needed, found ${res.stdout.trim()}`;
  return undefined;
}

/** Docker's multiplexed stream: 8-byte frame headers (stream id, 3 zero bytes, big-endian length). */
function demux(raw: Buffer): { stdout: string; stderr: string; rest: number } {
  let stdout = '';
  let stderr = '';
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const size = raw.readUInt32BE(offset + 4);
    if (offset + 8 + size > raw.length) break;
    const payload = raw.subarray(offset + 8, offset + 8 + size).toString('utf8');
    if (raw[offset] === 1) stdout += payload;
    else if (raw[offset] === 2) stderr += payload;
    else throw new Error(`not a multiplexed stream: frame type ${raw[offset]} at ${offset}`);
    offset += 8 + size;
  }
  return { stdout, stderr, rest: raw.length - offset };
}

e2eSuite('streams through the proxy (ci-basic policy)', (ctx) => {
  let proxy: Proxy;
  const names: string[] = [];
  const unique = (what: string): string => {
    const name = `pc-streams-${process.pid}-${what}`;
    names.push(name);
    return name;
  };

  async function daemonState(name: string): Promise<{ status: number; running?: boolean; exitCode?: number }> {
    const res = await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${name}/json`);
    return res.status === 200 ? { status: 200, running: res.json.State.Running, exitCode: res.json.State.ExitCode } : { status: res.status };
  }

  async function proxyJson(method: string, path: string, body: unknown): Promise<ParsedResponse> {
    const payload = JSON.stringify(body);
    const { data } = await exchange(
      proxy.host(),
      `${method} ${path} HTTP/1.1\r\nHost: portcullis\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
    );
    const { responses, rest } = splitResponses(data);
    assert.equal(responses.length, 1, `one response expected, got ${JSON.stringify(data.toString('latin1'))}`);
    assert.equal(rest.length, 0);
    return responses[0]!;
  }

  before(async () => {
    proxy = await startPortcullis({
      configYaml: await readFile(CI_BASIC, 'utf8'),
      env: { PORTCULLIS_LISTEN: 'tcp://127.0.0.1:0', DOCKER_HOST: ctx.dockerd.host },
    });
  });

  after(async () => {
    await Promise.all(names.map((n) => dockerApi(ctx.dockerd.socket, 'DELETE', `/containers/${n}?force=1`).catch(() => undefined)));
    await proxy?.stop();
  });

  it('docker run -i: piped stdin reaches the container, its EOF half-closes, and output after EOF arrives', async () => {
    const since = proxy.logs().length;
    const name = unique('run-i');
    const res = await docker(proxy.host(), ['run', '--rm', '-i', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', 'cat; echo done'], {
      input: 'abc\n',
    });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'abc\ndone\n');
    const attach = await waitForDecision(proxy, 'ContainerAttach 101', (l) => l.operation === 'ContainerAttach', since);
    assert.equal(attach.status, 101);
    assert.equal(attach.decision, 'allow');
    assert.equal(attach.rule, 'containers');
    // --rm: the daemon removed it once it exited, which it only does after seeing stdin's EOF.
    assert.equal((await daemonState(name)).status, 404);
  });

  it('docker exec -i and docker exec: stdin, stdout, stderr and the exit code all pass through', async () => {
    const name = unique('exec');
    await daemonRun(ctx.dockerd, name, ['sleep', '1000']);
    const since = proxy.logs().length;

    const piped = await docker(proxy.host(), ['exec', '-i', name, 'cat'], { input: 'through exec -i\n' });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, 'through exec -i\n');

    const both = await docker(proxy.host(), ['exec', name, 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(both.code, 0, both.stderr);
    assert.equal(both.stdout, 'out\n');
    assert.equal(both.stderr, 'err\n');

    const failing = await docker(proxy.host(), ['exec', name, 'sh', '-c', 'exit 3']);
    assert.equal(failing.code, 3, failing.stderr);

    await waitFor('three ExecStart lines', () => proxy.logs().slice(since).filter((l) => l.operation === 'ExecStart').length === 3);
    for (const l of proxy.logs().slice(since).filter((x) => x.operation === 'ExecStart')) {
      assert.equal(l.status, 101, JSON.stringify(l));
    }
  });

  it('exec start without an Upgrade header: dockerd answers 200 and hijacks, and the stream comes through', async () => {
    const name = unique('raw-exec');
    await daemonRun(ctx.dockerd, name, ['sleep', '1000']);
    const created = await proxyJson('POST', `/v1.41/containers/${name}/exec`, {
      AttachStdout: true,
      AttachStderr: true,
      Cmd: ['sh', '-c', 'echo raw-out; echo raw-err >&2'],
    });
    assert.equal(created.status, 201, created.body.toString());
    const execId = JSON.parse(created.body.toString()).Id as string;

    const since = proxy.logs().length;
    const conn = await rawConnect(proxy.host());
    const body = '{"Detach":false,"Tty":false}';
    conn.socket.write(
      `POST /v1.41/exec/${execId}/start HTTP/1.1\r\nHost: portcullis\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    );
    const all = await conn.waitEnded();
    const headEnd = all.indexOf('\r\n\r\n');
    assert.ok(headEnd > 0, `no response head in ${JSON.stringify(all.toString('latin1'))}`);
    const head = all.subarray(0, headEnd).toString('latin1');
    assert.match(head, /^HTTP\/1\.1 200 /);
    assert.match(head, /\r\nContent-Type: application\/vnd\.docker\.raw-stream\r\n/i);
    const streams = demux(all.subarray(headEnd + 4));
    assert.deepEqual(streams, { stdout: 'raw-out\n', stderr: 'raw-err\n', rest: 0 });

    const line = await waitForDecision(proxy, 'ExecStart', (l) => l.operation === 'ExecStart', since);
    assert.equal(line.status, 200);
    assert.equal(line.path, `/v1.41/exec/${execId}/start`);
  });

  it('exec start without an Upgrade header, with a TTY: bytes sent after the response head reach the process', async () => {
    const name = unique('raw-tty');
    await daemonRun(ctx.dockerd, name, ['sleep', '1000']);
    const created = await proxyJson('POST', `/v1.41/containers/${name}/exec`, {
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      Cmd: ['cat'],
    });
    assert.equal(created.status, 201, created.body.toString());
    const execId = JSON.parse(created.body.toString()).Id as string;

    const conn = await rawConnect(proxy.host());
    const body = '{"Detach":false,"Tty":true}';
    conn.socket.write(
      `POST /v1.41/exec/${execId}/start HTTP/1.1\r\nHost: portcullis\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    );
    const headed = await conn.waitFor('the response head', (b) => b.includes('\r\n\r\n'));
    const headEnd = headed.indexOf('\r\n\r\n') + 4;
    assert.match(headed.toString('latin1'), /^HTTP\/1\.1 200 /);
    const marker = `typed-${process.pid}`;
    conn.socket.write(`${marker}\n`);
    // Once from the terminal's echo and once from cat; a TTY turns \n into \r\n.
    await conn.waitFor('the echo and cat output', (b) => b.subarray(headEnd).toString().split(`${marker}\r\n`).length === 3);
    // ^D on an empty line is EOF for cat; its exit ends the exec and dockerd closes the stream.
    conn.socket.write('\x04');
    const all = await conn.waitEnded();
    assert.equal(all.subarray(headEnd).toString(), `${marker}\r\n${marker}\r\n`);
  });

  const tmux = prerequisite('tmux', tmuxProblem());
  it('docker run -it under a pseudo-terminal: the initial size and a resize reach the container', { skip: tmux.skip }, async () => {
    tmux.check();
    const name = unique('tty');
    const server = `pc-e2e-${process.pid}`;
    const t = (...args: string[]): string => {
      const res = spawnSync('tmux', ['-L', server, ...args], { encoding: 'utf8' });
      if (res.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${res.stderr}`);
      return res.stdout;
    };
    const work = await mkdtemp(join(tmpdir(), 'pc-tty-'));
    const statusFile = join(work, 'status');
    const since = proxy.logs().length;
    const resized = (h: number, w: number) => (l: { operation: string; path: string }) =>
      l.operation === 'ContainerResize' && new RegExp(`[?&]h=${h}(&|$)`).test(l.path) && new RegExp(`[?&]w=${w}(&|$)`).test(l.path);
    try {
      const started = spawnSync(
        'tmux',
        ['-L', server, 'new-session', '-d', '-s', 'tty', '-x', '100', '-y', '30',
          `${dockerBinary()} run --rm -it --network none --name ${name} ${BUSYBOX_IMAGE} sh; echo "exit=$?" > ${statusFile}`],
        // A fresh tmux server takes this environment, so the CLI inside it talks to the proxy.
        { env: dockerEnv(proxy.host(), work), encoding: 'utf8' },
      );
      assert.equal(started.status, 0, started.stderr);
      const pane = (): string => t('capture-pane', '-p', '-t', 'tty');
      const waitForPane = (what: string, re: RegExp): Promise<boolean> =>
        waitFor(what, () => re.test(pane())).catch((e: Error) => {
          throw new Error(`${e.message}\n--- pane ---\n${pane()}`);
        });
      // capture-pane drops trailing blanks, so the prompt is "/ #".
      await waitForPane('the shell prompt', /^\/ #$/m);
      await waitForDecision(proxy, 'the initial ContainerResize to 30x100', resized(30, 100), since);
      t('send-keys', '-t', 'tty', 'stty size', 'Enter');
      await waitForPane('stty size to print 30 100', /^30 100$/m);

      t('resize-window', '-t', 'tty', '-x', '120', '-y', '40');
      // The line is logged once dockerd has answered the resize, so the shell's terminal is 40x120 by then.
      await waitForDecision(proxy, 'a ContainerResize to 40x120', resized(40, 120), since);
      t('send-keys', '-t', 'tty', 'stty size', 'Enter');
      await waitForPane('stty size to print 40 120', /^40 120$/m);

      t('send-keys', '-t', 'tty', 'exit', 'Enter');
      const status = await waitFor('docker run to exit', () => readFile(statusFile, 'utf8').then((s) => s.includes('\n') && s, () => undefined));
      assert.equal(status.trim(), 'exit=0');
      for (const l of proxy.logs().slice(since).filter((x) => x.operation === 'ContainerResize')) {
        assert.equal(l.status, 200, JSON.stringify(l));
      }
      assert.equal((await daemonState(name)).status, 404, 'the --rm container should be gone');
    } finally {
      spawnSync('tmux', ['-L', server, 'kill-server'], { stdio: 'ignore' });
      await rm(work, { recursive: true, force: true });
    }
  });

  it(`docker logs -f keeps delivering after ${IDLE_MS} ms of silence`, async () => {
    const name = unique('logs');
    // PID 1's stdout is the log; an exec on the daemon writes the second line exactly when the test wants it.
    await daemonRun(ctx.dockerd, name, ['sh', '-c', 'echo one; exec sleep 100000']);
    const logs = await spawnDocker(proxy.host(), ['logs', '-f', name]);
    try {
      await logs.waitForStdout(/^one\n/);
      // The silence is what is under test, not a wait for something.
      await sleep(IDLE_MS);
      const wrote = await docker(ctx.dockerd.host, ['exec', name, 'sh', '-c', 'echo two > /proc/1/fd/1']);
      assert.equal(wrote.code, 0, wrote.stderr);
      await logs.waitForStdout(/^one\ntwo\n$/);
    } finally {
      await logs.stop();
    }
  });

  it(`docker events keeps delivering after ${IDLE_MS} ms of silence`, async () => {
    // --since replays what happened before the CLI subscribed: on a loaded machine the warm-up pair can
    // otherwise come and go before the stream is open, and never be seen.
    const since = Math.floor(Date.now() / 1000) - 1;
    const events = await spawnDocker(proxy.host(), ['events', '--since', String(since), '--filter', 'type=container']);
    const createAndRemove = async (name: string): Promise<void> => {
      const created = await dockerApi(ctx.dockerd.socket, 'POST', `/containers/create?name=${name}`, { Image: BUSYBOX_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
      assert.equal(created.status, 201, created.text);
      const removed = await dockerApi(ctx.dockerd.socket, 'DELETE', `/containers/${name}`);
      assert.equal(removed.status, 204, removed.text);
    };
    try {
      const quiet = unique('events-after-idle');
      await untilDelivered(events, 'the events stream to deliver a warm-up container', async (attempt) => {
        const warmup = unique(`events-warmup${attempt}`);
        await createAndRemove(warmup);
        return new RegExp(`container destroy [0-9a-f]+ \\(.*name=${warmup}`);
      });
      // The silence is what is under test, not a wait for something.
      await sleep(IDLE_MS);
      await createAndRemove(quiet);
      await events.waitForStdout(new RegExp(`container create [0-9a-f]+ \\(.*name=${quiet}`));
      await events.waitForStdout(new RegExp(`container destroy [0-9a-f]+ \\(.*name=${quiet}`));
    } finally {
      await events.stop();
    }
  });

  it('a CLI killed while following logs and events ends both exchanges at once, as dockerd would', async () => {
    const name = unique('gone');
    const createdAt = Math.floor(Date.now() / 1000) - 1;
    await daemonRun(ctx.dockerd, name, ['sh', '-c', 'echo one; exec sleep 100000']);
    const since = proxy.logs().length;
    const logs = await spawnDocker(proxy.host(), ['logs', '-f', name]);
    // --since replays the container's own create event, which shows the stream is open.
    const events = await spawnDocker(proxy.host(), ['events', '--since', String(createdAt), '--filter', `container=${name}`]);
    try {
      await logs.waitForStdout(/^one\n/);
      await events.waitForStdout(new RegExp(`container create [0-9a-f]+ \\(.*name=${name}`));
    } finally {
      await Promise.all([logs.stop(), events.stop()]);
    }
    // Nothing more will come from the daemon on either stream, so only the client's going away can end them.
    for (const op of ['ContainerLogs', 'SystemEvents']) {
      const line = await waitForDecision(proxy, `the ${op} line once the client has gone`, (l) => l.operation === op, since);
      assert.equal(line.status, 200, JSON.stringify(line));
      assert.ok(line.bytes_out > 0, JSON.stringify(line));
    }
  });

  it('docker stats --no-stream prints one line for the container, docker wait prints its exit code', async () => {
    const running = unique('stats');
    await daemonRun(ctx.dockerd, running, ['sleep', '1000']);
    const stats = await docker(proxy.host(), ['stats', '--no-stream', running]);
    assert.equal(stats.code, 0, stats.stderr);
    const lines = stats.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2, stats.stdout);
    assert.match(lines[0]!, /^CONTAINER ID\s+NAME\s+CPU %/);
    assert.equal(lines[1]!.split(/\s+/)[1], running, stats.stdout);

    const exiting = unique('wait');
    const since = proxy.logs().length;
    const run = await docker(proxy.host(), ['run', '-d', '--network', 'none', '--name', exiting, BUSYBOX_IMAGE, 'sh', '-c', 'sleep 2; exit 7']);
    assert.equal(run.code, 0, run.stderr);
    const waited = await docker(proxy.host(), ['wait', exiting]);
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(waited.stdout, '7\n');
    assert.deepEqual(await daemonState(exiting), { status: 200, running: false, exitCode: 7 });
    // The wait was held open until the exit rather than answered at once.
    // `docker run -d` opens (and drops) its own next-exit wait; the one to check is `docker wait`'s.
    const line = await waitForDecision(proxy, 'ContainerWait', (l) => l.operation === 'ContainerWait' && !l.path.includes('condition=next-exit'), since);
    assert.equal(line.status, 200);
    assert.ok(line.duration_ms >= 1000, JSON.stringify(line));
  });
});
