/**
 * Raw HTTP against the real daemon through the proxy with the built-in read-only policy: pipelined
 * requests with a denial in the middle, HTTP/1.0, HEAD, and what the decision log says about it all.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor, waitForDecision } from './harness/background.js';
import { dockerApi, exitCode } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type DecisionLine, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { exchange, rawConnect, splitResponses } from './harness/wire.js';

const DENIED_CREATE = /^portcullis: ContainerCreate denied: no rule allows ContainerCreate \(rule PC_DENIED_DEFAULT\)$/;

function readOnlyConfig(upstream: string, level = 'info'): string {
  return `listeners:
  - name: pipe
    address: tcp://127.0.0.1:0
    policy: read-only
upstream:
  address: ${upstream}
log:
  level: ${level}
`;
}

function createRequest(name: string): string {
  const body = JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], HostConfig: { Privileged: true, NetworkMode: 'none' } });
  return (
    `POST /v1.41/containers/create?name=${name} HTTP/1.1\r\nHost: portcullis\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/**
 * `serve` with every byte of its stdout and stderr kept (the harness keeps parsed JSON lines and a short
 * tail), for checking what never appears in the output at all.
 */
async function serveCapturingOutput(configYaml: string): Promise<{ address: string; stop(): Promise<{ stdout: string; stderr: string; code: number }> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pc-raw-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, configYaml);
  const main = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
  const child = spawn(process.execPath, [main, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const closed = new Promise<number>((resolve) => child.on('close', (code, sig) => resolve(exitCode(code, sig))));
  const stop = async (): Promise<{ stdout: string; stderr: string; code: number }> => {
    child.kill('SIGTERM');
    const code = await closed;
    await rm(dir, { recursive: true, force: true });
    return { stdout, stderr, code };
  };
  try {
    const address = await waitFor('the listening line', () => {
      const line = stdout.split('\n').find((l) => l.includes('"msg":"listening"'));
      return line === undefined ? undefined : (JSON.parse(line) as { address: string }).address;
    });
    return { address, stop };
  } catch (err) {
    const out = await stop();
    throw new Error(`${(err as Error).message}\n--- stdout ---\n${out.stdout}\n--- stderr ---\n${out.stderr}`);
  }
}

e2eSuite('pipelining and the decision log (read-only policy)', (ctx) => {
  let proxy: Proxy;

  before(async () => {
    proxy = await startPortcullis({ configYaml: readOnlyConfig(ctx.dockerd.host) });
  });

  after(() => proxy?.stop());

  it('answers ping, a denied create and a list pipelined in one write, in order, on one connection', async () => {
    const name = `pc-pipe-${process.pid}`;
    const since = proxy.logs().length;
    const conn = await rawConnect(proxy.host());
    try {
      conn.socket.write(
        'GET /_ping HTTP/1.1\r\nHost: portcullis\r\n\r\n' +
          createRequest(name) +
          'GET /v1.41/containers/json HTTP/1.1\r\nHost: portcullis\r\n\r\n',
      );
      const all = await conn.waitFor('three responses', (b) => splitResponses(b).responses.length === 3);
      const { responses, rest } = splitResponses(all);
      assert.equal(rest.length, 0, `unexpected bytes after the third response: ${JSON.stringify(rest.toString('latin1'))}`);
      const [ping, create, list] = responses as [(typeof responses)[0], (typeof responses)[0], (typeof responses)[0]];
      assert.deepEqual([ping.status, create.status, list.status], [200, 403, 200]);
      assert.equal(ping.body.toString(), 'OK');
      assert.match(JSON.parse(create.body.toString()).message, DENIED_CREATE);
      assert.equal(create.headers.get('server'), 'portcullis');
      assert.ok(Array.isArray(JSON.parse(list.body.toString())), list.body.toString());
      // dockerd stamps every answer with Api-Version; the denial must not have been near it.
      assert.ok(ping.headers.has('api-version') && list.headers.has('api-version'));
      assert.ok(!create.headers.has('api-version'));

      // Still the same keep-alive connection.
      conn.socket.write('GET /_ping HTTP/1.1\r\nHost: portcullis\r\n\r\n');
      const more = await conn.waitFor('a fourth response', (b) => splitResponses(b).responses.length === 4);
      assert.equal(splitResponses(more).responses[3]!.status, 200);
    } finally {
      conn.socket.destroy();
    }

    const fromConn = (l: DecisionLine): boolean => l.remote === `127.0.0.1:${conn.localPort}`;
    await waitFor('four decision lines for the connection', () => proxy.logs().slice(since).filter(fromConn).length === 4);
    assert.deepEqual(
      proxy.logs().slice(since).filter(fromConn).map((l) => [l.operation, l.decision, l.status]),
      [['SystemPing', 'allow', 200], ['ContainerCreate', 'deny', 403], ['ContainerList', 'allow', 200], ['SystemPing', 'allow', 200]],
    );
    const inspect = await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${name}/json`);
    assert.equal(inspect.status, 404, `the denied create reached the daemon: ${inspect.text}`);
  });

  it('HTTP/1.0 without keep-alive gets one response, then the proxy closes the connection', async () => {
    const since = proxy.logs().length;
    const { data, localPort } = await exchange(proxy.host(), 'GET /_ping HTTP/1.0\r\n\r\nGET /_ping HTTP/1.0\r\n\r\n');
    const { responses, rest } = splitResponses(data);
    assert.equal(responses.length, 1, JSON.stringify(data.toString('latin1')));
    assert.equal(rest.length, 0, JSON.stringify(data.toString('latin1')));
    assert.equal(responses[0]!.status, 200);
    assert.equal(responses[0]!.body.toString(), 'OK');
    await waitForDecision(proxy, 'the ping line', (l) => l.remote === `127.0.0.1:${localPort}`, since);
    assert.equal(proxy.logs().slice(since).filter((l) => l.remote === `127.0.0.1:${localPort}`).length, 1);
  });

  it('a denied HEAD is answered without a body, so the next pipelined response stays in step', async () => {
    const conn = await rawConnect(proxy.host());
    try {
      // ContainerArchiveInfo is what `docker cp` asks first; read-only does not allow it.
      conn.socket.write(
        'HEAD /_ping HTTP/1.1\r\nHost: portcullis\r\n\r\n' +
          'HEAD /v1.41/containers/nosuch/archive?path=/ HTTP/1.1\r\nHost: portcullis\r\n\r\n' +
          'GET /_ping HTTP/1.1\r\nHost: portcullis\r\n\r\n',
      );
      // The last answer is the ping's "OK", however the ones before it were framed.
      const all = await conn.waitFor('the final ping', (b) => b.toString('latin1').endsWith('\r\n\r\nOK'));
      const { responses, rest } = splitResponses(all, new Set([0, 1]));
      assert.deepEqual(
        responses.map((r) => r.status),
        [200, 403, 200],
        `responses out of step; bytes left over after the parsed ones: ${JSON.stringify(rest.toString('latin1'))}`,
      );
      assert.equal(responses[2]!.body.toString(), 'OK');
      assert.equal(rest.length, 0);
    } finally {
      conn.socket.destroy();
    }
  });

  it('logs every field of an allowed and a denied request with the values that happened', async () => {
    const startedAt = Date.now();
    const since = proxy.logs().length;
    const denied = createRequest(`pc-pipe-fields-${process.pid}`);
    const allowed = 'GET /_ping HTTP/1.1\r\nHost: portcullis\r\nConnection: close\r\n\r\n';
    const { data, localPort, ms } = await exchange(proxy.host(), denied + allowed);
    const { responses, rest } = splitResponses(data);
    assert.equal(responses.length, 2, JSON.stringify(data.toString('latin1')));
    assert.equal(rest.length, 0);

    const remote = `127.0.0.1:${localPort}`;
    await waitFor('two decision lines', () => proxy.logs().slice(since).filter((l) => l.remote === remote).length === 2);
    const lines = proxy.logs().slice(since).filter((l) => l.remote === remote);
    const expected = [
      { method: 'POST', path: `/v1.41/containers/create?name=pc-pipe-fields-${process.pid}`, operation: 'ContainerCreate', decision: 'deny', rule: 'PC_DENIED_DEFAULT', status: 403, request: denied },
      { method: 'GET', path: '/_ping', operation: 'SystemPing', decision: 'allow', rule: 'read-only', status: 200, request: allowed },
    ];
    for (const [i, line] of lines.entries()) {
      const want = expected[i]!;
      const at = `line ${i}: ${JSON.stringify(line)}`;
      for (const field of ['time', 'listener', 'remote', 'method', 'path', 'operation', 'decision', 'rule', 'status', 'duration_ms', 'bytes_in', 'bytes_out']) {
        assert.ok(field in line, `${field} missing from ${at}`);
      }
      const time = Date.parse(String(line.time));
      assert.ok(time >= startedAt - 1000 && time <= Date.now(), `implausible time in ${at}`);
      assert.equal(line.listener, 'pipe', at);
      assert.equal(line.remote, remote, at);
      assert.equal(line.method, want.method, at);
      assert.equal(line.path, want.path, at);
      assert.equal(line.operation, want.operation, at);
      assert.equal(line.decision, want.decision, at);
      assert.equal(line.rule, want.rule, at);
      assert.equal(line.status, want.status, at);
      assert.ok(typeof line.duration_ms === 'number' && line.duration_ms >= 0 && line.duration_ms <= ms, `duration_ms not within the ${ms} ms exchange: ${at}`);
      assert.equal(line.bytes_in, Buffer.byteLength(want.request), at);
      assert.equal(line.bytes_out, responses[i]!.raw.length, at);
    }
  });

  it('never writes the Authorization or X-Registry-Auth header values to its output', async () => {
    // debug level, so that whatever the proxy logs at any level is in the output looked at.
    // SECRET123 is a client's token, so its requests are identified and reach every later stage.
    const withToken = `${readOnlyConfig(ctx.dockerd.host, 'debug')}clients:\n  - name: tokened\n    policy: read-only\n    token: SECRET123\n`;
    const served = await serveCapturingOutput(withToken);
    let out: { stdout: string; stderr: string; code: number } | undefined;
    try {
      const secrets = 'Authorization: Bearer SECRET123\r\nX-Registry-Auth: SECRET456\r\n';
      const requests = [
        // allowed, denied by the policy, unknown endpoint, and refused before routing (CL and TE together)
        `GET /v1.41/containers/json HTTP/1.1\r\nHost: portcullis\r\n${secrets}Connection: close\r\n\r\n`,
        `POST /v1.41/images/create?fromImage=busybox&tag=latest HTTP/1.1\r\nHost: portcullis\r\n${secrets}Connection: close\r\n\r\n`,
        `GET /v1.41/nosuch HTTP/1.1\r\nHost: portcullis\r\n${secrets}Connection: close\r\n\r\n`,
        `POST /v1.41/containers/create HTTP/1.1\r\nHost: portcullis\r\n${secrets}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
        // and a token that matches no client
        `GET /v1.41/containers/json HTTP/1.1\r\nHost: portcullis\r\nAuthorization: Bearer SECRET789\r\nConnection: close\r\n\r\n`,
      ];
      const statuses: number[] = [];
      for (const request of requests) {
        const { data } = await exchange(served.address, request);
        statuses.push(splitResponses(data).responses[0]?.status ?? 0);
      }
      assert.deepEqual(statuses, [200, 403, 403, 400, 401]);
    } finally {
      // serve flushes its log before exiting, so every decision line is in the output by now.
      out = await served.stop();
    }
    const decisions = out.stdout.split('\n').filter((l) => l.includes('"msg":"request"'));
    assert.equal(decisions.length, 5, `expected a decision line per request in:\n${out.stdout}`);
    for (const secret of ['SECRET123', 'SECRET456', 'SECRET789']) {
      assert.ok(!out.stdout.includes(secret), `${secret} in stdout:\n${out.stdout}`);
      assert.ok(!out.stderr.includes(secret), `${secret} in stderr:\n${out.stderr}`);
    }
  });
});
