import assert from 'node:assert/strict';
import type { PeerCertificate } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { createIdentifier, isRefusal, type ConnectionFacts, type Identifier, type IdentifyResult } from '../../src/identity/identify.js';

const ALICE = 'alice-0123456789abcdef';
const BOB = 'bob-0123456789abcdef';

function config(text: string) {
  return loadConfig({ env: { ALICE_TOKEN: ALICE, BOB_TOKEN: BOB }, text }).config;
}

const FULL = `listeners:
  - name: mtls
    address: tcp://127.0.0.1:2376
    tls: { cert: /c.pem, key: /k.pem, clientCA: /ca.pem }
  - name: plain
    address: tcp://127.0.0.1:2375
    policy: read-only
  - name: ci-sock
    address: unix:///run/portcullis/ci.sock
  - name: bare
    address: unix:///run/portcullis/bare.sock
policies:
  p-cert: { extends: read-only }
  p-cert2: { extends: read-only }
  p-alice: { extends: read-only }
  p-bob: { extends: read-only }
  p-lan: { extends: read-only }
  p-mon: { extends: read-only }
  p-sock: { extends: read-only }
clients:
  - name: ci
    policy: p-cert
    cert: { cn: ci }
  - name: ci-san
    policy: p-cert2
    cert: { san: ["dns:CI.example.com", "uri:spiffe://x/ci"] }
  - name: alice
    policy: p-alice
    token: \${ALICE_TOKEN}
  - name: lan
    policy: p-lan
    source: ["127.0.0.2", "10.0.0.0/8", "::1/128"]
  - name: monitor
    policy: p-mon
    source: ["monitor"]
  - name: lan-wide
    policy: read-only
    source: ["10.1.0.0/16"]
  - name: bob
    policy: p-bob
    token: \${BOB_TOKEN}
  - name: sock
    policy: p-sock
    listener: ci-sock
`;

function cert(cn: string | string[] | undefined, san?: string): PeerCertificate {
  return { subject: cn === undefined ? {} : { CN: cn }, subjectaltname: san } as unknown as PeerCertificate;
}

function facts(listener: string, remoteAddress: string | undefined, peerCertificate: PeerCertificate | null = null): ConnectionFacts {
  return { listener, remoteAddress, peerCertificate };
}

function who(r: IdentifyResult): string {
  return isRefusal(r) ? `refused ${r.status} ${r.code}` : `${r.client}/${r.policy}/${r.by}`;
}

