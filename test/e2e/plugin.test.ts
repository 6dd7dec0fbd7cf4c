/**
 * Portcullis as a Docker authorization plugin: a private dockerd started with
 * --authorization-plugin=<unique name> asks `portcullis plugin` about every request on its own
 * socket. Clients talk to the daemon directly (no proxy in between); every verdict is read
 * back from the daemon. Written against whichever dockerd is on PATH (20.10, or 26 in the
 * runner's second pass): where the two differ (the chunked-body fix of 25.0.6) the expectation
 * follows the daemon's version.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compose, composeAvailable, twoServiceProject } from './harness/compose.js';
import { docker, dockerApi } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE, e2eAvailability, ensureBusybox, type RestartableDockerd } from './harness/dockerd.js';
import { pluginSetup, type PluginProcess, type PluginSetup } from './harness/plugin.js';
import { splitResponses, type ParsedResponse } from './harness/wire.js';

const PFX = `pc-plug-${process.pid}`;

/** The anonymous caller (the daemon's unix socket) gets the first listener's policy: hardened. */
function hardenedConfig(upstream: string): string {
  return `
listeners:
  - name: local
    address: tcp://127.0.0.1:0
    policy: ci
upstream:
  address: ${upstream}
policies:
  ci:
    extends: hardened
`;
}

/** Sends raw bytes to a unix socket and collects the answer until the daemon closes. */
function raw(socket: string, request: Buffer | string, timeoutMs = 60_000): Promise<ParsedResponse> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path: socket });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms: ${Buffer.concat(chunks).toString('latin1').slice(0, 300)}`));
    }, timeoutMs);
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      const { responses } = splitResponses(Buffer.concat(chunks));
      if (responses.length > 0) {
        clearTimeout(timer);
        s.destroy();
        resolve(responses[0]!);
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('end', () => {
      clearTimeout(timer);
      const { responses } = splitResponses(Buffer.concat(chunks));
      if (responses.length > 0) resolve(responses[0]!);
      else reject(new Error(`connection ended without an answer: ${Buffer.concat(chunks).toString('latin1').slice(0, 300)}`));
    });
    s.write(request);
  });
}

function request(method: string, path: string, body?: string | Buffer, headers: Record<string, string | null> = {}): Buffer {
  const h: Record<string, string | null> = { Host: 'docker', Connection: 'close' };
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    h['Content-Length'] = String(Buffer.byteLength(body));
  }
  Object.assign(h, headers);
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(h)) if (v !== null) head += `${k}: ${v}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), body === undefined ? Buffer.alloc(0) : Buffer.from(body)]);
}

/** The message dockerd answers a plugin's refusal with. */
function deniedBy(name: string, rule: string): RegExp {
  return new RegExp(`authorization denied by plugin ${name}: portcullis: .* denied: .*\\(rule ${rule}\\)`);
}

async function exists(d: RestartableDockerd, name: string): Promise<boolean> {
  const res = await dockerApi(d.socket, 'GET', `/containers/${name}/json`);
  assert.ok(res.status === 200 || res.status === 404, `inspect ${name}: ${res.status} ${res.text}`);
  return res.status === 200;
}

const available = e2eAvailability();
const required = process.env.PORTCULLIS_REQUIRE_E2E === '1';

