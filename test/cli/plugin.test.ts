import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, env: { PATH: process.env['PATH'] }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

/** One plugin call over the unix socket, as dockerd's plugin client makes it. */
function call(socket: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = http.request({ socketPath: socket, method: 'POST', path, headers: { 'Content-Type': 'application/json', Accept: 'application/vnd.docker.plugins.v1.2+json', 'Content-Length': payload.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const HARDENED = `
listeners:
  - name: local
    address: tcp://127.0.0.1:0
    policy: ci
upstream:
  address: unix:///nonexistent/docker.sock
policies:
  ci:
    extends: hardened
`;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-plugin-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('check --mode plugin', () => {
  it('passes a config a plugin can enforce and refuses one that needs rewriting, naming the key', async () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, HARDENED);
    const ok = await cli(['check', '--config', good, '--mode', 'plugin']);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `${HARDENED}    redact: { env: true }\n`);
    const no = await cli(['check', '--config', bad, '--mode', 'plugin']);
    assert.equal(no.code, 1);
    assert.match(no.stderr, /bad\.yaml:11:13: policies\.ci\.redact: not available in plugin mode: /);
    const proxy = await cli(['check', '--config', bad]);
    assert.equal(proxy.code, 0, proxy.stderr);
  });

  it('refuses an unknown mode', async () => {
    const run = await cli(['check', '--config', 'x.yaml', '--mode', 'both']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--mode must be proxy or plugin/);
  });
});

describe('portcullis plugin', () => {
  it('has --help, and refuses a name that is not a file name', async () => {
    const help = await cli(['plugin', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: portcullis plugin /);
    const bad = await cli(['plugin', '--config', 'x.yaml', '--name', '../evil']);
    assert.equal(bad.code, 2);
  });

  it('does not serve a config it cannot enforce', async () => {
    const bad = join(dir, 'tenancy.yaml');
    writeFileSync(bad, `${HARDENED}    tenancy: { ownership: true }\n`);
    const run = await cli(['plugin', '--config', bad, '--socket-dir', join(dir, 'none')]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /policies\.ci\.tenancy: not available in plugin mode/);
    assert.equal(existsSync(join(dir, 'none')), false);
  });

  describe('serving', () => {
    let child: ChildProcess;
    let socket: string;
    before(async () => {
      const config = join(dir, 'serve.yaml');
      writeFileSync(config, HARDENED);
      const sockets = join(dir, 'plugins');
      socket = join(sockets, 'pc-unit.sock');
      child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'plugin', '--config', config, '--name', 'pc-unit', '--socket-dir', sockets], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout!.setEncoding('utf8').on('data', (s: string) => {
          out += s;
          if (out.includes('"msg":"listening"')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`plugin exited ${code}: ${out}`)));
      });
    });
    after(async () => {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      assert.equal(existsSync(socket), false, 'the socket is removed on the way out');
    });

    it('activates as an authz plugin', async () => {
      const res = await call(socket, '/Plugin.Activate', {});
      assert.deepEqual(res, { status: 200, json: { Implements: ['authz'] } });
    });

    it('answers AuthZReq with the policy\'s verdict, and AuthZRes with allow', async () => {
      const body = Buffer.from(JSON.stringify({ Image: 'busybox', HostConfig: { Privileged: true } }));
      const req = {
        RequestMethod: 'POST',
        RequestUri: '/v1.41/containers/create',
        RequestBody: body.toString('base64'),
        RequestHeaders: { 'Content-Type': 'application/json', 'Content-Length': String(body.length) },
      };
      const no = await call(socket, '/AuthZPlugin.AuthZReq', req);
      assert.equal(no.status, 200);
      assert.equal(no.json.Allow, false);
      assert.match(String(no.json.Msg), /^portcullis: ContainerCreate denied: .*\(rule PC_DENIED_PRIVILEGED\)$/);
      const ping = await call(socket, '/AuthZPlugin.AuthZReq', { RequestMethod: 'GET', RequestUri: '/_ping', RequestHeaders: {} });
      assert.deepEqual(ping.json, { Allow: true });
      const res = await call(socket, '/AuthZPlugin.AuthZRes', { ...req, ResponseStatusCode: 201, ResponseBody: Buffer.from('{}').toString('base64') });
      assert.deepEqual(res.json, { Allow: true });
    });

    it('answers a call it cannot read with Err, which dockerd treats as a refusal', async () => {
      const res = await call(socket, '/AuthZPlugin.AuthZReq', '{"RequestMethod": 7}');
      assert.equal(res.status, 500);
      assert.match(String(res.json.Err), /^portcullis: RequestMethod is not a string/);
    });
  });
});
