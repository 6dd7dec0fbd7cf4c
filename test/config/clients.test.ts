import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig, type LoadOptions } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-clients-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function problems(opts: LoadOptions): string[] {
  try {
    loadConfig({ env: {}, ...opts });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.message.split('\n');
  }
  assert.fail('expected a ConfigError');
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const BASE = `listeners:
  - name: tcp
    address: tcp://127.0.0.1:2375
    policy: read-only
  - name: ci-sock
    address: unix:///run/portcullis/ci.sock
`;

describe('clients in the config', () => {
  it('loads every kind of recogniser, keeping only token digests', () => {
    const file = join(dir, 'bob');
    writeFileSync(file, '  bob-token\n');
    const { config } = loadConfig({
      env: { ALICE_TOKEN: 'alice-secret-token' },
      text: `${BASE}clients:
  - name: alice
    policy: read-only
    token: \${ALICE_TOKEN}
  - name: bob
    policy: read-only
    tokenFile: ${file}
  - name: carol
    policy: read-only
    tokenHash: "sha256:${sha('carol').toUpperCase()}"
  - name: lan
    policy: read-only
    source: ["127.0.0.2", "10.0.0.0/8", "::1/128", "monitor"]
  - name: sock
    policy: read-only
    listener: ci-sock
defaultClient: lan
`,
    });
    assert.deepEqual(config.clients, [
      { name: 'alice', policy: 'read-only', tokenSha256: sha('alice-secret-token') },
      { name: 'bob', policy: 'read-only', tokenSha256: sha('bob-token') },
      { name: 'carol', policy: 'read-only', tokenSha256: sha('carol') },
      { name: 'lan', policy: 'read-only', source: ['127.0.0.2', '10.0.0.0/8', '::1/128', 'monitor'] },
      { name: 'sock', policy: 'read-only', listener: 'ci-sock' },
    ]);
    assert.equal(config.defaultClient, 'lan');
    assert.equal(config.listeners[1]!.policy, undefined);
    assert.ok(!JSON.stringify(config).includes('alice-secret-token'));
    assert.ok(!JSON.stringify(config).includes('bob-token'));
  });

  it('has no clients by default', () => {
    const { config } = loadConfig({ env: {}, text: 'listeners:\n  - { address: "tcp://127.0.0.1:2375", policy: read-only }\n' });
    assert.deepEqual(config.clients, []);
    assert.equal(config.defaultClient, undefined);
  });

  it('accepts mutual-TLS listeners and cert clients', () => {
    const { config } = loadConfig({
      env: {},
      text: `listeners:
  - name: mtls
    address: tcp://0.0.0.0:2376
    tls: { cert: /c.pem, key: /k.pem, clientCA: /ca.pem }
clients:
  - name: ci
    policy: read-only
    cert: { cn: ci, san: ["dns:ci.example.com", "email:ci@example.com", "uri:spiffe://x/ci"] }
`,
    });
    assert.deepEqual(config.listeners[0]!.tls, { cert: '/c.pem', key: '/k.pem', clientCA: '/ca.pem' });
    assert.deepEqual(config.clients[0]!.cert, { cn: 'ci', san: ['dns:ci.example.com', 'email:ci@example.com', 'uri:spiffe://x/ci'] });
  });

  it('keeps a policy-less first listener policy-less under --listen', () => {
    const { config } = loadConfig({
      env: {},
      listen: ['tcp://127.0.0.1:0'],
      text: `listeners:\n  - address: tcp://127.0.0.1:2375\nclients:\n  - { name: a, policy: read-only, source: ["10.0.0.0/8"] }\n`,
    });
    assert.equal(config.listeners[0]!.policy, undefined);
  });
});

describe('client errors, with file positions', () => {
  const cases: Array<[string, string, string]> = [
    [
      'unknown policy',
      `clients:\n  - name: a\n    policy: nope\n    source: ["10.0.0.1"]\n`,
      '<text>:9:13: clients[0].policy: no policy named "nope"',
    ],
    [
      'unknown listener',
      `clients:\n  - name: a\n    policy: read-only\n    listener: other\n`,
      '<text>:10:15: clients[0].listener: no listener named "other" (listeners: tcp, ci-sock)',
    ],
    [
      'duplicate names',
      `clients:\n  - { name: a, policy: read-only, source: ["10.0.0.1"] }\n  - { name: a, policy: read-only, source: ["10.0.0.2"] }\n`,
      '<text>:9:13: clients[1].name: duplicate client name "a"',
    ],
    [
      'two token sources',
      `clients:\n  - name: a\n    policy: read-only\n    token: abc\n    tokenHash: "sha256:${'0'.repeat(64)}"\n`,
      '<text>:11:16: clients[0].tokenHash: give at most one of token, tokenFile and tokenHash (also has token)',
    ],
    [
      'bad CIDR',
      `clients:\n  - name: a\n    policy: read-only\n    source: ["10.0.0.0/33"]\n`,
      '<text>:10:14: clients[0].source[0]: "10.0.0.0/33": the prefix length is at most 32',
    ],
    [
      'CIDR with host bits',
      `clients:\n  - name: a\n    policy: read-only\n    source: ["10.1.2.3/8"]\n`,
      'did you mean 10.0.0.0/8?',
    ],
    ['bad IPv6', `clients:\n  - name: a\n    policy: read-only\n    source: ["fe80::1::2"]\n`, 'clients[0].source[0]: "fe80::1::2" is not a valid IPv6 address'],
    ['bad IPv4', `clients:\n  - name: a\n    policy: read-only\n    source: ["10.1"]\n`, 'is neither an IP address, a CIDR block nor a valid hostname'],
    [
      'bad tokenHash',
      `clients:\n  - name: a\n    policy: read-only\n    tokenHash: "md5:abc"\n`,
      '<text>:10:16: clients[0].tokenHash: must be "sha256:" followed by 64 hexadecimal digits',
    ],
    [
      'unreadable tokenFile',
      `clients:\n  - name: a\n    policy: read-only\n    tokenFile: /nonexistent/portcullis-token\n`,
      '<text>:10:16: clients[0].tokenFile: cannot read /nonexistent/portcullis-token (ENOENT)',
    ],
    [
      'unknown defaultClient',
      `clients:\n  - { name: a, policy: read-only, source: ["10.0.0.1"] }\ndefaultClient: b\n`,
      '<text>:9:16: defaultClient: no client named "b" (clients: a)',
    ],
    ['a client that recognises nobody', `clients:\n  - { name: a, policy: read-only }\n`, '<text>:8:5: clients[0]: recognises nobody'],
    ['bad SAN', `clients:\n  - name: a\n    policy: read-only\n    cert: { san: ["ip:10.0.0.1"] }\n`, 'clients[0].cert.san[0]: "ip:10.0.0.1" must be dns:NAME, email:ADDRESS or uri:URI'],
    [
      'cert client without a mutual-TLS listener',
      `clients:\n  - name: a\n    policy: read-only\n    cert: { cn: a }\n`,
      '<text>:10:11: clients[0].cert: a certificate is only seen on a mutual-TLS listener',
    ],
    ['unknown key', `clients:\n  - { name: a, policy: read-only, source: ["10.0.0.1"], tokn: x }\n`, '<text>:8:57: clients[0].tokn: unknown key'],
    ['a client named like a listener with a policy', `clients:\n  - { name: tcp, policy: read-only, source: ["10.0.0.1"] }\n`, 'clients[0].name: "tcp" is also the name of a listener'],
    ['a token with a space', `clients:\n  - { name: a, policy: read-only, token: "a b" }\n`, 'clients[0].token: must be printable ASCII without spaces'],
  ];
  for (const [what, clients, expected] of cases) {
    it(what, () => {
      const lines = problems({ text: BASE + clients });
      assert.ok(
        lines.some((l) => l.includes(expected)),
        `expected a line containing ${JSON.stringify(expected)}, got:\n${lines.join('\n')}`,
      );
    });
  }

  it('refuses an empty or multi-word tokenFile', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    const two = join(dir, 'two');
    writeFileSync(two, 'one two\n');
    const lines = problems({
      text: `${BASE}clients:\n  - { name: a, policy: read-only, tokenFile: ${empty} }\n  - { name: b, policy: read-only, tokenFile: ${two} }\n`,
    });
    assert.ok(lines.some((l) => l.includes(`clients[0].tokenFile: ${empty} is empty`)), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes(`clients[1].tokenFile: ${two} holds something other than one token`)), lines.join('\n'));
  });

  it('refuses two clients with the same token without printing it', () => {
    const lines = problems({
      env: { T: 'shared-secret' },
      text: `${BASE}clients:\n  - { name: a, policy: read-only, token: "\${T}" }\n  - { name: b, policy: read-only, tokenHash: "sha256:${sha('shared-secret')}" }\n`,
    });
    assert.ok(lines.some((l) => l.includes('clients[1].tokenHash: the same token as client "a"')), lines.join('\n'));
    assert.ok(!lines.join('\n').includes('shared-secret'));
  });

  it('never prints a token in a schema error', () => {
    const lines = problems({
      env: { T: 'very secret value' },
      text: `${BASE}clients:\n  - { name: a, policy: read-only, token: "\${T}", tokenFile: /x }\n`,
    });
    assert.ok(!lines.join('\n').includes('secret'), lines.join('\n'));
  });

  it('requires a policy on a listener when no client can recognise anyone', () => {
    const lines = problems({ text: BASE });
    assert.ok(lines.some((l) => l.startsWith('<text>:5:5: listeners[1].policy: needs a policy')), lines.join('\n'));
  });

  it('refuses tls on a unix listener and a tls block without key', () => {
    const lines = problems({
      text: `listeners:
  - address: unix:///run/p.sock
    policy: read-only
    tls: { cert: /c, key: /k }
  - address: tcp://127.0.0.1:2376
    policy: read-only
    tls: { cert: /c }
`,
    });
    assert.ok(lines.some((l) => l.startsWith('<text>:4:10: listeners[0].tls: applies to tcp listeners only')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('listeners[1].tls.key: is required')), lines.join('\n'));
  });
});

