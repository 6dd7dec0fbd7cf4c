import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type LoadOptions } from '../../src/config/load.js';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));

const LISTENER = `listeners:
  - address: tcp://127.0.0.1:2375
    policy: read-only
`;

/** Loads and expects failure; returns the error's lines. */
function problems(opts: LoadOptions): string[] {
  try {
    loadConfig({ env: {}, ...opts });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.message.split('\n').length, error.problems.length);
    return error.message.split('\n');
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig defaults', () => {
  it('uses the embedded default without file or text', () => {
    const { source, config, policies } = loadConfig({ env: {} });
    assert.equal(source, '<default>');
    assert.deepEqual(config.listeners, [
      { name: 'listener-0', address: { kind: 'tcp', host: '127.0.0.1', port: 2375 }, policy: 'read-only' },
    ]);
    assert.deepEqual(config.upstream, { address: { kind: 'unix', path: '/var/run/docker.sock' } });
    assert.deepEqual(config.policies, {});
    assert.deepEqual(config.limits, { minApiVersion: '1.24', maxHeaderBytes: 1048576, maxBodyBytes: 1048576, shutdownGraceMs: 10000 });
    assert.deepEqual(config.log, { decisions: 'all', level: 'info' });
    assert.ok(policies.has('read-only'));
  });

  it('fills in limits and log left partly unset', () => {
    const { config } = loadConfig({
      env: {},
      text: `${LISTENER}limits:\n  shutdownGraceMs: 0\n  minApiVersion: 1.40\nlog:\n  level: debug\n`,
    });
    assert.deepEqual(config.limits, { minApiVersion: '1.40', maxHeaderBytes: 1048576, maxBodyBytes: 1048576, shutdownGraceMs: 0 });
    assert.deepEqual(config.log, { decisions: 'all', level: 'debug' });
  });

  it('names listeners by index unless named', () => {
    const { config } = loadConfig({
      env: {},
      text: `listeners:
  - { name: web, address: "tcp://0.0.0.0:2375", policy: read-only }
  - { address: "unix:///run/p.sock", policy: read-only }
`,
    });
    assert.deepEqual(
      config.listeners.map((l) => l.name),
      ['web', 'listener-1'],
    );
  });

  it('reads the user policies as PolicySpecs', () => {
    const { config, policies } = loadConfig({
      env: {},
      text: `listeners:
  - { address: "tcp://127.0.0.1:2375", policy: ci }
policies:
  ci:
    extends: read-only
    rules:
      - id: kill-hup
        allow: [ContainerKill]
        query: { signal: [HUP, 1] }
      - id: no-exec
        deny: [exec]
  bare:
    extends: ci
`,
    });
    assert.deepEqual(config.policies, {
      ci: {
        extends: 'read-only',
        rules: [
          { id: 'kill-hup', allow: ['ContainerKill'], query: { signal: ['HUP', '1'] } },
          { id: 'no-exec', deny: ['exec'] },
        ],
      },
      bare: { extends: 'ci', rules: [] },
    });
    assert.ok(policies.has('ci') && policies.has('bare') && policies.has('read-only'));
  });
});