describe('authorization plugin on the daemon socket', { skip: !available.ok && !required ? `e2e skipped: ${available.ok ? '' : available.why}` : false }, () => {
  let setup: PluginSetup;
  let plugin: PluginProcess;
  let d: RestartableDockerd;
  let version: number[];

  before(async () => {
    if (!available.ok) throw new Error(`e2e prerequisites missing: ${available.why} (PORTCULLIS_REQUIRE_E2E=1)`);
    setup = await pluginSetup();
    plugin = await setup.start(hardenedConfig(setup.upstream));
    d = await setup.startDaemon();
    await ensureBusybox(d);
    const v = await dockerApi(d.socket, 'GET', '/version');
    version = String(v.json.Version).split('.').map(Number);
  });
  after(async () => {
    await setup?.cleanup();
  });

  it('lets the docker CLI run, exec, read logs, copy and build', async () => {
    const name = `${PFX}-flow`;
    let res = await docker(d.host, ['run', '-d', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', 'echo hello-from-plugin; sleep 1000']);
    assert.equal(res.code, 0, res.stderr);
    res = await docker(d.host, ['exec', name, 'sh', '-c', 'echo exec-ok > /out; cat /out']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /exec-ok/);
    res = await docker(d.host, ['logs', name]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /hello-from-plugin/);
    const work = await mkdtemp(join(tmpdir(), 'pc-plug-'));
    try {
      res = await docker(d.host, ['cp', `${name}:/out`, join(work, 'out')]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(await readFile(join(work, 'out'), 'utf8'), 'exec-ok\n');
      await writeFile(join(work, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN echo built > /built\n`);
      res = await docker(d.host, ['build', '-t', `${PFX}-img`, work], { timeoutMs: 180_000 });
      assert.equal(res.code, 0, res.stderr);
      res = await docker(d.host, ['run', '--rm', '--network', 'none', `${PFX}-img`, 'cat', '/built']);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /built/);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    res = await docker(d.host, ['rm', '-f', name]);
    assert.equal(res.code, 0, res.stderr);
  });

  it('lets compose bring a project up and down', { skip: composeAvailable() ? false : 'docker-compose is not installed' }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pc-plug-compose-'));
    const cfg = await mkdtemp(join(tmpdir(), 'pc-plug-cfg-'));
    const project = `${PFX}-c`.replace(/[^a-z0-9-]/g, '');
    try {
      await writeFile(join(dir, 'docker-compose.yml'), twoServiceProject(BUSYBOX_IMAGE, true));
      let res = await compose(d.host, dir, cfg, project, ['up', '-d']);
      assert.equal(res.code, 0, res.stderr);
      const list = await dockerApi(d.socket, 'GET', `/containers/json?filters=${encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${project}`] }))}`);
      assert.equal(list.json.length, 2, list.text);
      res = await compose(d.host, dir, cfg, project, ['down', '-v']);
      assert.equal(res.code, 0, res.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(cfg, { recursive: true, force: true });
    }
  });

  for (const [label, args, rule] of [
    ['a bind mount of /', ['-v', '/:/host'], 'PC_DENIED_BIND_MOUNT'],
    ['--privileged', ['--privileged'], 'PC_DENIED_PRIVILEGED'],
    ['--pid host', ['--pid', 'host'], 'PC_DENIED_NAMESPACE'],
  ] as const) {
    it(`refuses docker run with ${label}, and creates nothing`, async () => {
      const name = `${PFX}-run-${rule.toLowerCase()}`;
      const res = await docker(d.host, ['run', '--rm', '--name', name, '--network', 'none', ...args, BUSYBOX_IMAGE, 'true']);
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, deniedBy(setup.name, rule));
      assert.equal(await exists(d, name), false);
    });
  }

  it('refuses exec --privileged, and lets the plain exec through', async () => {
    const name = `${PFX}-exec`;
    let res = await docker(d.host, ['run', '-d', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'sleep', '1000']);
    assert.equal(res.code, 0, res.stderr);
    res = await docker(d.host, ['exec', '--privileged', name, 'true']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, deniedBy(setup.name, 'PC_DENIED_EXEC_PRIVILEGED'));
    const inspect = await dockerApi(d.socket, 'GET', `/containers/${name}/json`);
    assert.deepEqual(inspect.json.ExecIDs, null, 'no exec instance was created');
    res = await docker(d.host, ['exec', name, 'true']);
    assert.equal(res.code, 0, res.stderr);
    await docker(d.host, ['rm', '-f', name]);
  });

  it('refuses the CVE-2024-41110 shape: a chunked create announcing Content-Length: 0', async () => {
    const name = `${PFX}-cve-chunked`;
    const body = Buffer.from(JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], HostConfig: { Privileged: true, NetworkMode: 'none' } }));
    const head = `POST /v1.41/containers/create?name=${name} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const res = await raw(d.socket, Buffer.concat([Buffer.from(head), Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]));
    assert.equal(res.status, 403, res.body.toString());
    // dockerd < 25.0.6 does not hand the plugin a chunked body at all; a patched one does, and the
    // body is then judged like any other.
    const rule = version[0]! > 25 || (version[0] === 25 && (version[1]! > 0 || version[2]! >= 6)) ? 'PC_DENIED_PRIVILEGED' : 'PC_PLUGIN_BODY_UNSEEN';
    assert.match(JSON.parse(res.body.toString()).message, deniedBy(setup.name, rule));
    assert.equal(await exists(d, name), false);
  });

  it('refuses the CVE-2026-34040 shape: a create padded beyond 1 MiB, which dockerd does not send to plugins', async () => {
    const name = `${PFX}-cve-large`;
    const body = JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Labels: { pad: 'x'.repeat(1024 * 1024 + 10) }, HostConfig: { Privileged: true, NetworkMode: 'none' } });
    const res = await raw(d.socket, request('POST', `/v1.41/containers/create?name=${name}`, body));
    assert.equal(res.status, 403, res.body.toString());
    assert.match(JSON.parse(res.body.toString()).message, deniedBy(setup.name, 'PC_PLUGIN_BODY_UNSEEN'));
    assert.equal(await exists(d, name), false);
  });

  it('lets a safe create of the same padded shape below 1 MiB through', async () => {
    const name = `${PFX}-padded-ok`;
    const body = JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Labels: { pad: 'x'.repeat(512 * 1024) }, HostConfig: { NetworkMode: 'none' } });
    const res = await raw(d.socket, request('POST', `/v1.41/containers/create?name=${name}`, body));
    assert.equal(res.status, 201, res.body.toString());
    assert.equal(await exists(d, name), true);
  });
});
