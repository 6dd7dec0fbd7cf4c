import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { fakeLookup, inspectWith } from '../policy/constraints/helpers.js';

const config = (allow: string): string => `listeners:
  - address: tcp://127.0.0.1:2375
    policy: ci
policies:
  ci:
    extends: hardened
    images:
      allow: ${allow}
`;

describe('images.allow in a config file', () => {
  it('loads into the policy\'s inspector', async () => {
    const { policies } = loadConfig({ text: config('["busybox:local"]'), env: {} });
    const inspector = policies.get('ci')!.inspector!;
    const refused = await inspectWith(inspector, { op: 'ContainerCreate', body: { Image: 'alpine' }, client: 'c', lookup: fakeLookup() });
    assert.equal(!refused.allowed && refused.rule, 'PC_IMAGE_NOT_ALLOWED');
    const allowed = await inspectWith(inspector, { op: 'ContainerCreate', body: { Image: 'busybox:local' }, client: 'c', lookup: fakeLookup() });
    assert.equal(allowed.allowed, true);
  });

  it('a malformed pattern is reported at its line', () => {
    assert.throws(
      () => loadConfig({ text: config('\n        - busybox:*\n        - Busybox'), env: {} }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /^<text>:10:\d+: policies\.ci\.images\.allow\[1\]: image pattern "Busybox": /);
        return true;
      },
    );
  });
});
