import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withOwnerFilter } from '../../src/tenancy/filters.js';
import { InspectRefusal } from '../../src/inspect/refusal.js';
import { FILTERED_OPS } from '../../src/tenancy/inspector.js';
import { allowed, expectRule, filtersOf, LABEL, run, SHARED_NAMES, tenancy } from './helpers.js';

const merged = (filters?: string): unknown => {
  const q = new Map<string, string[]>([['all', ['1']]]);
  if (filters !== undefined) q.set('filters', [filters]);
  const out = withOwnerFilter(q, LABEL, 'alice');
  assert.deepEqual(out.get('all'), ['1']);
  return JSON.parse(out.get('filters')![0]!);
};

describe('tenancy: filters', () => {
  it('adds the owner label when there is no filter', () => {
    assert.deepEqual(merged(), { label: { [`${LABEL}=alice`]: true } });
    assert.deepEqual(merged(''), { label: { [`${LABEL}=alice`]: true } });
  });

  it('merges into the map form and the legacy form, keeping the client filters', () => {
    assert.deepEqual(merged('{"label":{"app=x":true},"status":{"running":true}}'), { label: { 'app=x': true, [`${LABEL}=alice`]: true }, status: { running: true } });
    assert.deepEqual(merged('{"label":["app=x"],"name":["web"]}'), { label: { 'app=x': true, [`${LABEL}=alice`]: true }, name: { web: true } });
  });

  it('cannot be overridden by a client owner label', () => {
    assert.deepEqual(merged(`{"label":{"${LABEL}=bob":true}}`), { label: { [`${LABEL}=bob`]: true, [`${LABEL}=alice`]: true } });
  });

  it('refuses garbage, mixed forms, duplicates and repeated parameters', () => {
    for (const bad of ['x', '[]', '{"label":"a"}', '{"label":{"a":1}}', '{"label":["a"],"status":{"running":true}}', '{"label":null}', '{"label":["a"],"label":["b"]}', '{} x']) {
      assert.throws(() => merged(bad), (e: unknown) => e instanceof InspectRefusal && e.rule === 'PC_TENANCY_FILTERS', bad);
    }
    assert.throws(() => withOwnerFilter(new Map([['filters', ['{}', '{}']]]), LABEL, 'alice'), InspectRefusal);
  });

  const selectors = { shared: { labels: ['com.example.shared=yes'] } };
  const policies = { prefix: tenancy(), 'one name space': SHARED_NAMES, 'shared objects': tenancy(selectors), 'one name space, shared objects': tenancy({ names: 'shared', ...selectors }) };
  const withOwner = { label: { 'app=x': true, [`${LABEL}=alice`]: true } };
  const withoutOwner = { label: { 'app=x': true } };

  it('prunes always get the owner filter: shared objects are never pruned', async () => {
    for (const [what, inspector] of Object.entries(policies)) {
      for (const op of ['ContainerPrune', 'VolumePrune', 'NetworkPrune']) {
        assert.deepEqual(filtersOf(await run({ op, query: { filters: ['{"label":["app=x"]}'] } }, inspector)), withOwner, `${what} ${op}`);
      }
    }
  });

  it('lists get the owner filter without shared objects; with them the answer is filtered in the proxy instead', async () => {
    for (const [what, inspector] of Object.entries(policies)) {
      const shared = what.includes('shared objects');
      for (const op of ['ContainerList', 'VolumeList', 'NetworkList']) {
        const v = await run({ op, query: { filters: ['{"label":["app=x"]}'] } }, inspector);
        assert.deepEqual(filtersOf(v), shared ? withoutOwner : withOwner, `${what} ${op}`);
        // the answer is rewritten when names are prefixed or entries must be filtered
        assert.equal(typeof allowed(v).response, what === 'one name space' ? 'undefined' : 'function', `${what} ${op}`);
      }
    }
  });

  it('events get the owner filter only with one name space and no shared objects; otherwise each event is judged', async () => {
    for (const [what, inspector] of Object.entries(policies)) {
      const v = await run({ op: 'SystemEvents', query: { filters: ['{"label":["app=x"]}'] } }, inspector);
      const pushed = what === 'one name space';
      assert.deepEqual(filtersOf(v), pushed ? withOwner : withoutOwner, what);
      assert.equal(typeof allowed(v).events, pushed ? 'undefined' : 'function', what);
    }
  });

  it('every list, events and prune operation refuses filters it cannot read, in every mode', async () => {
    for (const [what, inspector] of Object.entries(policies)) {
      for (const op of FILTERED_OPS) {
        expectRule(await run({ op, query: { filters: ['nope'] } }, inspector), 'PC_TENANCY_FILTERS');
        expectRule(await run({ op, query: { filters: ['{}', '{}'] } }, inspector), 'PC_TENANCY_FILTERS');
        assert.equal((await run({ op, query: { filters: ['{}'] } }, inspector)).allowed, true, `${what} ${op}`);
      }
    }
  });

  it('system df is allowed, its answer filtered (see lists.test.ts)', async () => {
    const v = allowed(await run({ op: 'SystemDataUsage' }));
    assert.equal(typeof v.response, 'function');
    assert.deepEqual(Object.keys(v).sort(), ['allowed', 'response']);
  });
});
