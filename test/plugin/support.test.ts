import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';

function problems(text: string, anonymousClient?: string): string[] {
  try {
    loadConfig({ text, env: {}, plugin: anonymousClient === undefined ? {} : { anonymousClient } });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => `${p.key}: ${p.message}`);
  }
}

const BASE = `
listeners:
  - name: local
    address: tcp://127.0.0.1:0
    policy: ci
upstream:
  address: unix:///nonexistent/docker.sock
`;

describe('plugin mode at load', () => {
  it('accepts rules and constraints', () => {
    assert.deepEqual(problems(`${BASE}policies:\n  ci:\n    extends: hardened\n    constraints:\n      privileged: false\n`), []);
  });

  for (const [key, yaml, why] of [
    ['tenancy', 'tenancy:\n      ownership: true', /rewrites/],
    ['mutate', 'mutate:\n      labels: {team: ci}', /only allow or deny/],
    ['redact', 'redact:\n      env: true', /answer/],
    ['visibility', 'visibility:\n      containers:\n        names: ["ci-*"]', /filter/],
    ['images', 'images:\n      allow: ["busybox"]', /pins references/],
  ] as const) {
    it(`refuses ${key}, naming the key and why`, () => {
      const found = problems(`${BASE}policies:\n  ci:\n    extends: hardened\n    ${yaml}\n`);
      assert.equal(found.length, 1, found.join('\n'));
      assert.match(found[0]!, new RegExp(`^policies\\.ci\\.${key}: not available in plugin mode: `));
      assert.match(found[0]!, why);
    });
  }

  it('names the base policy that turns a feature on', () => {
    const found = problems(`${BASE}policies:\n  base:\n    tenancy:\n      ownership: true\n  ci:\n    extends: base\n`);
    assert.deepEqual(found, ['policies.base.tenancy: not available in plugin mode (policy "ci" extends it): tenancy labels new objects, pins references, prefixes names and filters lists, events and prunes: all rewrites, which an authorization plugin cannot make']);
  });

  it('judges only the policies a plugin can hand out: the anonymous client\'s and the certificate clients\'', () => {
    const config = `${BASE}clients:
  - name: tenant
    policy: tenants
    token: abcdefghijklmnopqrstuvwxyz
policies:
  ci:
    extends: hardened
  tenants:
    extends: hardened
    tenancy:
      ownership: true
`;
    assert.deepEqual(problems(config), []);
    assert.match(problems(config, 'tenant').join('\n'), /policies\.tenants\.tenancy: not available in plugin mode/);
  });

  it('needs an anonymous client', () => {
    const found = problems(`
listeners:
  - name: local
    address: tcp://127.0.0.1:0
upstream:
  address: unix:///nonexistent/docker.sock
clients:
  - name: a
    policy: hardened
    token: abcdefghijklmnopqrstuvwxyz
`);
    assert.match(found.join('\n'), /plugin mode: .*--anonymous-client/);
  });

  it('leaves proxy mode alone', () => {
    assert.doesNotThrow(() => loadConfig({ text: `${BASE}policies:\n  ci:\n    extends: hardened\n    tenancy:\n      ownership: true\n`, env: {} }));
  });
});
