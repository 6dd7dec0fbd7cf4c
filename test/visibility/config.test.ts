import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPERATIONS_BY_ID } from '../../src/catalogue/operations.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { fakeLookup, j } from './helpers.js';

const YAML = `listeners:
  - address: tcp://127.0.0.1:2375
    policy: dashboard
policies:
  base:
    extends: hardened
    visibility:
      match: substring
      containers: { names: [web], labels: [expose] }
  dashboard:
    extends: base
    visibility:
      match: glob
    mutate:
      labels: { expose: "yes" }
`;

describe('visibility in the config', () => {
  it('merges along extends and runs on the request before mutation, counting the labels mutation forces', async () => {
    const { policies } = loadConfig({ env: {}, text: YAML });
    const inspector = policies.get('dashboard')!.inspector!;
    const op = OPERATIONS_BY_ID.get('ContainerCreate')!;
    const lookup = fakeLookup({ '/containers/json?all=1': { status: 200, body: [] } });
    const req = { op, method: 'POST', path: '/containers/create', params: {}, version: null, client: 'c', lookup };
    // no name and no label of its own: visible through the label mutation forces
    const v = await inspector.check({ ...req, query: new Map(), body: j({ Image: 'busybox' }) });
    assert.equal(v.allowed, true, v.allowed ? '' : v.reason);
    if (v.allowed) assert.deepEqual((v.body as { Labels: unknown }).Labels, { expose: 'yes' });

    // glob (the child's mode): "web" is the whole name, so "myweb" is hidden
    const inspect = OPERATIONS_BY_ID.get('ContainerInspect')!;
    const list = fakeLookup({ '/containers/json?all=1': { status: 200, body: [{ Id: 'a'.repeat(64), Names: ['/myweb'], Labels: {} }] } });
    const hidden = await inspector.check({ ...req, op: inspect, method: 'GET', params: { id: 'myweb' }, query: new Map(), body: null, lookup: list });
    assert.equal(hidden.allowed, false);
    if (!hidden.allowed) assert.equal(hidden.message, 'No such container: myweb');
  });

  it('config mistakes are reported with their path', () => {
    assert.throws(
      () => loadConfig({ env: {}, text: YAML.replace('match: glob', 'match: regex') }),
      (e: unknown) => e instanceof ConfigError && /policies\.dashboard\.visibility\.match/.test(e.message),
    );
  });
});