describe('createIdentifier precedence', () => {
  let id: Identifier;
  before(async () => {
    id = await createIdentifier(config(FULL), { resolve: async (h) => (h === 'monitor' ? ['172.18.0.5'] : []) });
  });
  after(() => id.close());

  it('1. a verified certificate matched by CN or SAN comes first', () => {
    assert.equal(who(id.connection(facts('mtls', '10.0.0.1', cert('ci'))).identify(undefined)), 'ci/p-cert/certificate');
    assert.equal(who(id.connection(facts('mtls', '10.0.0.1', cert('x', 'DNS:ci.example.com'))).identify(undefined)), 'ci-san/p-cert2/certificate');
    assert.equal(who(id.connection(facts('mtls', '10.0.0.1', cert('x', 'DNS:a, URI:spiffe://x/ci'))).identify(undefined)), 'ci-san/p-cert2/certificate');
    // list order: the CN client is listed first
    assert.equal(who(id.connection(facts('mtls', '10.0.0.1', cert('ci', 'DNS:ci.example.com'))).identify(undefined)), 'ci/p-cert/certificate');
    // the certificate wins over a token, even a wrong one
    const c = id.connection(facts('mtls', '10.0.0.1', cert('ci')));
    assert.equal(who(c.identify(`Bearer ${ALICE}`)), 'ci/p-cert/certificate');
    assert.equal(who(c.identify('Bearer wrong')), 'ci/p-cert/certificate');
  });

  it('a verified certificate that matches no client falls through to the next steps', () => {
    const c = id.connection(facts('mtls', '10.0.0.1', cert('stranger', 'DNS:ci.example.org, email:ci.example.com')));
    assert.equal(who(c.identify(undefined)), 'lan/p-lan/source');
    assert.equal(who(c.identify(`Bearer ${ALICE}`)), 'alice/p-alice/token');
    assert.equal(who(c.identify('Bearer wrong')), 'refused 401 PC_UNKNOWN_TOKEN');
    const none = id.connection(facts('mtls', '192.0.2.1', cert('stranger'))).identify(undefined);
    assert.ok(isRefusal(none) && none.reason.includes('client certificate CN=stranger matching no client'), JSON.stringify(none));
  });

  it('a certificate with several CNs is not matched by CN', () => {
    assert.equal(who(id.connection(facts('mtls', '192.0.2.1', cert(['ci', 'other']))).identify(undefined)), 'refused 403 PC_UNKNOWN_CLIENT');
  });

  it('2. a bearer token identifies its client, before source and listener', () => {
    const c = id.connection(facts('plain', '10.0.0.1'));
    assert.equal(who(c.identify(`Bearer ${ALICE}`)), 'alice/p-alice/token');
    assert.equal(who(c.identify(`bearer ${BOB}`)), 'bob/p-bob/token');
    assert.equal(who(id.connection(facts('ci-sock', undefined)).identify(`Bearer ${BOB}`)), 'bob/p-bob/token');
  });

  it('a wrong token is refused even where a source or listener client would match', () => {
    for (const f of [facts('plain', '10.0.0.1'), facts('ci-sock', undefined), facts('plain', '192.0.2.1')]) {
      const r = id.connection(f).identify(`Bearer ${ALICE}x`);
      assert.ok(isRefusal(r));
      assert.equal(r.status, 401);
      assert.equal(r.code, 'PC_UNKNOWN_TOKEN');
      assert.ok(!r.reason.includes(ALICE), r.reason);
    }
  });

  it('an Authorization header that is not "Bearer <token>" is refused', () => {
    const c = id.connection(facts('plain', '10.0.0.1'));
    for (const v of ['Basic YWxpY2U6eA==', `Bearer  ${ALICE} extra`, 'Bearer', '', `Token ${ALICE}`]) {
      const r = c.identify(v);
      assert.ok(isRefusal(r), v);
      assert.equal(r.code, 'PC_UNKNOWN_TOKEN');
      assert.equal(r.status, 401);
      assert.ok(!r.reason.includes(ALICE));
    }
  });

  it('3. without Authorization, the source address in list order', () => {
    assert.equal(who(id.connection(facts('plain', '10.1.2.3')).identify(undefined)), 'lan/p-lan/source'); // before lan-wide
    assert.equal(who(id.connection(facts('plain', '::ffff:10.1.2.3')).identify(undefined)), 'lan/p-lan/source');
    assert.equal(who(id.connection(facts('plain', '127.0.0.2')).identify(undefined)), 'lan/p-lan/source');
    assert.equal(who(id.connection(facts('plain', '::1')).identify(undefined)), 'lan/p-lan/source');
    assert.equal(who(id.connection(facts('ci-sock', '172.18.0.5')).identify(undefined)), 'monitor/p-mon/source');
    assert.equal(who(id.connection(facts('plain', '::ffff:172.18.0.5')).identify(undefined)), 'monitor/p-mon/source');
  });

  it('4. a client naming the listener', () => {
    assert.equal(who(id.connection(facts('ci-sock', undefined)).identify(undefined)), 'sock/p-sock/listener');
    assert.equal(who(id.connection(facts('ci-sock', '192.0.2.1')).identify(undefined)), 'sock/p-sock/listener');
  });

  it("5. the listener's own policy, as the client named after it", () => {
    assert.equal(who(id.connection(facts('plain', '192.0.2.1')).identify(undefined)), 'plain/read-only/listener');
    assert.equal(who(id.connection(facts('plain', '127.0.0.1')).identify(undefined)), 'plain/read-only/listener');
  });

  it('otherwise refused with 403 PC_UNKNOWN_CLIENT and a clear reason', () => {
    const r = id.connection(facts('bare', undefined)).identify(undefined);
    assert.ok(isRefusal(r));
    assert.equal(r.status, 403);
    assert.equal(r.code, 'PC_UNKNOWN_CLIENT');
    assert.equal(r.reason, 'no client matches this connection: listener "bare", a unix socket, no client certificate, no bearer token');
    const t = id.connection(facts('mtls', '192.0.2.1')).identify(undefined);
    assert.ok(isRefusal(t) && t.reason.startsWith('no client matches this connection: listener "mtls", address 192.0.2.1'), JSON.stringify(t));
  });

  it('answers a request without Authorization with the precomputed result', () => {
    const c = id.connection(facts('plain', '10.0.0.1'));
    assert.equal(c.identify(undefined), c.identify(undefined));
    const r = id.connection(facts('bare', undefined));
    assert.equal(r.identify(undefined), r.identify(undefined));
    const t = id.connection(facts('plain', '10.0.0.1'));
    assert.equal(t.identify(`Bearer ${ALICE}`), t.identify(`Bearer ${ALICE}`));
  });
});

