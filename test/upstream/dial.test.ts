import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { createDial } from '../../src/upstream/dial.js';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with the system's openssl. */
function makePki(dir: string): void {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', 'ca-key.pem', '-out', 'ca.pem');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=daemon', '-keyout', 'server-key.pem', '-out', 'server.csr');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '1', '-extfile', 'server.ext', '-out', 'server.pem');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=portcullis', '-keyout', 'key.pem', '-out', 'client.csr');
  run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '1', '-out', 'cert.pem');
}

function roundTrip(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    socket.on('data', (d) => (out += d.toString()));
    socket.on('error', (e) => resolve(`error: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    // Upstream sockets are half-open capable, so the daemon's EOF alone does not close them.
    socket.on('end', () => {
      socket.destroy();
      resolve(out);
    });
    socket.on('close', () => resolve(out));
    socket.write('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
  });
}

describe('upstream over TLS with a client certificate', () => {
  let dir: string;
  let server: tls.Server;
  let port: number;
  const peers: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pc-tls-'));
    makePki(dir);
    // Like dockerd --tlsverify: only clients with a certificate from the CA get an answer.
    server = tls.createServer(
      {
        key: readFileSync(join(dir, 'server-key.pem')),
        cert: readFileSync(join(dir, 'server.pem')),
        ca: readFileSync(join(dir, 'ca.pem')),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (s) => {
        peers.push(String(s.getPeerCertificate().subject.CN));
        s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK'));
      },
    );
    server.on('tlsClientError', () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });

  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('connects with the CA and the client certificate, and the daemon sees that certificate', async () => {
    const dial = createDial({
      address: { kind: 'tcp', host: '127.0.0.1', port },
      tls: { ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') },
    });
    const out = await roundTrip(dial());
    assert.match(out, /^HTTP\/1\.1 200 OK/);
    assert.equal(peers.at(-1), 'portcullis');
  });

  test('without the client certificate the daemon refuses the connection', async () => {
    const dial = createDial({ address: { kind: 'tcp', host: '127.0.0.1', port }, tls: { ca: join(dir, 'ca.pem') } });
    const out = await roundTrip(dial());
    assert.doesNotMatch(out, /200 OK/);
  });

  test('a daemon certificate from another CA is not trusted', async () => {
    const other = mkdtempSync(join(tmpdir(), 'pc-tls-other-'));
    try {
      makePki(other);
      const dial = createDial({
        address: { kind: 'tcp', host: '127.0.0.1', port },
        tls: { ca: join(other, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') },
      });
      const out = await roundTrip(dial());
      assert.match(out, /^error: /);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
