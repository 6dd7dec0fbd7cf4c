/**
 * Portcullis as a Docker authorization plugin: a private dockerd started with
 * --authorization-plugin=<unique name> asks `portcullis plugin` about every request on its own
 * socket. Clients talk to the daemon directly (no proxy in between); every verdict is read
 * back from the daemon. Written against whichever dockerd is on PATH (20.10, or 26 in the
 * runner's second pass): where daemons differ (whether their build hands plugins chunked or
 * 1 MiB bodies, a matter of CVE fixes and distribution backports) either refusal is accepted,
 * and what counts is that the daemon holds nothing of the request.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compose, composeRequired, twoServiceProject } from './harness/compose.js';
import { docker, dockerApi, dockerBinary, dockerEnv, runClient, type DockerResult } from './harness/docker-cli.js';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BUSYBOX_IMAGE, e2eAvailability, ensureBusybox, type RestartableDockerd } from './harness/dockerd.js';
import { pluginSetup, type PluginProcess, type PluginSetup } from './harness/plugin.js';
import { splitResponses, type ParsedResponse } from './harness/wire.js';

const PFX = `pc-plug-${process.pid}`;

/**
 * The anonymous caller (the daemon's unix socket) gets the first listener's policy, `anon`. With
 * a client certificate (dockerd --tlsverify), alice gets `ci` and bob `blind`, which may not
 * inspect containers, so that the plugin's own look-ups are judged by nothing but the marker.
 * The listener is what a proxy serving the same file would use; the plugin only reads the
 * clients it names.
 */
function pluginConfig(upstream: string, certs: string, anon = 'ci'): string {
  return `
listeners:
  - name: local
    address: tcp://127.0.0.1:0
    policy: ${anon}
    tls: { cert: ${certs}/server.pem, key: ${certs}/server-key.pem, clientCA: ${certs}/ca.pem }
upstream:
  address: ${upstream}
clients:
  - name: alice
    policy: ci
    cert: { cn: alice }
  - name: bob
    policy: blind
    cert: { cn: bob }
policies:
  ci:
    extends: hardened
  blind:
    extends: hardened
    rules:
      - id: blind
        deny: [ContainerInspect, ExecInspect]
`;
}

/** The daemon's TLS endpoint, inside its own network namespace. */
const TLS_PORT = 2376;

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
      // dockerd answers a refusal and closes before a large body is written: the answer counts.
      const { responses } = splitResponses(Buffer.concat(chunks));
      if (responses.length > 0) resolve(responses[0]!);
      else reject(e);
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

