/**
 * Identities and per-client policies with the real docker CLI: mutual TLS with certificates made
 * by `portcullis certs`, SIGHUP reload of the server certificate, bearer tokens from the CLI's
 * HttpHeaders, source addresses and a per-listener client on a unix socket.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { spawnDocker, waitFor, waitForDecision } from './harness/background.js';
import { docker, dockerApi, tokenConfigDir } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { httpRequest } from './harness/wire.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const examples = join(repoRoot, 'examples');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `portcullis ARGS` from dist/, as a user runs it. */
async function portcullis(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(repoRoot, 'dist/cli/main.js'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function mustCli(args: string[]): Promise<string> {
  const r = await portcullis(args);
  assert.equal(r.code, 0, `portcullis ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function tcpPort(address: string): number {
  const m = /^tcp:\/\/127\.0\.0\.1:(\d+)$/.exec(address);
  assert.ok(m, `expected a tcp://127.0.0.1:PORT listener, got ${address}`);
  return Number(m[1]);
}

function fingerprint(pem: string | Buffer): string {
  return new X509Certificate(pem).fingerprint256;
}

/** The SHA-256 fingerprint of the certificate a NEW TLS connection to `port` is served. */
async function servedFingerprint(port: number, clientDir: string, caFile = join(clientDir, 'ca.pem')): Promise<string> {
  const [ca, cert, key] = await Promise.all([readFile(caFile), readFile(join(clientDir, 'cert.pem')), readFile(join(clientDir, 'key.pem'))]);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, cert, key, servername: 'localhost' }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fp);
    });
    socket.once('error', reject);
  });
}

/** docker CLI environment for a DOCKER_CERT_PATH directory (ca.pem, cert.pem, key.pem). */
function tlsEnv(certPath: string): Record<string, string> {
  return { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath };
}


describe('portcullis certs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-certs-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes a CA, a server pair and client pairs in the DOCKER_CERT_PATH layout, keys 0600', async () => {
    const ca = join(dir, 'ca');
    const out = await mustCli(['certs', 'init', '--dir', ca, '--san', 'docker.example.internal', '--san', '10.1.2.3']);
    assert.match(out, /wrote .*ca\.pem/);
    await mustCli(['certs', 'client', 'ci', '--dir', ca]);
    for (const [file, mode] of [
      ['ca.pem', 0o644],
      ['ca-key.pem', 0o600],
      ['server.pem', 0o644],
      ['server-key.pem', 0o600],
      ['clients/ci/ca.pem', 0o644],
      ['clients/ci/cert.pem', 0o644],
      ['clients/ci/key.pem', 0o600],
    ] as const) {
      assert.equal((await stat(join(ca, file))).mode & 0o777, mode, file);
    }
    const caCert = new X509Certificate(await readFile(join(ca, 'ca.pem')));
    const server = new X509Certificate(await readFile(join(ca, 'server.pem')));
    const client = new X509Certificate(await readFile(join(ca, 'clients/ci/cert.pem')));
    assert.equal(caCert.ca, true);
    assert.equal(server.ca, false);
    assert.ok(server.verify(caCert.publicKey) && server.checkIssued(caCert));
    assert.ok(client.verify(caCert.publicKey) && client.checkIssued(caCert));
    assert.equal(server.subject, 'CN=portcullis');
    assert.equal(client.subject, 'CN=ci');
    assert.deepEqual(server.subjectAltName?.split(', ').sort(), [
      'DNS:docker.example.internal',
      'DNS:localhost',
      'IP Address:0:0:0:0:0:0:0:1',
      'IP Address:10.1.2.3',
      'IP Address:127.0.0.1',
    ]);
    assert.deepEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.deepEqual(client.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.equal(await readFile(join(ca, 'clients/ci/ca.pem'), 'utf8'), await readFile(join(ca, 'ca.pem'), 'utf8'));
    // CA 10 years, leaf 1 year, by default (give or take the backdating).
    const years = (c: X509Certificate) => (Date.parse(c.validTo) - Date.parse(c.validFrom)) / (365 * 24 * 3600 * 1000);
    assert.ok(Math.abs(years(caCert) - 10) < 0.02, `${caCert.validFrom} .. ${caCert.validTo}`);
    assert.ok(Math.abs(years(server) - 1) < 0.01, `${server.validFrom} .. ${server.validTo}`);
  });

  it('refuses to overwrite without --force, and --not-after makes an expired certificate', async () => {
    const ca = join(dir, 'again');
    await mustCli(['certs', 'init', '--dir', ca]);
    const first = await readFile(join(ca, 'ca.pem'), 'utf8');
    const again = await portcullis(['certs', 'init', '--dir', ca]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exist.*--force/);
    assert.equal(await readFile(join(ca, 'ca.pem'), 'utf8'), first);
    await mustCli(['certs', 'client', 'old', '--dir', ca, '--not-after', '2020-01-01T00:00:00Z']);
    const old = new X509Certificate(await readFile(join(ca, 'clients/old/cert.pem')));
    assert.ok(Date.parse(old.validTo) < Date.now());
    assert.ok(Date.parse(old.validFrom) < Date.parse(old.validTo));
    await mustCli(['certs', 'init', '--dir', ca, '--force']);
    assert.notEqual(await readFile(join(ca, 'ca.pem'), 'utf8'), first);
    assert.equal((await stat(join(ca, 'ca-key.pem'))).mode & 0o777, 0o600);
  });

  it('rejects bad arguments with usage', async () => {
    for (const args of [
      ['certs', 'init'],
      ['certs', 'client', 'a/b', '--dir', dir],
      ['certs', 'init', '--dir', dir, '--san', 'not a name'],
      ['certs', 'client', 'x', '--dir', dir, '--days', '-3'],
      ['certs', 'frobnicate', '--dir', dir],
    ]) {
      const r = await portcullis(args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, /portcullis: /, args.join(' '));
    }
  });
});

