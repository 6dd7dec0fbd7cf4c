import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withOwnerFilter } from '../../src/tenancy/filters.js';
import { TenancyRefusal } from '../../src/tenancy/refusal.js';
import { FILTERED_OPS } from '../../src/tenancy/inspector.js';
import { expectRule, LABEL, run } from './helpers.js';

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
      assert.throws(() => merged(bad), (e: unknown) => e instanceof TenancyRefusal && e.rule === 'PC_TENANCY_FILTERS', bad);
    }
    assert.throws(() => withOwnerFilter(new Map([['filters', ['{}', '{}']]]), LABEL, 'alice'), TenancyRefusal);
  });

  it('every list, events and prune operation gets the owner filter', async () => {
    for (const op of FILTERED_OPS) {
      const v = await run({ op, query: { filters: ['{"label":["app=x"]}'] } });
      assert.ok(v.allowed, op);
      if (v.allowed) assert.deepEqual(JSON.parse(v.query!.get('filters')![0]!), { label: { 'app=x': true, [`${LABEL}=alice`]: true } });
      expectRule(await run({ op, query: { filters: ['nope'] } }), 'PC_TENANCY_FILTERS');
    }
  });

  it('refuses system df', async () => {
    expectRule(await run({ op: 'SystemDataUsage' }), 'PC_TENANCY_UNSUPPORTED');
  });
});