describe('clients of a policy with per-client name prefixes', () => {
  const config = (client: string, names: string, listenerPolicy = 'read-only') => `listeners:
  - name: tcp
    address: tcp://127.0.0.1:2375
    policy: ${listenerPolicy}
clients:
  - name: "${client}"
    policy: tenant
    source: ["127.0.0.2"]
policies:
  tenant:
    extends: hardened
    tenancy: { ownership: true, names: ${names} }
  child:
    extends: tenant
`;

  it('refuses a client name with "." or "@", which would overlap another client\'s name space', () => {
    for (const name of ['ci.example', 'a@b']) {
      const p = problems({ text: config(name, 'prefix') });
      assert.ok(p.some((l) => l.includes(`"${name}" cannot name a tenant whose object names are prefixed`)), p.join('\n'));
    }
  });

  it('accepts letters, digits, "_" and "-", and any client name when names are shared', () => {
    assert.doesNotThrow(() => loadConfig({ env: {}, text: config('ci_runner-2', 'prefix') }));
    assert.doesNotThrow(() => loadConfig({ env: {}, text: config('ci.example', 'shared') }));
  });

  it('checks a listener whose unrecognised clients go by its name, through extends', () => {
    const text = config('alice', 'prefix', 'child').replace('name: tcp', 'name: tcp.main');
    const p = problems({ text });
    assert.ok(p.some((l) => l.includes('"tcp.main" cannot name a tenant')), p.join('\n'));
  });
});