describe('identity examples', () => {
  it('examples/tenants.yaml and examples/mtls.yaml pass portcullis check', async () => {
    const env = { ALICE_TOKEN: 'a'.repeat(32), BOB_TOKEN: 'b'.repeat(32), MTLS_ADDR: 'tcp://127.0.0.1:2376', CERT_DIR: '/nonexistent/certs' };
    for (const f of ['tenants.yaml', 'mtls.yaml']) {
      const r = await portcullis(['check', '--config', join(examples, f)], env);
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
    }
  });
});

e2eSuite('identities through the proxy', (ctx) => {
  let certs: string;
  let workDir: string;
  const containerName = (what: string) => `pc-ident-${process.pid}-${what}`;

  async function containerNames(): Promise<string[]> {
    const res = await dockerApi(ctx.dockerd.socket, 'GET', '/containers/json?all=1');
    assert.equal(res.status, 200, res.text);
    return (res.json as { Names: string[] }[]).flatMap((c) => c.Names).sort();
  }

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'pc-ident-'));
    certs = join(workDir, 'certs');
    await mustCli(['certs', 'init', '--dir', certs]);
    await mustCli(['certs', 'client', 'ci', '--dir', certs]);
    await mustCli(['certs', 'client', 'monitor', '--dir', certs]);
  });
  after(() => rm(workDir, { recursive: true, force: true }));

  describe('mutual TLS (examples/mtls.yaml)', () => {
    let proxy: Proxy;
    let host: string;

    before(async () => {
      proxy = await startPortcullis({
        configYaml: await readFile(join(examples, 'mtls.yaml'), 'utf8'),
        env: { MTLS_ADDR: 'tcp://127.0.0.1:0', CERT_DIR: certs, DOCKER_HOST: ctx.dockerd.host },
      });
      host = proxy.host('mtls');
    });
    after(() => proxy?.stop());

    it('ci runs a container with docker --tlsverify', async () => {
      const since = proxy.logs().length;
      const res = await docker(host, ['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'echo', 'hi'], { env: tlsEnv(join(certs, 'clients/ci')) });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'hi\n');
      const line = await waitForDecision(proxy, 'the ContainerCreate decision', (l) => l.operation === 'ContainerCreate', since);
      assert.equal(line.decision, 'allow');
      assert.equal(line.client, 'ci');
    });

    it('docker run -i over mutual TLS ends stdin and still gets the output (half-close through TLS)', async () => {
      const res = await docker(host, ['run', '-i', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', 'cat; echo done'], {
        env: tlsEnv(join(certs, 'clients/ci')),
        input: 'piped\n',
        timeoutMs: 60_000,
      });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'piped\ndone\n');
    });

    it('the same works with explicit --tlscacert/--tlscert/--tlskey flags', async () => {
      const dir = join(certs, 'clients/ci');
      const res = await docker(host, [
        '--tlsverify',
        '--tlscacert',
        join(dir, 'ca.pem'),
        '--tlscert',
        join(dir, 'cert.pem'),
        '--tlskey',
        join(dir, 'key.pem'),
        'version',
        '--format',
        '{{.Server.APIVersion}}',
      ]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^1\.\d+\n$/);
    });

    it('monitor can list containers but not run one', async () => {
      const env = tlsEnv(join(certs, 'clients/monitor'));
      const since = proxy.logs().length;
      const ps = await docker(host, ['ps'], { env });
      assert.equal(ps.code, 0, ps.stderr);
      const before = await containerNames();
      const res = await docker(host, ['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'echo', 'hi'], { env });
      assert.notEqual(res.code, 0, res.stdout);
      assert.match(res.stderr, /portcullis: ContainerCreate denied/);
      const line = await waitForDecision(proxy, 'the ContainerCreate denial', (l) => l.operation === 'ContainerCreate', since);
      assert.equal(line.decision, 'deny');
      assert.equal(line.client, 'monitor');
      assert.deepEqual(await containerNames(), before);
    });

    it('no certificate, a certificate of another CA and an expired certificate fail in the handshake', async () => {
      // no client certificate: only the CA to verify the server
      const noCert = join(workDir, 'no-cert');
      await mkdir(noCert, { recursive: true });
      await copyFile(join(certs, 'ca.pem'), join(noCert, 'ca.pem'));
      // CN ci, but signed by another CA
      const otherCa = join(workDir, 'other-ca');
      await mustCli(['certs', 'init', '--dir', otherCa]);
      await mustCli(['certs', 'client', 'ci', '--dir', otherCa]);
      const foreign = join(workDir, 'foreign');
      await mkdir(foreign, { recursive: true });
      await copyFile(join(certs, 'ca.pem'), join(foreign, 'ca.pem'));
      await copyFile(join(otherCa, 'clients/ci/cert.pem'), join(foreign, 'cert.pem'));
      await copyFile(join(otherCa, 'clients/ci/key.pem'), join(foreign, 'key.pem'));
      // CN ci from the right CA, expired
      const expiredCa = join(workDir, 'expired-ca');
      await mkdir(expiredCa, { recursive: true });
      await copyFile(join(certs, 'ca.pem'), join(expiredCa, 'ca.pem'));
      await copyFile(join(certs, 'ca-key.pem'), join(expiredCa, 'ca-key.pem'));
      await mustCli(['certs', 'client', 'ci', '--dir', expiredCa, '--not-after', '2021-06-01T00:00:00Z']);
      const expired = join(expiredCa, 'clients/ci');

      const before = await containerNames();
      const decisions = proxy.logs().length;
      for (const [what, dir, reason] of [
        ['no certificate', noCert, 'none presented'],
        ['another CA', foreign, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
        ['expired', expired, 'CERT_HAS_EXPIRED'],
      ] as const) {
        const logged = proxy.allLogs().length;
        for (const args of [['ps'], ['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'echo', 'hi']]) {
          const res = await docker(host, args, { env: tlsEnv(dir), timeoutMs: 30_000 });
          assert.notEqual(res.code, 0, `${what}: docker ${args.join(' ')} succeeded: ${res.stdout}`);
          // With TLS 1.3 the client finishes its side of the handshake first, so the refusal reaches
          // the CLI as an alert, EOF or reset on its first read (or a broken pipe if it is still writing),
          // never as an HTTP answer.
          assert.match(res.stderr, /^(docker: )?error during connect: .*(remote error: tls|EOF|connection reset by peer|broken pipe)/m, `${what}: docker ${args.join(' ')}`);
          assert.doesNotMatch(res.stderr, /Error response from daemon/, `${what}: an HTTP answer came back`);
        }
        // Straight from node: the server drops the connection before reading any HTTP.
        await assert.rejects(tlsPing(tcpPort(host), dir), /certificate required|closed without an HTTP answer|ECONNRESET|socket hang up/i, what);
        // The proxy says why, without the connection having reached the HTTP layer.
        await waitFor(`the ${what} refusal to be logged`, () =>
          proxy
            .allLogs()
            .slice(logged)
            .some((l) => l.msg !== 'request' && typeof l.error === 'string' && l.error.includes(reason)),
        );
      }
      assert.deepEqual(proxy.logs().slice(decisions), [], 'no request reached the HTTP layer');
      assert.deepEqual(await containerNames(), before);
      // the proxy is still serving the right certificates
      const ok = await docker(host, ['ps'], { env: tlsEnv(join(certs, 'clients/ci')) });
      assert.equal(ok.code, 0, ok.stderr);
    });

    it('plain HTTP on the TLS port gets no HTTP answer', async () => {
      // Decision lines are written asynchronously: the previous test's `docker ps` must be in before counting.
      await waitForDecision(proxy, "the previous test's docker ps", (l) => l.operation === 'ContainerList' && l.client === 'ci');
      const since = proxy.logs().length;
      await assert.rejects(httpRequest(tcpPort(host), 'GET', '/_ping'));
      // A ping with the right certificate afterwards: once its line is in, one for the plain request would be too.
      assert.equal(await tlsPing(tcpPort(host), join(certs, 'clients/ci')), 200);
      await waitForDecision(proxy, 'the ping with a certificate', (l) => l.operation === 'SystemPing' && l.client === 'ci', since);
      assert.deepEqual(
        proxy.logs().slice(since).map((l) => `${l.client} ${l.operation}`),
        ['ci SystemPing'],
      );
    });
  });

  /** Connects with `dir`'s files (ca.pem, and cert.pem/key.pem when present), sends GET /_ping, resolves with the status if answered. */
  async function tlsPing(port: number, dir: string): Promise<number> {
    const read = async (f: string) => readFile(join(dir, f)).catch(() => undefined);
    const [ca, cert, key] = await Promise.all([read('ca.pem'), read('cert.pem'), read('key.pem')]);
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca, ...(cert && key ? { cert, key } : {}), servername: 'localhost' }, () => {
        socket.write('GET /_ping HTTP/1.1\r\nHost: portcullis\r\nConnection: close\r\n\r\n');
      });
      let data = '';
      socket.setEncoding('utf8').on('data', (d: string) => (data += d));
      socket.once('error', reject);
      socket.once('close', () => {
        const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
        if (m) resolve(Number(m[1]));
        else reject(new Error(`connection closed without an HTTP answer (${JSON.stringify(data)})`));
      });
    });
  }

  it('SIGHUP reloads the server certificate for new connections and keeps open streams', async () => {
    const dir = join(workDir, 'hup');
    await mustCli(['certs', 'init', '--dir', dir]);
    await mustCli(['certs', 'client', 'ci', '--dir', dir]);
    const proxy = await startPortcullis({
      configYaml: await readFile(join(examples, 'mtls.yaml'), 'utf8'),
      env: { MTLS_ADDR: 'tcp://127.0.0.1:0', CERT_DIR: dir, DOCKER_HOST: ctx.dockerd.host },
    });
    const created: string[] = [];
    try {
      const host = proxy.host('mtls');
      const port = tcpPort(host);
      const ci = join(dir, 'clients/ci');
      const oldFp = fingerprint(await readFile(join(dir, 'server.pem')));
      assert.equal(await servedFingerprint(port, ci), oldFp);

      // A long-lived stream through a connection made with the old certificate.
      const events = await spawnDocker(host, [
        '--tlsverify',
        '--tlscacert',
        join(ci, 'ca.pem'),
        '--tlscert',
        join(ci, 'cert.pem'),
        '--tlskey',
        join(ci, 'key.pem'),
        'events',
        '--filter',
        'type=container',
        '--filter',
        'event=create',
        '--format',
        '{{.Actor.Attributes.name}}',
      ]);
      try {
        const createOnDaemon = async (name: string) => {
          const res = await dockerApi(ctx.dockerd.socket, 'POST', `/containers/create?name=${name}`, {
            Image: BUSYBOX_IMAGE,
            Cmd: ['true'],
            HostConfig: { NetworkMode: 'none' },
          });
          assert.equal(res.status, 201, res.text);
          created.push(name);
        };
        // The stream is established once it has printed an event (the decision line comes only at its end).
        await waitFor('the events stream to deliver', async () => {
          const pre = containerName(`hup-pre-${created.length}`);
          await createOnDaemon(pre);
          return events.waitForStdout(new RegExp(`^${pre}$`, 'm'), 1000).then(
            () => true,
            () => false,
          );
        });

        // A new server pair from a new CA; the client CA (ca.pem) stays. Renamed into place as a renewal would be.
        const fresh = join(workDir, 'hup-new');
        await mustCli(['certs', 'init', '--dir', fresh]);
        const newFp = fingerprint(await readFile(join(fresh, 'server.pem')));
        assert.notEqual(newFp, oldFp);
        for (const f of ['server.pem', 'server-key.pem']) {
          await copyFile(join(fresh, f), join(dir, `${f}.new`));
          await rename(join(dir, `${f}.new`), join(dir, f));
        }
        // Until SIGHUP, new connections still get the old certificate.
        assert.equal(await servedFingerprint(port, ci), oldFp);

        const logged = proxy.allLogs().length;
        process.kill(proxy.pid, 'SIGHUP');
        await waitFor('the "config reloaded" line', () => proxy.allLogs().slice(logged).find((l) => l.msg === 'config reloaded'));
        assert.deepEqual(proxy.allLogs().slice(logged).filter((l) => l.msg === 'config error'), []);

        // A new connection sees the new certificate (verified against the new CA)...
        assert.equal(await servedFingerprint(port, ci, join(fresh, 'ca.pem')), newFp);
        // ...the docker CLI with the old CA now refuses the server, with the new CA it works...
        const stale = await docker(host, ['ps'], { env: tlsEnv(ci), timeoutMs: 30_000 });
        assert.notEqual(stale.code, 0);
        assert.match(stale.stderr, /certificate|x509|tls/i);
        const renewed = join(workDir, 'hup-client');
        await mkdir(renewed, { recursive: true });
        await copyFile(join(fresh, 'ca.pem'), join(renewed, 'ca.pem'));
        await copyFile(join(ci, 'cert.pem'), join(renewed, 'cert.pem'));
        await copyFile(join(ci, 'key.pem'), join(renewed, 'key.pem'));
        const ps = await docker(host, ['ps'], { env: tlsEnv(renewed) });
        assert.equal(ps.code, 0, ps.stderr);
        // ...and the stream opened before the reload still delivers events.
        const post = containerName('hup-post');
        await createOnDaemon(post);
        await events.waitForStdout(new RegExp(`^${post}$`, 'm'));

        // Broken files (a key that is not a key): the reload fails and the listener keeps serving the last good pair.
        await writeFile(join(dir, 'server-key.pem.new'), 'not a key\n', { mode: 0o600 });
        await rename(join(dir, 'server-key.pem.new'), join(dir, 'server-key.pem'));
        const logged2 = proxy.allLogs().length;
        process.kill(proxy.pid, 'SIGHUP');
        await waitFor('the "config reload failed" line', () => proxy.allLogs().slice(logged2).find((l) => String(l.msg).startsWith('config reload failed')));
        assert.equal(proxy.allLogs().slice(logged2).find((l) => l.msg === 'config error')?.listener, 'mtls');
        assert.equal(await servedFingerprint(port, ci, join(fresh, 'ca.pem')), newFp);
        const still = await docker(host, ['ps'], { env: tlsEnv(renewed) });
        assert.equal(still.code, 0, still.stderr);
      } finally {
        await events.stop();
      }
    } finally {
      await proxy.stop();
      await Promise.all(created.map((n) => dockerApi(ctx.dockerd.socket, 'DELETE', `/containers/${n}?force=1`).catch(() => undefined)));
    }
  });

  describe('bearer tokens (examples/tenants.yaml)', () => {
    let proxy: Proxy;
    let port: number;
    const alice = randomBytes(32).toString('hex');
    const bob = randomBytes(32).toString('hex');
    const wrong = randomBytes(32).toString('hex');
    const configDirs: Record<string, string> = {};

    before(async () => {
      proxy = await startPortcullis({
        configYaml: await readFile(join(examples, 'tenants.yaml'), 'utf8'),
        env: { PORTCULLIS_LISTEN: 'tcp://127.0.0.1:0', ALICE_TOKEN: alice, BOB_TOKEN: bob, DOCKER_HOST: ctx.dockerd.host },
      });
      port = tcpPort(proxy.host('tenants'));
      for (const [who, token] of [
        ['alice', alice],
        ['bob', bob],
        ['wrong', wrong],
      ] as const) {
        configDirs[who] = await tokenConfigDir(join(workDir, `docker-config-${who}`), token);
      }
      configDirs.none = join(workDir, 'docker-config-none');
      await mkdir(configDirs.none, { recursive: true });
    });
    after(() => proxy?.stop());

    it("alice's and bob's tokens identify them", async () => {
      for (const who of ['alice', 'bob']) {
        const since = proxy.logs().length;
        const res = await docker(proxy.host(), ['ps'], { dockerConfigDir: configDirs[who]! });
        assert.equal(res.code, 0, `${who}: ${res.stderr}`);
        const line = await waitForDecision(proxy, `${who}'s ContainerList`, (l) => l.operation === 'ContainerList', since);
        assert.equal(line.decision, 'allow');
        assert.equal(line.client, who);
      }
    });

    it('a request without a token is refused with PC_UNKNOWN_CLIENT', async () => {
      const since = proxy.logs().length;
      const res = await docker(proxy.host(), ['ps'], { dockerConfigDir: configDirs.none! });
      assert.notEqual(res.code, 0, res.stdout);
      assert.match(res.stderr, /PC_UNKNOWN_CLIENT/);
      const raw = await httpRequest(port, 'GET', '/v1.41/containers/json');
      assert.equal(raw.status, 403, raw.text);
      assert.match(raw.text, /PC_UNKNOWN_CLIENT/);
      const line = await waitForDecision(proxy, 'the refusal', (l) => l.status === 403, since);
      assert.equal(line.decision, 'deny');
      assert.equal(line.rule, 'PC_UNKNOWN_CLIENT');
    });

    it('an unknown token is refused with 401 PC_UNKNOWN_TOKEN and never logged', async () => {
      const since = proxy.logs().length;
      const res = await docker(proxy.host(), ['ps'], { dockerConfigDir: configDirs.wrong! });
      assert.notEqual(res.code, 0, res.stdout);
      assert.match(res.stderr, /PC_UNKNOWN_TOKEN/);
      assert.ok(!res.stderr.includes(wrong), 'the refusal quotes the token');
      const raw = await httpRequest(port, 'GET', '/v1.41/containers/json', { headers: { Authorization: `Bearer ${wrong}` } });
      assert.equal(raw.status, 401, raw.text);
      assert.match(raw.text, /PC_UNKNOWN_TOKEN/);
      const line = await waitForDecision(proxy, 'the 401', (l) => l.status === 401, since);
      assert.equal(line.decision, 'deny');
      assert.equal(line.rule, 'PC_UNKNOWN_TOKEN');
      // a known token sent with another scheme is refused too, rather than ignored
      const basic = await httpRequest(port, 'GET', '/v1.41/containers/json', { headers: { Authorization: `Basic ${alice}` } });
      assert.equal(basic.status, 401, basic.text);
      await proxy.stop();
      const everything = JSON.stringify(proxy.allLogs());
      for (const t of [alice, bob, wrong]) assert.ok(!everything.includes(t), 'a token appears in the proxy output');
    });
  });

  describe('source addresses and a per-listener client on a unix socket', () => {
    let proxy: Proxy;
    let port: number;
    let socketPath: string;
    const group = 'pctest';

    before(async () => {
      await run('groupadd', ['-f', group]);
      socketPath = join(workDir, 'ci.sock');
      proxy = await startPortcullis({
        configYaml: `listeners:
  - name: tcp
    address: tcp://127.0.0.1:0
  - name: ci-sock
    address: unix://${socketPath}
    mode: "0660"
    group: ${group}
upstream:
  address: ${ctx.dockerd.host}
policies:
  builder:
    extends: read-only
    rules:
      - id: create
        allow: [ContainerCreate, ContainerDelete]
  ci:
    extends: read-only
clients:
  - { name: other, policy: read-only, source: [127.0.0.2] }
  - { name: local, policy: builder, source: [127.0.0.1] }
  - { name: sock, policy: ci, listener: ci-sock }
`,
      });
      port = tcpPort(proxy.host('tcp'));
    });
    after(() => proxy?.stop());

    it('the source address selects the client', async () => {
      const body = { Image: BUSYBOX_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } };
      const since = proxy.logs().length;
      const otherName = containerName('src-other');
      const denied = await httpRequest(port, 'POST', `/v1.41/containers/create?name=${otherName}`, { localAddress: '127.0.0.2', body });
      assert.equal(denied.status, 403, denied.text);
      assert.match(denied.text, /portcullis: ContainerCreate denied/);
      const deniedLine = await waitForDecision(proxy, 'the denial from 127.0.0.2', (l) => l.operation === 'ContainerCreate', since);
      assert.equal(deniedLine.client, 'other');
      assert.equal((await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${otherName}/json`)).status, 404);

      const localName = containerName('src-local');
      const since2 = proxy.logs().length;
      try {
        const allowed = await httpRequest(port, 'POST', `/v1.41/containers/create?name=${localName}`, { localAddress: '127.0.0.1', body });
        assert.equal(allowed.status, 201, allowed.text);
        const allowedLine = await waitForDecision(proxy, 'the create from 127.0.0.1', (l) => l.operation === 'ContainerCreate', since2);
        assert.equal(allowedLine.client, 'local');
        assert.equal(allowedLine.decision, 'allow');
        assert.equal((await dockerApi(ctx.dockerd.socket, 'GET', `/containers/${localName}/json`)).status, 200);
      } finally {
        await dockerApi(ctx.dockerd.socket, 'DELETE', `/containers/${localName}?force=1`).catch(() => undefined);
      }
    });

    it('the unix socket has mode 0660 and the group, and its requests are the listener client', async () => {
      const st = await stat(socketPath);
      assert.equal(st.mode & 0o777, 0o660);
      const { stdout } = await run('stat', ['-c', '%a %G', socketPath]);
      assert.equal(stdout.trim(), `660 ${group}`);
      const since = proxy.logs().length;
      const res = await docker(`unix://${socketPath}`, ['ps']);
      assert.equal(res.code, 0, res.stderr);
      const line = await waitForDecision(proxy, 'the ContainerList over the socket', (l) => l.operation === 'ContainerList', since);
      assert.equal(line.listener, 'ci-sock');
      assert.equal(line.client, 'sock');
      const run1 = await docker(`unix://${socketPath}`, ['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true']);
      assert.match(run1.stderr, /portcullis: ContainerCreate denied/);
    });

    it('an address no client lists is refused on a listener without a policy', async () => {
      const res = await httpRequest(port, 'GET', '/_ping', { localAddress: '127.0.0.3' });
      assert.equal(res.status, 403, res.text);
      assert.match(res.text, /PC_UNKNOWN_CLIENT/);
      const ok = await httpRequest(port, 'GET', '/_ping', { localAddress: '127.0.0.2' });
      assert.equal(ok.status, 200, ok.text);
    });
  });
});