/** Resolves once `cond` holds, polling; rejects after `timeoutMs`. */
async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** dockerd's error message: JSON, or plain text for API versions before 1.24. */
function messageOf(res: ParsedResponse): string {
  const text = res.body.toString();
  try {
    return (JSON.parse(text) as { message: string }).message;
  } catch {
    return text;
  }
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

  let certs: string;

  /** The docker CLI with `who`'s certificate, on the daemon's TLS port (in the daemon's network namespace). */
  async function tlsDocker(who: string, args: string[], headers?: Record<string, string>): Promise<DockerResult> {
    const cfg = await mkdtemp(join(tmpdir(), 'pc-plug-cfg-'));
    try {
      if (headers !== undefined) await writeFile(join(cfg, 'config.json'), JSON.stringify({ HttpHeaders: headers }));
      const env = dockerEnv(`tcp://127.0.0.1:${TLS_PORT}`, cfg, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(certs, 'clients', who) });
      return await runClient('nsenter', [`--net=/proc/${d.pid}/ns/net`, dockerBinary(), ...args], { env });
    } finally {
      await rm(cfg, { recursive: true, force: true });
    }
  }

  before(async () => {
    if (!available.ok) throw new Error(`e2e prerequisites missing: ${available.why} (PORTCULLIS_REQUIRE_E2E=1)`);
    setup = await pluginSetup();
    certs = join(setup.dir, 'certs');
    const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
    execFileSync(process.execPath, [cli, 'certs', 'init', '--dir', certs]);
    for (const who of ['alice', 'bob', 'eve']) execFileSync(process.execPath, [cli, 'certs', 'client', who, '--dir', certs]);
    plugin = await setup.start(pluginConfig(setup.upstream, certs));
    d = await setup.startDaemon({
      extraArgs: ['--host', `tcp://127.0.0.1:${TLS_PORT}`, '--tlsverify', '--tlscacert', join(certs, 'ca.pem'), '--tlscert', join(certs, 'server.pem'), '--tlskey', join(certs, 'server-key.pem')],
    });
    await ensureBusybox(d);
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

  const composeTool = composeRequired();
  it('lets compose bring a project up and down', { skip: composeTool.skip }, async () => {
    composeTool.check();
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
    // An unpatched dockerd does not hand the plugin a chunked body at all (refused unseen); one
    // with the fix (25.0.6+, and Debian's 20.10.24 backport) sends it whole, and it is judged.
    assert.match(messageOf(res), deniedBy(setup.name, '(PC_PLUGIN_BODY_UNSEEN|PC_DENIED_PRIVILEGED)'));
    assert.equal(await exists(d, name), false);
  });

  it('refuses the CVE-2026-34040 shape: a create padded beyond 1 MiB, which dockerd does not send to plugins', async () => {
    const name = `${PFX}-cve-large`;
    const body = JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Labels: { pad: 'x'.repeat(1024 * 1024 + 10) }, HostConfig: { Privileged: true, NetworkMode: 'none' } });
    const res = await raw(d.socket, request('POST', `/v1.41/containers/create?name=${name}`, body));
    assert.equal(res.status, 403, res.body.toString());
    // dockerd withholds bodies of 1 MiB or more (refused unseen); a daemon carrying a fix for
    // CVE-2026-34040 (Debian's 26.1.5 here) sends it, and it is judged whole.
    assert.match(messageOf(res), deniedBy(setup.name, '(PC_PLUGIN_BODY_UNSEEN|PC_DENIED_PRIVILEGED)'));
    assert.equal(await exists(d, name), false);
  });

  it('lets a safe create of the same padded shape below 1 MiB through', async () => {
    const name = `${PFX}-padded-ok`;
    const body = JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Labels: { pad: 'x'.repeat(512 * 1024) }, HostConfig: { NetworkMode: 'none' } });
    const res = await raw(d.socket, request('POST', `/v1.41/containers/create?name=${name}`, body));
    assert.equal(res.status, 201, res.body.toString());
    assert.equal(await exists(d, name), true);
  });
  it('maps two client certificates to two policies (dockerd --tlsverify)', async () => {
    const name = `${PFX}-tls`;
    const created = await dockerApi(d.socket, 'POST', `/containers/create?name=${name}`, { Image: BUSYBOX_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
    assert.equal(created.status, 201, created.text);
    let res = await tlsDocker('alice', ['inspect', '--format', '{{.Name}}', name]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim(), `/${name}`);
    res = await tlsDocker('bob', ['inspect', '--format', '{{.Name}}', name]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, new RegExp(`authorization denied by plugin ${setup.name}: portcullis: ContainerInspect denied: .*\\(rule blind\\)`));
    res = await tlsDocker('alice', ['run', '--rm', '--network', 'none', '--privileged', BUSYBOX_IMAGE, 'true']);
    assert.match(res.stderr, deniedBy(setup.name, 'PC_DENIED_PRIVILEGED'));
    // A certificate matching no client is the anonymous caller, as on a proxy listener.
    res = await tlsDocker('eve', ['inspect', '--format', '{{.Name}}', name]);
    assert.equal(res.code, 0, res.stderr);
    // The decision log is written asynchronously: wait for the third line rather than race it.
    const inspections = () => plugin.logs().filter((l) => l.operation === 'ContainerInspect' && l.path.includes(name));
    await until(() => inspections().length >= 3, 10_000);
    const lines = inspections();
    assert.deepEqual(
      lines.map((l) => [l.remote, l.client, l.decision]),
      [
        ['tls:alice', 'alice', 'allow'],
        ['tls:bob', 'bob', 'deny'],
        ['tls:eve', 'local', 'allow'],
      ],
    );
  });

  it('allows its own look-ups without recursion, even where the policy refuses them', async () => {
    const name = `${PFX}-self`;
    const created = await dockerApi(d.socket, 'POST', `/containers/create?name=${name}`, { Image: BUSYBOX_IMAGE, Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } });
    assert.equal(created.status, 201, created.text);
    const before = plugin.logs().length;
    // bob may not inspect, but starting needs the plugin to inspect the container through dockerd.
    let res = await tlsDocker('bob', ['start', name]);
    assert.equal(res.code, 0, res.stderr);
    const inspect = await dockerApi(d.socket, 'GET', `/containers/${name}/json`);
    assert.equal(inspect.json.State.Running, true);
    await until(() => plugin.logs().slice(before).some((l) => l.operation === 'ContainerStart'), 10_000);
    const during = plugin.logs().slice(before);
    const own = during.filter((l) => l.rule === 'self');
    assert.ok(own.some((l) => l.path === `/containers/${name}/json`), JSON.stringify(during));
    // Only reads, and one round each: a look-up never needed a look-up of its own.
    assert.ok(own.every((l) => l.method === 'GET' && l.operation === null), JSON.stringify(own));
    assert.ok(own.length <= 3, JSON.stringify(own));
    assert.equal(during.filter((l) => l.operation === 'ContainerStart' && l.decision === 'allow').length, 1);
    // The marker is a secret: a client sending the header without it is judged by its policy.
    res = await tlsDocker('bob', ['inspect', name], { 'X-Portcullis-Lookup': '0'.repeat(64) });
    assert.match(res.stderr, new RegExp(`\\(rule blind\\)`));
  });
  describe('the hardened adversarial table, sent to the daemon socket', () => {
    const create = (hostConfig: Record<string, unknown>, top: Record<string, unknown> = {}) =>
      JSON.stringify({ Image: BUSYBOX_IMAGE, Cmd: ['true'], ...top, HostConfig: { NetworkMode: 'none', ...hostConfig } });
    const PRIV = create({ Privileged: true });
    type Check = 'container' | 'volume' | 'network' | 'exec' | 'image' | 'swarm' | 'stopped';
    const cases: Array<{ name: string; req: (obj: string, target: string) => Buffer; rule: string; check: Check }> = [
      { name: 'Privileged', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, PRIV), rule: 'PC_DENIED_PRIVILEGED', check: 'container' },
      { name: 'privileged spelled in lower case', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, `{"Image":"${BUSYBOX_IMAGE}","hostconfig":{"privileged":true,"NetworkMode":"none"}}`), rule: 'PC_DENIED_PRIVILEGED', check: 'container' },
      { name: 'Privileged repeated, false then true', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, `{"Image":"${BUSYBOX_IMAGE}","HostConfig":{"Privileged":false,"Privileged":true}}`), rule: 'PC_BAD_JSON', check: 'container' },
      { name: 'Binds /:/host', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ Binds: ['/:/host'] })), rule: 'PC_DENIED_BIND_MOUNT', check: 'container' },
      { name: 'a bind Mount of /', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] })), rule: 'PC_DENIED_BIND_MOUNT', check: 'container' },
      { name: 'CapAdd ALL', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ CapAdd: ['ALL'] })), rule: 'PC_DENIED_CAP_ADD', check: 'container' },
      { name: 'CapAdd SYS_ADMIN', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ CapAdd: ['SYS_ADMIN'] })), rule: 'PC_DENIED_CAP_ADD', check: 'container' },
      { name: 'a host device', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ Devices: [{ PathOnHost: '/dev/mem', PathInContainer: '/dev/mem', CgroupPermissions: 'rwm' }] })), rule: 'PC_DENIED_DEVICE', check: 'container' },
      { name: 'PidMode host', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ PidMode: 'host' })), rule: 'PC_DENIED_NAMESPACE', check: 'container' },
      { name: 'NetworkMode host', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ NetworkMode: 'host' })), rule: 'PC_DENIED_NAMESPACE', check: 'container' },
      { name: 'IpcMode host', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ IpcMode: 'host' })), rule: 'PC_DENIED_NAMESPACE', check: 'container' },
      { name: 'UsernsMode host', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ UsernsMode: 'host' })), rule: 'PC_DENIED_NAMESPACE', check: 'container' },
      { name: 'seccomp unconfined', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ SecurityOpt: ['seccomp=unconfined'] })), rule: 'PC_DENIED_SECURITY_OPT', check: 'container' },
      { name: 'apparmor unconfined', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ SecurityOpt: ['apparmor=unconfined'] })), rule: 'PC_DENIED_SECURITY_OPT', check: 'container' },
      { name: 'a sysctl', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ Sysctls: { 'kernel.shm_rmid_forced': '1' } })), rule: 'PC_DENIED_SYSCTL', check: 'container' },
      { name: 'a cgroup parent', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ CgroupParent: '/' })), rule: 'PC_DENIED_CGROUP', check: 'container' },
      { name: 'OomKillDisable', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ OomKillDisable: true })), rule: 'PC_DENIED_OOM_KILL_DISABLE', check: 'container' },
      { name: 'a port on every interface', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } }, { ExposedPorts: { '80/tcp': {} } })), rule: 'PC_DENIED_PORT_BINDING', check: 'container' },
      { name: 'unmasked /proc paths', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, create({ MaskedPaths: [] })), rule: 'PC_DENIED_MASKED_PATHS', check: 'container' },
      { name: 'a HostConfig field at the top level', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, JSON.stringify({ Image: BUSYBOX_IMAGE, Privileged: true })), rule: 'PC_DENIED_LEGACY_HOSTCONFIG', check: 'container' },
      { name: 'a body without Content-Type (dockerd reads it, and does not send it)', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, PRIV, { 'Content-Type': null }), rule: 'PC_PLUGIN_BODY_UNSEEN', check: 'container' },
      { name: 'Content-Type text/plain then application/json (dockerd reads the first)', req: (o) => Buffer.from(request('POST', `/v1.41/containers/create?name=${o}`, PRIV, { 'Content-Type': 'text/plain' }).toString('latin1').replace('Content-Type: text/plain\r\n', 'Content-Type: text/plain\r\nContent-Type: application/json\r\n'), 'latin1'), rule: 'PC_PLUGIN_BODY_UNSEEN', check: 'container' },
      { name: 'Content-Type application/json then text/plain (the plugin sees the last)', req: (o) => Buffer.from(request('POST', `/v1.41/containers/create?name=${o}`, PRIV).toString('latin1').replace('Content-Type: application/json\r\n', 'Content-Type: application/json\r\nContent-Type: text/plain\r\n'), 'latin1'), rule: 'PC_DENIED_PRIVILEGED', check: 'container' },
      { name: 'Content-Type with parameters', req: (o) => request('POST', `/v1.41/containers/create?name=${o}`, PRIV, { 'Content-Type': 'application/json; charset=utf-8' }), rule: 'PC_DENIED_PRIVILEGED', check: 'container' },
      {
        name: 'a form body behind a second, JSON Content-Type on a kill (Go parses the first, the plugin is shown the last)',
        req: (_o, t) =>
          Buffer.from(
            request('POST', `/v1.41/containers/${t}/kill?signal=SIGWINCH`, 'signal=SIGKILL', { 'Content-Type': 'application/x-www-form-urlencoded' })
              .toString('latin1')
              .replace('Content-Type: application/x-www-form-urlencoded\r\n', 'Content-Type: application/x-www-form-urlencoded\r\nContent-Type: application/json\r\n'),
            'latin1',
          ),
        rule: 'PC_PLUGIN_BODY_UNSEEN',
        check: 'stopped',
      },
      { name: 'a local volume binding /', req: (o) => request('POST', '/v1.41/volumes/create', JSON.stringify({ Name: o, DriverOpts: { type: 'none', o: 'bind', device: '/' } })), rule: 'PC_DENIED_VOLUME_OPTIONS', check: 'volume' },
      { name: 'a macvlan network', req: (o) => request('POST', '/v1.41/networks/create', JSON.stringify({ Name: o, Driver: 'macvlan' })), rule: 'PC_DENIED_NETWORK_DRIVER', check: 'network' },
      { name: 'a privileged exec', req: (_o, t) => request('POST', `/v1.41/containers/${t}/exec`, JSON.stringify({ Cmd: ['true'], Privileged: true })), rule: 'PC_DENIED_EXEC_PRIVILEGED', check: 'exec' },
      { name: 'an exec as root on the host user namespace', req: (_o, t) => request('POST', `/v1.41/containers/${t}/exec`, JSON.stringify({ Cmd: ['true'], privileged: true })), rule: 'PC_DENIED_EXEC_PRIVILEGED', check: 'exec' },
      { name: 'an image import from a URL', req: (o) => request('POST', `/v1.41/images/create?fromSrc=${encodeURIComponent('http://127.0.0.1:1/x.tar')}&repo=${o}`, undefined, { 'Content-Length': '0' }), rule: 'PC_DENIED_IMAGE_IMPORT', check: 'image' },
      { name: 'swarm init', req: () => request('POST', '/v1.41/swarm/init', JSON.stringify({ ListenAddr: '127.0.0.1:2377' })), rule: 'PC_DENIED_DEFAULT', check: 'swarm' },
      { name: 'an API version below the floor', req: (o) => request('POST', `/v1.12/containers/create?name=${o}`, PRIV), rule: 'PC_API_VERSION', check: 'container' },
    ];

    let target: string;
    before(async () => {
      const res = await dockerApi(d.socket, 'POST', `/containers/create?name=${PFX}-adv-target`, { Image: BUSYBOX_IMAGE, Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } });
      assert.equal(res.status, 201, res.text);
      target = `${PFX}-adv-target`;
      assert.equal((await dockerApi(d.socket, 'POST', `/containers/${target}/start`)).status, 204);
    });

    async function present(check: Check, obj: string): Promise<boolean> {
      switch (check) {
        case 'container':
          return exists(d, obj);
        case 'volume':
          return (await dockerApi(d.socket, 'GET', `/volumes/${obj}`)).status === 200;
        case 'network':
          return (await dockerApi(d.socket, 'GET', `/networks/${obj}`)).status === 200;
        case 'exec':
          return (await dockerApi(d.socket, 'GET', `/containers/${target}/json`)).json.ExecIDs !== null;
        case 'image':
          return (await dockerApi(d.socket, 'GET', `/images/${obj}/json`)).status === 200;
        case 'stopped':
          return (await dockerApi(d.socket, 'GET', `/containers/${target}/json`)).json.State.Running !== true;
        case 'swarm':
          return (await dockerApi(d.socket, 'GET', '/info')).json.Swarm.LocalNodeState !== 'inactive';
      }
    }

    cases.forEach((c, i) => {
      it(`refuses ${c.name} (${c.rule}), and the daemon holds nothing of it`, async () => {
        const obj = `${PFX}-adv-${i}`;
        const res = await raw(d.socket, c.req(obj, target));
        assert.equal(res.status, 403, res.body.toString());
        assert.match(messageOf(res), deniedBy(setup.name, c.rule));
        assert.equal(await present(c.check, obj), false);
      });
    });

    it('lets the legitimate neighbours through: a plain create, a plain volume, a bridge network, an exec', async () => {
      const obj = `${PFX}-adv-ok`;
      let res = await raw(d.socket, request('POST', `/v1.41/containers/create?name=${obj}`, create({})));
      assert.equal(res.status, 201, res.body.toString());
      assert.equal(await present('container', obj), true);
      res = await raw(d.socket, request('POST', '/v1.41/volumes/create', JSON.stringify({ Name: obj })));
      assert.equal(res.status, 201, res.body.toString());
      assert.equal(await present('volume', obj), true);
      res = await raw(d.socket, request('POST', '/v1.41/networks/create', JSON.stringify({ Name: obj, Driver: 'bridge' })));
      assert.equal(res.status, 201, res.body.toString());
      assert.equal(await present('network', obj), true);
      res = await raw(d.socket, request('POST', `/v1.41/containers/${target}/exec`, JSON.stringify({ Cmd: ['true'] })));
      assert.equal(res.status, 201, res.body.toString());
      assert.equal(await present('exec', obj), true);
    });
  });

  it('fails closed while the plugin is down, works again once it is back, and judges what was created meanwhile', async () => {
    await plugin.stop();
    // dockerd retries an unreachable plugin for up to ~15 s, then refuses the request.
    const name = `${PFX}-while-down`;
    const down = await dockerApi(d.socket, 'POST', `/containers/create?name=${name}`, { Image: BUSYBOX_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
    assert.notEqual(down.status, 201, down.text);
    assert.match(down.text, new RegExp(`plugin ${setup.name} failed with error`));
    // "Off": the same plugin name serving a policy that checks nothing, as a daemon without the plugin would.
    plugin = await setup.start(pluginConfig(setup.upstream, certs, 'unrestricted'));
    assert.equal(await exists(d, name), false, 'the refused create left nothing behind');
    const unsafe = `${PFX}-unsafe`;
    const made = await dockerApi(d.socket, 'POST', `/containers/create?name=${unsafe}`, { Image: BUSYBOX_IMAGE, Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none', Privileged: true } });
    assert.equal(made.status, 201, made.text);
    await plugin.stop();
    plugin = await setup.start(pluginConfig(setup.upstream, certs));
    let res = await docker(d.host, ['start', unsafe]);
    assert.match(res.stderr, deniedBy(setup.name, 'PC_DENIED_START_UNSAFE'));
    assert.equal((await dockerApi(d.socket, 'GET', `/containers/${unsafe}/json`)).json.State.Running, false);
    const work = await mkdtemp(join(tmpdir(), 'pc-plug-cp-'));
    try {
      res = await docker(d.host, ['cp', `${unsafe}:/bin/busybox`, join(work, 'x')]);
      assert.match(res.stderr, deniedBy(setup.name, 'PC_DENIED_CONTAINER_UNSAFE'));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    res = await docker(d.host, ['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true']);
    assert.equal(res.code, 0, res.stderr);
  });
});
