import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { admit } from '../../src/proxy/authorize.js';
import { PRESETS } from '../../src/presets/presets.js';

function allows(policyName: string, text: string, method: string, target: string): boolean {
  const loaded = loadConfig({ text, env: {} });
  const policy = loaded.policies.get(policyName)!;
  return admit({ method, target, upgrade: null, hasBody: false, contentTypes: [] }, policy, '1.24').allowed;
}

describe('presets', () => {
  it('every preset negotiates the version with HEAD and GET /_ping and /version', () => {
    for (const name of Object.keys(PRESETS)) {
      const text = `listeners:\n  - address: tcp://127.0.0.1:2375\n    policy: ${name}\n`;
      for (const [m, t] of [['HEAD', '/_ping'], ['GET', '/_ping'], ['GET', '/v1.41/version']] as const) assert.ok(allows(name, text, m, t), `${name} ${m} ${t}`);
    }
  });

  it('a config can extend a preset, its own rules first', () => {
    const text = `listeners:
  - address: tcp://127.0.0.1:2375
    policy: my-traefik
policies:
  my-traefik:
    extends: traefik
    rules:
      - id: no-events
        deny: [SystemEvents]
`;
    assert.equal(allows('my-traefik', text, 'GET', '/containers/json'), true);
    assert.equal(allows('my-traefik', text, 'GET', '/events'), false);
    assert.equal(allows('my-traefik', text, 'POST', '/containers/create'), false);
  });

  it('PORTCULLIS_PRESET picks the listener policy; an unknown one or one mixed with socket-proxy variables is refused', () => {
    const loaded = loadConfig({ env: { PORTCULLIS_PRESET: 'dozzle', SOCKET_PATH: '/run/docker.sock' } });
    assert.equal(loaded.config.listeners[0]!.policy, 'dozzle');
    assert.deepEqual(loaded.config.upstream.address, { kind: 'unix', path: '/run/docker.sock' });
    assert.throws(() => loadConfig({ env: { PORTCULLIS_PRESET: 'nope' } }), (e: unknown) => e instanceof ConfigError && /no such preset/.test(e.message));
    assert.throws(() => loadConfig({ env: { PORTCULLIS_PRESET: 'dozzle', CONTAINERS: '1' } }), /cannot be combined/);
  });
});
