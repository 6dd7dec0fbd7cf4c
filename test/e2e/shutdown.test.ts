/**
 * Graceful shutdown on SIGTERM: plain requests in flight finish, streams are cut only after them,
 * nothing new is accepted, and a proxy holding nothing but streams exits at once.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { docker, dockerApi } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { allowAllConfig, startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { hasHead, rawConnect, statusOf } from './harness/wire.js';

const EVENTS = 'GET /events HTTP/1.1\r\nHost: docker\r\n\r\n';

async function waitForLog(proxy: Proxy, msg: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proxy.allLogs().some((l) => l.msg === msg)) {
    if (Date.now() > deadline) throw new Error(`the proxy did not log "${msg}" within ${timeoutMs} ms`);
    await sleep(10);
  }
}

e2eSuite('graceful shutdown', (ctx) => {
  it('finishes a plain request in flight, then closes streams and exits 0', { timeout: 60_000 }, async (t) => {
    const d = ctx.dockerd;
    const graceMs = 6000;
    let proxy: Proxy | undefined;
    let container: string | undefined;
    try {
      // PID 1 ignoring SIGTERM makes `stop?t=3` take the full three seconds before dockerd kills it.
      const started = await docker(d.host, ['run', '-d', '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', 'trap "" TERM; sleep 1000']);
      assert.equal(started.code, 0, started.stderr);
      container = started.stdout.trim();

      proxy = await startPortcullis({ configYaml: allowAllConfig(d.host, { shutdownGraceMs: graceMs }) });
      const address = proxy.host();
      const events = await rawConnect(address);
      events.send(EVENTS);
      await events.waitFor('the events response head', hasHead);
      assert.equal(statusOf(events.text()), 200, events.text());

      const stop = await rawConnect(address);
      stop.send(`POST /containers/${container}/stop?t=3 HTTP/1.1\r\nHost: docker\r\n\r\n`);
      // dockerd logs the SIGTERM it sends as a kill event: from then on the stop is surely in progress upstream.
      await events.waitFor('the kill event of the stop', (data) => data.includes('"Action":"kill"') && data.includes(container!));

      const sigterm = Date.now();
      const exited = proxy.stop('SIGTERM');
      await waitForLog(proxy, 'shutting down', 2000);
      await assert.rejects(rawConnect(address), { code: 'ECONNREFUSED' }, 'a new connection was accepted during shutdown');

      await stop.waitFor('the stop response', hasHead, graceMs);
      const answered = Date.now();
      assert.equal(statusOf(stop.text()), 204, stop.text());
      const inspect = await dockerApi(d.socket, 'GET', `/containers/${container}/json`);
      assert.equal(inspect.json?.State?.Running, false, 'dockerd did not stop the container');

      const eventsClosed = await events.closed;
      assert.ok(eventsClosed >= answered, `the events stream was closed ${answered - eventsClosed} ms before the stop was answered`);
      const code = await exited;
      const elapsed = Date.now() - sigterm;
      t.diagnostic(
        `stop answered ${answered - sigterm} ms after SIGTERM, events closed ${eventsClosed - answered} ms later, exit ${code} after ${elapsed} ms`,
      );
      assert.equal(code, 0);
      assert.ok(elapsed < graceMs + 2000, `the proxy took ${elapsed} ms to exit (grace ${graceMs} ms)`);
    } finally {
      await proxy?.stop();
      if (container !== undefined) await dockerApi(d.socket, 'DELETE', `/containers/${container}?force=1`).catch(() => undefined);
    }
  });

  it('does not wait out the grace period for streams alone', { timeout: 30_000 }, async (t) => {
    const d = ctx.dockerd;
    const graceMs = 8000;
    let proxy: Proxy | undefined;
    try {
      proxy = await startPortcullis({ configYaml: allowAllConfig(d.host, { shutdownGraceMs: graceMs }) });
      const address = proxy.host();
      const streams = await Promise.all([rawConnect(address), rawConnect(address)]);
      for (const s of streams) {
        s.send(EVENTS);
        await s.waitFor('an events response head', hasHead);
      }

      const sigterm = Date.now();
      const code = await proxy.stop('SIGTERM');
      const elapsed = Date.now() - sigterm;
      t.diagnostic(`exit ${code} ${elapsed} ms after SIGTERM with ${streams.length} event streams open`);
      assert.equal(code, 0);
      assert.ok(elapsed < 1000, `the proxy took ${elapsed} ms to exit with only streams open (grace ${graceMs} ms)`);
      await Promise.all(streams.map((s) => s.closed));
    } finally {
      await proxy?.stop();
    }
  });
});
