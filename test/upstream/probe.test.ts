import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { probeUpstream } from '../../src/upstream/probe.js';

const probeModule = fileURLToPath(new URL('../../dist/upstream/probe.js', import.meta.url));
const SOCKET_GID = 4242;

describe('probeUpstream', () => {
  let dir: string;
  let server: net.Server;
  const socketPath = () => join(dir, 'docker.sock');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-probe-'));
    chmodSync(dir, 0o755);
    server = net.createServer((s) => s.end());
    server.listen(socketPath());
    await once(server, 'listening');
    chmodSync(socketPath(), 0o660);
  });
  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('succeeds on a socket it may open', async () => {
    assert.deepEqual(await probeUpstream({ kind: 'unix', path: socketPath() }), { ok: true });
  });

  it('names the missing socket', async () => {
    const r = await probeUpstream({ kind: 'unix', path: join(dir, 'missing.sock') });
    assert.equal(r.errno, 'ENOENT');
    assert.match(r.message!, /no such socket/);
  });

  it('EACCES names the group to add, with the gid the socket really has', { skip: process.getuid?.() !== 0 ? 'needs root to run a child as another user' : false }, async () => {
    chownSync(socketPath(), 0, SOCKET_GID);
    const script = `const { probeUpstream } = await import(${JSON.stringify(probeModule)}); console.log(JSON.stringify(await probeUpstream({ kind: 'unix', path: ${JSON.stringify(socketPath())} })));`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534 }, (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout))),
    );
    const r = JSON.parse(out) as { ok: boolean; errno: string; message: string };
    assert.equal(r.ok, false);
    assert.equal(r.errno, 'EACCES');
    assert.equal(r.message, `cannot open ${socketPath()}: permission denied — run with the socket's group (group_add: ["${SOCKET_GID}"])`);
  });
});
