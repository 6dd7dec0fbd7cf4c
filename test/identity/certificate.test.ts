import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { certificateMatches, certificateNames, parseSanSpec, parseSubjectAltName } from '../../src/identity/certificate.js';
import { prerequisite } from '../prerequisite.js';

describe('parseSubjectAltName', () => {
  it("reads Node's format, quoted values included, skipping other types", () => {
    assert.deepEqual(parseSubjectAltName('DNS:CI.Example.com, email:ci@example.com, URI:spiffe://x/ci, IP Address:10.0.0.1, URI:"http://a/b?c=d\\u002ce", DNS:x y'), [
      { type: 'dns', value: 'ci.example.com' },
      { type: 'email', value: 'ci@example.com' },
      { type: 'uri', value: 'spiffe://x/ci' },
      { type: 'uri', value: 'http://a/b?c=d,e' },
      { type: 'dns', value: 'x y' },
    ]);
    assert.deepEqual(parseSubjectAltName(undefined), []);
    assert.deepEqual(parseSubjectAltName(''), []);
  });

  it('gives up on what it cannot read', () => {
    for (const t of ['DNS', 'DNS:"unterminated', 'DNS:a,DNS:b', 'DNS:"a"x']) assert.equal(parseSubjectAltName(t), undefined, t);
  });

  it('a quoted comma does not split an entry into a second name', () => {
    const names = parseSubjectAltName('URI:"http://x\\u002c DNS:ci.example.com"') ?? [];
    assert.deepEqual(names, [{ type: 'uri', value: 'http://x, DNS:ci.example.com' }]);
    assert.ok(!certificateMatches({ san: [parseSanSpec('dns:ci.example.com')] }, { cn: undefined, san: names }));
  });
});

describe('parseSanSpec', () => {
  it('reads dns:, email:, uri: (type case-insensitive, DNS names lower-cased)', () => {
    assert.deepEqual(parseSanSpec('DNS:CI.example.com.'), { type: 'dns', value: 'ci.example.com' });
    assert.deepEqual(parseSanSpec('email:Ci@example.com'), { type: 'email', value: 'Ci@example.com' });
    assert.deepEqual(parseSanSpec('uri:spiffe://x/ci'), { type: 'uri', value: 'spiffe://x/ci' });
    assert.throws(() => parseSanSpec('ip:10.0.0.1'), /dns:NAME/);
    assert.throws(() => parseSanSpec('dns:'), /dns:NAME/);
  });
});

describe('certificateMatches', () => {
  const names = { cn: 'ci', san: [parseSanSpec('dns:a.example.com'), parseSanSpec('email:ci@example.com')] };
  it('matches CN exactly or any SAN of the same type', () => {
    assert.ok(certificateMatches({ cn: 'ci' }, names));
    assert.ok(!certificateMatches({ cn: 'CI' }, names));
    assert.ok(certificateMatches({ san: [parseSanSpec('dns:A.example.com')] }, names));
    assert.ok(certificateMatches({ cn: 'other', san: [parseSanSpec('uri:x'), parseSanSpec('email:ci@example.com')] }, names));
    assert.ok(!certificateMatches({ san: [parseSanSpec('uri:a.example.com')] }, names));
    assert.ok(!certificateMatches({ san: [parseSanSpec('email:CI@example.com')] }, names));
  });
});

function opensslProblem(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'openssl is not installed';
  }
}
const openssl = prerequisite('openssl', opensslProblem());

describe('real certificates', { skip: openssl.skip }, () => {
  before(() => openssl.check());
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-cert-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const key = (name: string) => run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}-key.pem`);

  function issue(name: string, subject: string, ext: string): void {
    key(name);
    run('req', '-new', '-key', `${name}-key.pem`, '-subj', subject, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), ext);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  }

  it('reads CN and SANs of an X509Certificate and of a verified peer certificate', async () => {
    key('ca');
    run('req', '-x509', '-new', '-key', 'ca-key.pem', '-subj', '/CN=test CA', '-days', '2', '-out', 'ca.pem');
    issue('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    issue(
      'client',
      '/O=Acme, Inc./CN=ci',
      'subjectAltName=@alt\nextendedKeyUsage=clientAuth\n[alt]\nDNS.1=ci.example.com\nemail.1=ci@example.com\nURI.1=spiffe://x/ci\nURI.2=http://a/b?c=d,e\n',
    );
    const read = (f: string) => readFileSync(join(dir, f));

    const x509 = certificateNames(new X509Certificate(read('client.pem')));
    assert.equal(x509.cn, 'ci');
    assert.deepEqual(
      x509.san.map((s) => `${s.type}:${s.value}`),
      ['dns:ci.example.com', 'email:ci@example.com', 'uri:spiffe://x/ci', 'uri:http://a/b?c=d,e'],
    );

    // What the proxy does on a mutual-TLS listener: only an authorized socket's certificate counts.
    const seen = new Promise<{ authorized: boolean; peer: tls.PeerCertificate }>((resolve) => {
      const server = tls.createServer(
        { cert: read('server.pem'), key: read('server-key.pem'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true },
        (socket) => {
          resolve({ authorized: socket.authorized, peer: socket.getPeerCertificate() });
          socket.end();
          server.close();
        },
      );
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        const client = tls.connect({ port, host: '127.0.0.1', ca: read('ca.pem'), cert: read('client.pem'), key: read('client-key.pem'), servername: 'localhost' });
        client.on('error', () => {});
        client.resume();
      });
    });
    const { authorized, peer } = await seen;
    assert.equal(authorized, true);
    const names = certificateNames(peer);
    assert.deepEqual(names, x509);
    assert.ok(certificateMatches({ cn: 'ci' }, names));
    assert.ok(certificateMatches({ san: [parseSanSpec('uri:spiffe://x/ci')] }, names));
  });
});
