/**
 * Hot reload (issue 11): a change of the config file or SIGHUP replaces the whole config atomically;
 * a broken config keeps the old one; open streams and keep-alive connections survive, the latter
 * decided by the new policy from their next request; listeners are added and removed in place.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { it } from 'node:test';
import { waitFor, spawnDocker } from './harness/background.js';
import { docker, dockerApi } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { rawConnect, splitResponses, type RawConnection } from './harness/wire.js';

function config(upstream: string, opts: { list: boolean; second?: boolean }): string {
  return `
listeners:
  - name: main
    address: tcp://127.0.0.1:0
    policy: ops
${opts.second === true ? '  - name: second\n    address: tcp://127.0.0.1:0\n    policy: ops\n' : ''}upstream:
  address: ${upstream}
policies:
  ops:
    rules:
      - id: basics
        allow: [SystemPing, SystemPingHead, SystemVersion, SystemEvents, ContainerCreate, ContainerDelete]
${opts.list ? '      - id: list\n        allow: [ContainerList]\n' : ''}`;
}

/** Replaces the file the way editors and config management do: write aside, rename over. */
async function replaceFile(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

/** Sends one keep-alive GET on `conn` and returns the status of its (n+1)-th response. */
async function get(conn: RawConnection, path: string, n: number): Promise<number> {
  conn.send(`GET ${path} HTTP/1.1\r\nHost: docker\r\n\r\n`);
  const data = await conn.waitFor(`response ${n + 1}`, (d) => splitResponses(d).responses.length > n);
  return splitResponses(data).responses[n]!.status;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

e2eSuite('hot reload', (ctx) => {
  it('applies a changed file to keep-alive connections, keeps streams, refuses a broken one, adds and removes listeners', { timeout: 90_000 }, async () => {
    const d = ctx.dockerd;
    const first = config(d.host, { list: false });
    let proxy: Proxy | undefined;
    const created: string[] = [];
    const events = await (async () => {
      proxy = await startPortcullis({ configYaml: first });
      return spawnDocker(proxy.host(), ['events', '--filter', 'type=container', '--filter', 'event=create', '--format', '{{.Actor.Attributes.name}}']);
    })();
    const p = proxy!;
    try {
      const createOnDaemon = async (name: string): Promise<void> => {
        const res = await dockerApi(d.socket, 'POST', `/containers/create?name=${name}`, { Image: BUSYBOX_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
        assert.equal(res.status, 201, res.text);
        created.push(name);
      };
      // The events stream is up once it has delivered an event.
      await waitFor('the events stream to deliver', async () => {
        const name = `pc-reload-${process.pid}-pre-${created.length}`;
        await createOnDaemon(name);
        return events.waitForStdout(new RegExp(`^${name}$`, 'm'), 1000).then(
          () => true,
          () => false,
        );
      });

      const conn = await rawConnect(p.host());
      assert.equal(await get(conn, '/_ping', 0), 200);
      assert.equal(await get(conn, '/containers/json', 1), 403);
      const denied = await waitFor('the denied list line', () => p.logs().find((l) => l.path === '/containers/json'));
      assert.equal(denied.generation, 1);
      assert.equal(denied.config_sha256, sha256(first));

      // 1. A valid change, picked up by the file watch.
      const second = config(d.host, { list: true });
      let mark = p.allLogs().length;
      await replaceFile(p.configFile, second);
      const reloaded = await waitFor('"config reloaded"', () => p.allLogs().slice(mark).find((l) => l.msg === 'config reloaded'));
      assert.equal(reloaded.generation, 2);
      assert.equal(reloaded.trigger, 'file');
      assert.equal(reloaded.config_sha256, sha256(second));
      // The same keep-alive connection, next request: the new policy decides.
      assert.equal(await get(conn, '/containers/json', 2), 200);
      const allowed = await waitFor('the allowed list line', () => p.logs().find((l) => l.path === '/containers/json' && l.decision === 'allow'));
      assert.equal(allowed.generation, 2);
      assert.equal(allowed.config_sha256, sha256(second));
      assert.equal(allowed.rule, 'list');
      // The stream opened under generation 1 still delivers.
      const after1 = `pc-reload-${process.pid}-after1`;
      await createOnDaemon(after1);
      await events.waitForStdout(new RegExp(`^${after1}$`, 'm'));

      // 2. A broken config, by SIGHUP: every error with file and line, the running config kept.
      const broken = `${second}  bogus: 1\nlimits:\n  maxBodyBytes: lots\n`;
      mark = p.allLogs().length;
      await writeFile(p.configFile, broken);
      process.kill(p.pid, 'SIGHUP');
      const failed = await waitFor('"config reload failed"', () => p.allLogs().slice(mark).find((l) => String(l.msg).startsWith('config reload failed')));
      assert.equal(failed.generation, 2);
      const errors = p.allLogs().slice(mark).filter((l) => l.msg === 'config error');
      const brokenLines = broken.split('\n');
      assert.deepEqual(
        errors.map((e) => [e.file, e.key, brokenLines[(e.line as number) - 1]?.trim()]),
        [
          [p.configFile, 'policies.bogus', 'bogus: 1'],
          [p.configFile, 'limits.maxBodyBytes', 'maxBodyBytes: lots'],
        ],
      );
      assert.equal(await get(conn, '/containers/json', 3), 200);
      const still = await docker(p.host(), ['ps', '-q']);
      assert.equal(still.code, 0, still.stderr);

      // 3. A listener added: bound and logged; main and its connection untouched.
      const third = config(d.host, { list: true, second: true });
      mark = p.allLogs().length;
      await replaceFile(p.configFile, third);
      const added = await waitFor('"listening" for second', () => p.allLogs().slice(mark).find((l) => l.msg === 'listening' && l.listener === 'second'));
      const r3 = await waitFor('"config reloaded"', () => p.allLogs().slice(mark).find((l) => l.msg === 'config reloaded'));
      assert.equal(r3.generation, 3);
      assert.deepEqual(r3.listeners, { added: ['second'], removed: [], changed: [] });
      const viaSecond = await docker(added.address as string, ['ps', '-q']);
      assert.equal(viaSecond.code, 0, viaSecond.stderr);
      assert.equal(await get(conn, '/_ping', 4), 200);

      // 4. ...and removed again: it stops accepting, main keeps its connection.
      mark = p.allLogs().length;
      await replaceFile(p.configFile, second);
      const r4 = await waitFor('"config reloaded"', () => p.allLogs().slice(mark).find((l) => l.msg === 'config reloaded'));
      assert.deepEqual(r4.listeners, { added: [], removed: ['second'], changed: [] });
      await assert.rejects(rawConnect(added.address as string), { code: 'ECONNREFUSED' });
      assert.equal(await get(conn, '/containers/json', 5), 200);

      // The stream opened under generation 1 outlived three reloads.
      const after2 = `pc-reload-${process.pid}-after2`;
      await createOnDaemon(after2);
      await events.waitForStdout(new RegExp(`^${after2}$`, 'm'));
      conn.socket.destroy();
    } finally {
      await events.stop();
      await p.stop();
      await Promise.all(created.map((n) => dockerApi(d.socket, 'DELETE', `/containers/${n}?force=1`).catch(() => undefined)));
    }
  });
});