describe('upstream', () => {
  it('takes DOCKER_HOST when the file has no upstream', () => {
    const tcp = loadConfig({ text: LISTENER, env: { DOCKER_HOST: 'tcp://10.0.0.5:2376' } });
    assert.deepEqual(tcp.config.upstream, { address: { kind: 'tcp', host: '10.0.0.5', port: 2376 } });
    const unix = loadConfig({ text: LISTENER, env: { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' } });
    assert.deepEqual(unix.config.upstream, { address: { kind: 'unix', path: '/run/user/1000/docker.sock' } });
  });

  it('treats an empty DOCKER_HOST as unset', () => {
    const { config } = loadConfig({ text: LISTENER, env: { DOCKER_HOST: '' } });
    assert.deepEqual(config.upstream.address, { kind: 'unix', path: '/var/run/docker.sock' });
  });

  it('prefers the file over DOCKER_HOST', () => {
    const { config } = loadConfig({
      text: `${LISTENER}upstream:\n  address: unix:///srv/docker.sock\n`,
      env: { DOCKER_HOST: 'tcp://10.0.0.5:2376' },
    });
    assert.deepEqual(config.upstream.address, { kind: 'unix', path: '/srv/docker.sock' });
  });

  it('reports a bad DOCKER_HOST', () => {
    assert.deepEqual(problems({ text: LISTENER, env: { DOCKER_HOST: 'ssh://me@host' } }), [
      'DOCKER_HOST: ssh://me@host: unsupported scheme "ssh" (expected tcp:// or unix://)',
    ]);
  });

  it('keeps tls with a tcp upstream and needs cert and key together', () => {
    const { config } = loadConfig({
      env: {},
      text: `${LISTENER}upstream:
  address: tcp://docker:2376
  tls: { ca: /certs/ca.pem, cert: /certs/cert.pem, key: /certs/key.pem, serverName: docker }
`,
    });
    assert.deepEqual(config.upstream.tls, { ca: '/certs/ca.pem', cert: '/certs/cert.pem', key: '/certs/key.pem', serverName: 'docker' });
    assert.deepEqual(problems({ text: `${LISTENER}upstream:\n  address: tcp://docker:2376\n  tls:\n    cert: /c.pem\n` }), [
      '<text>:7:5: upstream.tls: cert and key must be given together (key is missing)',
    ]);
  });

  it('rejects tls with a unix upstream, also one from DOCKER_HOST', () => {
    const text = `${LISTENER}upstream:\n  tls:\n    ca: /ca.pem\n`;
    assert.deepEqual(problems({ text, env: { DOCKER_HOST: 'unix:///d.sock' } }), [
      '<text>:6:5: upstream.tls: applies to tcp upstreams only, but the upstream (from DOCKER_HOST) is unix:///d.sock',
    ]);
    assert.equal(loadConfig({ text, env: { DOCKER_HOST: 'tcp://d:2376' } }).config.upstream.tls?.ca, '/ca.pem');
  });

  it('refuses to forward to its own listener', () => {
    assert.deepEqual(problems({ text: LISTENER, env: { DOCKER_HOST: 'tcp://127.0.0.1:2375' } }), [
      '<text>:2:14: listeners[0].address: is also the upstream address (from DOCKER_HOST), which would make the proxy forward to itself',
    ]);
  });
});

describe('command-line flags', () => {
  it('--listen replaces the listeners and keeps the first listener policy', () => {
    const { config } = loadConfig({
      env: {},
      text: `listeners:
  - { address: "tcp://127.0.0.1:2375", policy: ci }
  - { address: "tcp://127.0.0.1:2376", policy: read-only }
policies:
  ci: { extends: read-only }
`,
      listen: ['unix:///run/a.sock', 'tcp://[::]:0'],
    });
    assert.deepEqual(config.listeners, [
      { name: 'cli-0', address: { kind: 'unix', path: '/run/a.sock' }, policy: 'ci' },
      { name: 'cli-1', address: { kind: 'tcp', host: '::', port: 0 }, policy: 'ci' },
    ]);
  });

  it('--listen with the default config uses read-only', () => {
    const { config } = loadConfig({ env: {}, listen: ['tcp://0.0.0.0:2375'] });
    assert.deepEqual(config.listeners, [{ name: 'cli-0', address: { kind: 'tcp', host: '0.0.0.0', port: 2375 }, policy: 'read-only' }]);
  });

  it('--listen stands in for a file without listeners', () => {
    const { config } = loadConfig({ env: {}, text: 'log: { level: warn }\n', listen: ['tcp://127.0.0.1:0'] });
    assert.equal(config.listeners[0]?.policy, 'read-only');
    assert.deepEqual(problems({ text: 'log: { level: warn }\n' }), [
      '<text>:1:1: listeners: at least one listener is required (or pass --listen)',
    ]);
  });

  it('--upstream replaces the address and drops tls unless tcp', () => {
    const text = `${LISTENER}upstream:\n  address: tcp://docker:2376\n  tls: { ca: /ca.pem }\n`;
    const unix = loadConfig({ env: {}, text, upstream: 'unix:///other.sock' });
    assert.deepEqual(unix.config.upstream, { address: { kind: 'unix', path: '/other.sock' } });
    const tcp = loadConfig({ env: {}, text, upstream: 'tcp://other:2376' });
    assert.deepEqual(tcp.config.upstream, { address: { kind: 'tcp', host: 'other', port: 2376 }, tls: { ca: '/ca.pem' } });
  });

  it('--upstream wins over a DOCKER_HOST that would not even parse', () => {
    const { config } = loadConfig({ text: LISTENER, env: { DOCKER_HOST: 'ssh://x' }, upstream: 'unix:///d.sock' });
    assert.deepEqual(config.upstream.address, { kind: 'unix', path: '/d.sock' });
  });

  it('reports bad flag addresses by flag', () => {
    assert.deepEqual(problems({ listen: ['tcp://127.0.0.1:2375', 'localhost:2375'], upstream: 'tcp://h:0' }), [
      '--listen: "localhost:2375": expected tcp://HOST:PORT or unix:///PATH',
      '--upstream: tcp://h:0: port 0 is out of range 1..65535',
    ]);
  });
});

describe('schema errors point at the line', () => {
  it('rejects unknown keys where they are written', () => {
    const text = `listeners:
  - address: tcp://127.0.0.1:2375
    policy: read-only
    polcy: ci
limits:
  maxHeaderByte: 10
upstreams: {}
`;
    assert.deepEqual(problems({ text }), [
      '<text>:4:5: listeners[0].polcy: unknown key',
      '<text>:6:3: limits.maxHeaderByte: unknown key',
      '<text>:7:1: upstreams: unknown key',
    ]);
  });

  it('reports a bad address at its value', () => {
    const text = `listeners:
  - policy: read-only
    address: tcp://127.0.0.1:99999
`;
    assert.deepEqual(problems({ text }), [
      '<text>:3:14: listeners[0].address: tcp://127.0.0.1:99999: port 99999 is out of range 0..65535',
    ]);
  });

  it('reports a missing key at the enclosing map', () => {
    assert.deepEqual(problems({ text: 'listeners:\n  - policy: read-only\n' }), ['<text>:2:5: listeners[0].address: is required']);
  });

  it('reports every problem, in file order', () => {
    const text = `log:
  decisions: yes
  level: loud
limits: { maxHeaderBytes: 0x100, shutdownGraceMs: -1, minApiVersion: "2" }
listeners: []
`;
    assert.deepEqual(problems({ text }), [
      '<text>:2:14: log.decisions: must be all, denied or none',
      '<text>:3:10: log.level: Invalid option: expected one of "debug"|"info"|"warn"|"error"',
      '<text>:4:27: limits.maxHeaderBytes: must be a non-negative decimal integer',
      '<text>:4:51: limits.shutdownGraceMs: must be a non-negative decimal integer',
      '<text>:4:70: limits.minApiVersion: must be an API version such as "1.24"',
      '<text>:5:12: listeners: at least one listener is required',
    ]);
  });

  it('bounds numbers', () => {
    assert.deepEqual(problems({ text: `${LISTENER}limits:\n  maxHeaderBytes: 100\n` }), [
      '<text>:5:19: limits.maxHeaderBytes: must be at least 1024',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const [line] = problems({ text: 'listeners:\n  - address: tcp://127.0.0.1:2375\n   policy: [read-only\n' });
    assert.match(line ?? '', /^<text>:3:\d+: /);
    assert.match(problems({ text: 'a: 1\na: 2\n' })[0] ?? '', /^<text>:2:1: Map keys must be unique/);
  });

  it('names the file it read, and a file it cannot read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-load-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `${LISTENER}nope: 1\n`);
    assert.deepEqual(problems({ file }), [`${file}:4:1: nope: unknown key`]);
    assert.deepEqual(problems({ file: join(dir, 'missing.yaml') }), [`${join(dir, 'missing.yaml')}: cannot read the file (ENOENT)`]);
  });

  it('rejects a document that is not a map', () => {
    assert.deepEqual(problems({ text: '- a\n- b\n' }), ['<text>:1:1: Invalid input: expected object, received array']);
  });
});

describe('${ENV} expansion', () => {
  it('replaces variables in values, with defaults and $$', () => {
    const { config } = loadConfig({
      env: { HOST: '10.1.2.3', PORT: '2380', EMPTY: '' },
      text: `listeners:
  - name: "\${HOST}-$$-\${MISSING:-fallback}-\${EMPTY:-e}-\${EMPTY}-$5"
    address: tcp://\${HOST}:\${PORT}
    policy: \${POLICY:-read-only}
`,
    });
    assert.deepEqual(config.listeners[0], {
      name: '10.1.2.3-$-fallback-e--$5',
      address: { kind: 'tcp', host: '10.1.2.3', port: 2380 },
      policy: 'read-only',
    });
  });

  it('reads expanded numbers and booleans like literal ones', () => {
    const { config } = loadConfig({
      env: { MAX: '4096', DECISIONS: 'false', MODE: '0640' },
      text: `listeners:
  - address: unix:///run/p.sock
    policy: read-only
    mode: \${MODE}
limits:
  maxHeaderBytes: \${MAX}
log:
  decisions: \${DECISIONS}
`,
    });
    assert.equal(config.limits.maxHeaderBytes, 4096);
    assert.equal(config.log.decisions, 'none');
    assert.equal(config.listeners[0]?.mode, 0o640);
  });

  it('reports an unset variable with file, line and key', () => {
    const text = `listeners:
  - address: tcp://127.0.0.1:2375
    policy: read-only
upstream:
  address: \${DOCKER_UPSTREAM}
  tls: { ca: "\${CERTS}/ca.pem" }
`;
    assert.deepEqual(problems({ text, env: { CERTS: '/c' }, upstream: 'tcp://x:1' }), [
      '<text>:5:12: upstream.address: environment variable DOCKER_UPSTREAM is not set (write ${DOCKER_UPSTREAM:-default} to give a default)',
    ]);
  });

  it('rejects malformed references', () => {
    assert.deepEqual(problems({ text: `${LISTENER}log: { level: "\${1BAD}" }\n` }), [
      '<text>:4:15: log.level: "${1BAD}" is not a variable reference: write ${NAME} or ${NAME:-default}, or $$ for a literal $',
    ]);
    assert.deepEqual(problems({ text: `${LISTENER}log: { level: "\${OPEN" }\n` }), ['<text>:4:15: log.level: unterminated "${" in "${OPEN"']);
  });

  it('leaves keys alone', () => {
    assert.deepEqual(problems({ text: `${LISTENER}\${KEY}: 1\n`, env: { KEY: 'log' } }), ['<text>:4:1: ${KEY}: unknown key']);
  });
});

describe('listeners', () => {
  it('reads mode as octal, written either way', () => {
    for (const [mode, expected] of [
      ['0660', 0o660],
      ['"0660"', 0o660],
      ['"660"', 0o660],
      ['0o640', 0o640],
      ['600', 0o600],
    ] as const) {
      const { config } = loadConfig({
        env: {},
        text: `listeners:\n  - { address: "unix:///run/p.sock", policy: read-only, mode: ${mode}, group: docker }\n`,
      });
      assert.equal(config.listeners[0]?.mode, expected, mode);
      assert.equal(config.listeners[0]?.group, 'docker');
    }
  });

  it('rejects bad modes and unix options on tcp listeners', () => {
    assert.deepEqual(problems({ text: 'listeners:\n  - { address: "unix:///p.sock", policy: read-only, mode: "0999" }\n' }), [
      '<text>:2:59: listeners[0].mode: must be octal permission bits such as "0660"',
    ]);
    assert.deepEqual(problems({ text: `${LISTENER}    mode: "0660"\n    group: docker\n` }), [
      '<text>:4:11: listeners[0].mode: applies to unix socket listeners only',
      '<text>:5:12: listeners[0].group: applies to unix socket listeners only',
    ]);
  });

  it('rejects duplicate names, including a default one', () => {
    const text = `listeners:
  - { name: listener-1, address: "tcp://127.0.0.1:1", policy: read-only }
  - { address: "tcp://127.0.0.1:2", policy: read-only }
`;
    assert.deepEqual(problems({ text }), ['<text>:3:5: listeners[1].name: duplicate listener name "listener-1"']);
  });
});

describe('policies', () => {
  it('rejects a listener naming an unknown policy', () => {
    const [line] = problems({ text: 'listeners:\n  - { address: "tcp://127.0.0.1:1", policy: cii }\npolicies:\n  ci: {}\n' });
    assert.match(line ?? '', /^<text>:2:45: listeners\[0\]\.policy: no policy named "cii" \(known: .*\bci\b.*\bread-only\b/);
  });

  it('rejects a bad policy name at the name', () => {
    assert.deepEqual(problems({ text: `${LISTENER}policies:\n  "ci policy": {}\n` }), [
      '<text>:5:3: policies.ci policy: policy names are letters, digits, "_", "." and "-"',
    ]);
  });

  it('follows YAML anchors and aliases', () => {
    const { config } = loadConfig({
      env: {},
      text: `listeners:
  - { address: "tcp://127.0.0.1:1", policy: b }
policies:
  a: &base
    rules: [{ id: ping, allow: [SystemPing] }]
  b: *base
`,
    });
    assert.deepEqual(config.policies['b'], { rules: [{ id: 'ping', allow: ['SystemPing'] }] });
  });

  it('checks rules: one of allow or deny, unique ids, known keys', () => {
    const text = `${LISTENER}policies:
  ci:
    rules:
      - id: a
        allow: [SystemPing]
      - id: a
        allow: [SystemVersion]
        deny: [SystemInfo]
      - id: b
      - id: c
        allow: []
        methods: [GET]
`;
    assert.deepEqual(problems({ text }), [
      '<text>:9:9: policies.ci.rules[1]: a rule needs exactly one of allow or deny',
      '<text>:9:13: policies.ci.rules[1].id: duplicate rule id "a"',
      '<text>:12:9: policies.ci.rules[2]: a rule needs exactly one of allow or deny',
      '<text>:14:16: policies.ci.rules[3].allow: must list at least one selector',
      '<text>:15:9: policies.ci.rules[3].methods: unknown key',
    ]);
  });

  it('reports a bad selector at the selector', () => {
    const text = `${LISTENER}policies:
  ci:
    rules:
      - id: ok
        allow: [SystemPing]
      - id: typo
        allow:
          - containers:read
          - bogus:thing
`;
    const [line, ...rest] = problems({ text });
    assert.match(line ?? '', /^<text>:12:13: policies\.ci\.rules\[1\]\.allow\[1\]: .*bogus:thing/);
    assert.deepEqual(rest, []);
  });
});

describe('examples', () => {
  const files = readdirSync(examples).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));

  it('has the documented examples', () => {
    assert.ok(files.includes('read-only.yaml') && files.includes('ci-basic.yaml'));
  });

  for (const f of files) {
    it(`${f} loads`, () => {
      // The variables the examples document; their values only need to be well-formed here.
      const env = { ALICE_TOKEN: 'alice-secret-token', BOB_TOKEN: 'bob-secret-token', MTLS_ADDR: 'tcp://127.0.0.1:2376', CERT_DIR: '/etc/portcullis/certs' };
      const { config, policies } = loadConfig({ file: join(examples, f), env });
      for (const l of config.listeners) if (l.policy !== undefined) assert.ok(policies.has(l.policy));
      for (const c of config.clients) assert.ok(policies.has(c.policy));
    });
  }
});