describe('defaultClient', () => {
  it('6. takes whoever nothing else recognises, but never a wrong token', async () => {
    const id = await createIdentifier(
      config(`listeners:
  - { name: a, address: "tcp://127.0.0.1:2375" }
clients:
  - { name: alice, policy: hardened, token: "\${ALICE_TOKEN}" }
  - { name: lan, policy: read-only, source: ["10.0.0.0/8"] }
  - { name: guest, policy: read-only }
defaultClient: guest
`),
    );
    try {
      assert.equal(who(id.connection(facts('a', '192.0.2.1')).identify(undefined)), 'guest/read-only/default');
      assert.equal(who(id.connection(facts('a', '10.0.0.1')).identify(undefined)), 'lan/read-only/source');
      assert.equal(who(id.connection(facts('a', '192.0.2.1')).identify(`Bearer ${ALICE}`)), 'alice/hardened/token');
      assert.equal(who(id.connection(facts('a', '192.0.2.1')).identify('Bearer nope')), 'refused 401 PC_UNKNOWN_TOKEN');
    } finally {
      id.close();
    }
  });

  it('the listener client comes before the default', async () => {
    const id = await createIdentifier(
      config(`listeners:
  - { name: a, address: "tcp://127.0.0.1:2375", policy: hardened }
clients:
  - { name: guest, policy: read-only }
defaultClient: guest
`),
    );
    assert.equal(who(id.connection(facts('a', '192.0.2.1')).identify(undefined)), 'a/hardened/listener');
    id.close();
  });
});

describe('tokens with no token clients', () => {
  it('refuses any Authorization header', async () => {
    const id = await createIdentifier(config(`listeners:\n  - { name: a, address: "tcp://127.0.0.1:2375", policy: read-only }\n`));
    const c = id.connection(facts('a', '127.0.0.1'));
    assert.equal(who(c.identify(undefined)), 'a/read-only/listener');
    assert.equal(who(c.identify('Bearer anything')), 'refused 401 PC_UNKNOWN_TOKEN');
    id.close();
  });
});

describe('hostname sources', () => {
  it('are resolved before createIdentifier resolves and dropped when resolution fails for too long', async () => {
    let answer: string[] | null = ['172.18.0.7'];
    let now = 0;
    const id = await createIdentifier(
      config(`listeners:\n  - { name: a, address: "tcp://0.0.0.0:2375" }\nclients:\n  - { name: mon, policy: read-only, source: [monitor] }\n`),
      {
        now: () => now,
        refreshMs: 60_000,
        resolve: async () => {
          if (answer === null) throw new Error('EAI_AGAIN');
          return answer;
        },
      },
    );
    try {
      assert.equal(who(id.connection(facts('a', '172.18.0.7')).identify(undefined)), 'mon/read-only/source');
      answer = null;
      now += 30_001;
      assert.equal(who(id.connection(facts('a', '172.18.0.7')).identify(undefined)), 'refused 403 PC_UNKNOWN_CLIENT');
    } finally {
      id.close();
    }
  });
});
