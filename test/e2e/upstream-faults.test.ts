/**
 * The daemon side misbehaving or going away, and clients walking away mid-stream: the proxy must
 * answer clearly, recover without a restart, and not leak descriptors on either side.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { docker, dockerApi } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE, startDockerd, type Dockerd, type RestartableDockerd } from './harness/dockerd.js';
import { allowAllConfig, startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { waitFor, waitForDecision } from './harness/background.js';
import { hasHead, peerHasReadAll, rawConnect, statusOf } from './harness/wire.js';

const PING = 'GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n';

/** True once `data`, starting at a response, holds a complete 200 answer to GET /_ping. */
function isPingOk(data: Buffer): boolean {
  return statusOf(data) === 200 && data.toString('latin1').endsWith('\r\n\r\nOK');
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * dockerd's open descriptors once its garbage collector has run. dockerd 20.10 only half-closes a hijacked
 * attach connection (httputils.CloseStreams calls CloseWrite) and leaves the descriptor to a finalizer, so
 * without a collection every finished attach would look like a leak for up to two minutes.
 */
async function daemonFdCount(d: Dockerd): Promise<number> {
  for (let i = 0; i < 2; i++) {
    // Finalizers run after the collection that found the garbage, hence a second round.
    const gc = await dockerApi(d.socket, 'GET', '/debug/pprof/heap?gc=1');
    assert.equal(gc.status, 200, `dockerd's pprof endpoint: ${gc.text.slice(0, 200)}`);
  }
  return fdCount(d.pid);
}

/** Polls until `count()` is at most `limit` or `ms` pass; returns the last count either way. */
async function settle(count: () => Promise<number>, limit: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let n = await count();
  while (n > limit && Date.now() < deadline) {
    await sleep(100);
    n = await count();
  }
  return n;
}

e2eSuite('upstream faults and abandoned clients', (ctx) => {
  it('answers 502 with a Docker-style error when the daemon cannot be reached', async () => {
    const proxy = await startPortcullis({ configYaml: allowAllConfig('unix:///nonexistent/docker.sock') });
    try {
      const ps = await docker(proxy.host(), ['ps']);
      assert.notEqual(ps.code, 0, ps.stdout);
      assert.match(ps.stderr, /portcullis:/);
      assert.match(ps.stderr, /unreachable/);

      const conn = await rawConnect(proxy.host());
      conn.send(PING);
      await conn.closed;
      const text = conn.text();
      assert.equal(statusOf(text), 502, text);
      const split = text.indexOf('\r\n\r\n');
      assert.match(text.slice(0, split), /\r\nContent-Type: application\/json\r\n/i);
      const body: unknown = JSON.parse(text.slice(split + 4));
      assert.equal(typeof (body as { message?: unknown }).message, 'string', text);
      assert.match((body as { message: string }).message, /^portcullis: .*unreachable/);
    } finally {
      await proxy.stop();
    }
  });

  it('keeps working across a daemon restart without being restarted itself', { timeout: 120_000 }, async (t) => {
    // A daemon of its own: the shared one must not go away under the other suites.
    let d: RestartableDockerd | undefined;
    let proxy: Proxy | undefined;
    try {
      d = await startDockerd();
      proxy = await startPortcullis({ configYaml: allowAllConfig(d.host) });
      const before = await docker(proxy.host(), ['ps']);
      assert.equal(before.code, 0, before.stderr);

      const idle = await rawConnect(proxy.host());
      idle.send(PING);
      await idle.waitFor('the first ping on the keep-alive connection', isPingOk);
      const firstLength = idle.received().length;

      const oldPid = d.pid;
      const t0 = Date.now();
      await d.restart();
      t.diagnostic(`dockerd restarted in ${Date.now() - t0} ms (pid ${oldPid} -> ${d.pid})`);
      assert.notEqual(d.pid, oldPid);

      const after = await docker(proxy.host(), ['ps']);
      assert.equal(after.code, 0, after.stderr);

      // The connection's upstream died with the old daemon. Either outcome is acceptable to a client,
      // a hang or a half-written answer is not.
      idle.send(PING);
      let outcome: 'answered' | 'closed';
      try {
        await idle.waitFor('the second ping on the keep-alive connection', (data) => isPingOk(data.subarray(firstLength)), 5000);
        outcome = 'answered';
      } catch (err) {
        if (!idle.socket.destroyed) throw err;
        outcome = 'closed';
      }
      const second = idle.text().slice(firstLength);
      t.diagnostic(`keep-alive connection opened before the restart: ${outcome}`);
      if (outcome === 'closed') assert.equal(second, '', 'the connection was closed after a partial answer');
      idle.socket.destroy();
    } finally {
      await proxy?.stop();
      await d?.stop();
    }
  });

  it('releases every descriptor of 1,000 requests abandoned mid-stream', { timeout: 120_000 }, async (t) => {
    const d = ctx.dockerd;
    let proxy: Proxy | undefined;
    let container: string | undefined;
    const label = `portcullis-e2e-abandoned-${process.pid}`;
    try {
      // Output on both streams every 100 ms: dockerd notices that an attach client has gone only when it next
      // writes to that stream.
      const started = await docker(d.host, [
        'run', '-d', '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', 'while :; do echo out; echo err >&2; sleep 0.1; done',
      ]);
      assert.equal(started.code, 0, started.stderr);
      container = started.stdout.trim();

      // Large enough to take several socket writes, so the cut lands while the proxy is streaming it.
      const create = Buffer.from(JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Labels: { [label]: 'x'.repeat(256 * 1024) } }));

      proxy = await startPortcullis({ configYaml: allowAllConfig(d.host) });
      const address = proxy.host();
      // Whatever the first request opens for good (the log destination, the thread pool) is not a leak.
      const warm = await rawConnect(address);
      warm.send(PING);
      await warm.waitFor('a warm-up ping', isPingOk);
      warm.socket.destroy();
      await warm.closed;
      await waitForDecision(proxy, 'the warm-up ping', (l) => l.operation === 'SystemPing');
      const since = proxy.logs().length;

      const proxyBefore = fdCount(proxy.pid);
      const daemonBefore = await daemonFdCount(d);

      const kinds = {
        events: { request: 'GET /events HTTP/1.1\r\nHost: docker\r\n\r\n', status: 200 },
        logs: { request: `GET /containers/${container}/logs?follow=1&stdout=1 HTTP/1.1\r\nHost: docker\r\n\r\n`, status: 200 },
        attach: {
          request:
            `POST /containers/${container}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\n` +
            'Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
          status: 101,
        },
      } as const;
      const statuses: Record<string, number[]> = {};
      const abandon = async (i: number): Promise<void> => {
        const conn = await rawConnect(address);
        const kind = (['events', 'logs', 'attach', 'body'] as const)[i % 4]!;
        try {
          if (kind === 'body') {
            conn.send(
              'POST /containers/create HTTP/1.1\r\nHost: docker\r\n' +
                `Content-Type: application/json\r\nContent-Length: ${create.length}\r\n\r\n`,
            );
            conn.send(create.subarray(0, create.length >> 1));
            // The cut lands once the proxy has taken in the head and the first half (and streamed them on).
            await waitFor('the proxy to read the first half of the body', () => peerHasReadAll(conn.socket));
          } else {
            conn.send(kinds[kind].request);
            await conn.waitFor(`the response head of ${kind}`, hasHead);
            (statuses[kind] ??= []).push(statusOf(conn.text()) ?? 0);
          }
        } finally {
          conn.socket.destroy();
        }
      };
      const t0 = Date.now();
      for (let batch = 0; batch < 20; batch++) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => abandon(batch * 50 + j)));
      }
      const elapsed = Date.now() - t0;
      for (const [kind, { status }] of Object.entries(kinds)) {
        assert.deepEqual(new Set(statuses[kind]), new Set([status]), `${kind} answered ${statuses[kind]?.join(',')}`);
        assert.equal(statuses[kind]!.length, 250);
      }

      const proxyAfter = await settle(async () => fdCount(proxy!.pid), proxyBefore, 5000);
      const daemonAfter = await settle(() => daemonFdCount(d), daemonBefore, 5000);
      t.diagnostic(
        `1000 abandoned requests in ${elapsed} ms; proxy fds ${proxyBefore} -> ${proxyAfter}; dockerd fds ${daemonBefore} -> ${daemonAfter}`,
      );
      assert.ok(proxyAfter <= proxyBefore + 2, `proxy fds grew from ${proxyBefore} to ${proxyAfter}`);
      assert.ok(daemonAfter <= daemonBefore + 3, `dockerd fds grew from ${daemonBefore} to ${daemonAfter}`);
      const created = await dockerApi(d.socket, 'GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [label] }))}`);
      assert.deepEqual(created.json, [], 'a container was created from a body that was cut off');
      // No cut-off create was ever answered by dockerd. The decision line has 0 when nothing was answered,
      // or the proxy's own 502 when the upstream connection went down with the client before an answer.
      const creates = await waitFor('a decision line for each cut-off create', () => {
        const lines = proxy!.logs().slice(since).filter((l) => l.operation === 'ContainerCreate');
        return lines.length === 250 && lines;
      });
      assert.deepEqual(creates.filter((l) => l.status !== 0 && l.status !== 502), [], 'dockerd answered a create whose body was cut off');
      t.diagnostic(`cut-off creates: ${creates.filter((l) => l.status === 0).length} unanswered, ${creates.filter((l) => l.status === 502).length} with the proxy's 502`);

      const ping = await rawConnect(address);
      ping.send(PING);
      await ping.waitFor('a ping after the abandoned requests', isPingOk);
      ping.socket.destroy();
    } finally {
      await proxy?.stop();
      if (container !== undefined) await dockerApi(d.socket, 'DELETE', `/containers/${container}?force=1`).catch(() => undefined);
    }
  });
});

e2eSuite('upstream faults are explained in the log', () => {
  it('logs why the socket cannot be opened at start, and the errno on every 502 line', async () => {
    const proxy = await startPortcullis({ configYaml: allowAllConfig('unix:///nonexistent/docker.sock') });
    try {
      const startup = await waitFor('the start-up probe\'s ENOENT line', () => proxy.allLogs().find((l) => l['level'] === 'error' && l['errno'] === 'ENOENT'));
      assert.match(String(startup['msg']), /^cannot open \/nonexistent\/docker\.sock: no such socket/);
      const ps = await docker(proxy.host(), ['version']);
      assert.notEqual(ps.code, 0);
      const line = await waitFor('a 502 decision line', () => proxy.logs().find((l) => l.status === 502));
      assert.equal(line['errno'], 'ENOENT');
    } finally {
      await proxy.stop();
    }
  });
});
