import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPERATIONS_BY_ID } from '../../src/catalogue/operations.js';
import type { JsonValue } from '../../src/inspect/json-value.js';
import { createVisibilityInspector } from '../../src/visibility/inspector.js';
import { mergeVisibility } from '../../src/visibility/model.js';
import { allowed, CONTAINERS, daemon, DB1, expectHidden, expectRule, j, N1, N2, NETWORKS, run, VOLUMES, WEB1, WEB2, X } from './helpers.js';

const ids = (v: JsonValue): string[] => (v as { Id: string }[]).map((c) => c.Id);
const query = (v: { query?: ReadonlyMap<string, readonly string[]> }): Record<string, readonly string[]> => Object.fromEntries(v.query ?? []);

describe('visibility: ContainerList', () => {
  it('keeps the visible containers, by name or label, and leaves the query alone', async () => {
    const v = allowed(await run({ op: 'ContainerList', query: { all: ['1'] } }));
    assert.deepEqual(query(v), { all: ['1'] });
    assert.deepEqual(ids(v.response!(j(CONTAINERS))), [WEB1, X, WEB2]);
  });

  it('limit counts visible containers: taken off the forwarded query, with all=1 as dockerd implies, and applied after filtering', async () => {
    const v = allowed(await run({ op: 'ContainerList', query: { limit: ['1'], size: ['1'] } }));
    assert.deepEqual(query(v), { size: ['1'], all: ['1'] });
    // newest first, as dockerd lists: db1 (hidden) is newest, web1 the newest visible
    const listed = [CONTAINERS[1], CONTAINERS[0], CONTAINERS[2]];
    assert.deepEqual(ids(v.response!(j(listed))), [WEB1]);
  });

  it('a limit dockerd ignores or refuses is forwarded as given', async () => {
    for (const limit of ['0', '-1', 'abc', '99999999999999999999', '']) {
      const v = allowed(await run({ op: 'ContainerList', query: { limit: [limit] } }));
      assert.deepEqual(query(v), { limit: [limit] }, limit);
      assert.deepEqual(ids(v.response!(j(CONTAINERS))), [WEB1, X, WEB2], limit);
    }
    const plus = allowed(await run({ op: 'ContainerList', query: { limit: ['+2'] } }));
    assert.deepEqual(query(plus), { all: ['1'] });
  });

  it('an exact label selector goes into the client\'s filters, and limit stays exact', async () => {
    const v = allowed(await run({ op: 'ContainerList', query: { limit: ['2'], filters: [JSON.stringify({ label: ['team'] })] } }, { containers: { labels: ['expose=yes'] } }));
    assert.deepEqual(query(v), { limit: ['2'], filters: [JSON.stringify({ label: { team: true, 'expose=yes': true } })] });
    assert.equal(v.response, undefined);
  });

  it('before/since name containers: visible ones are pinned, hidden ones are not found', async () => {
    const v = allowed(await run({ op: 'ContainerList', query: { filters: [JSON.stringify({ before: { web1: true } })], since: ['c1'] } }));
    assert.deepEqual(query(v), { since: [WEB1], filters: [JSON.stringify({ before: { [WEB1]: true } })] });
    expectHidden(await run({ op: 'ContainerList', query: { filters: [JSON.stringify({ since: ['db1'] })] } }), 'No such container: db1');
    expectHidden(await run({ op: 'ContainerList', query: { before: [DB1] } }), `No such container: ${DB1}`);
  });

  it('filters dockerd could read differently are refused', async () => {
    expectRule(await run({ op: 'ContainerList', query: { filters: ['{"label":["a"],"label":["b"]}'] } }), 'PC_TENANCY_FILTERS');
  });

  it('an answer of an unexpected shape shows nothing', async () => {
    const v = allowed(await run({ op: 'ContainerList' }));
    assert.deepEqual(v.response!(j({ message: 'x' })), []);
  });
});

describe('visibility: NetworkList and VolumeList', () => {
  it('networks: the visible ones', async () => {
    const lookup = daemon();
    const v = allowed(await run({ op: 'NetworkList', version: '1.41', lookup }));
    assert.deepEqual((v.response!(j(NETWORKS)) as { Id: string }[]).map((n) => n.Id), [N1]);
    // API 1.28 and up list no containers per network: nothing to look up
    assert.deepEqual(lookup.calls, []);
  });

  it('networks before API 1.28 list their containers: only the visible ones are kept', async () => {
    const v = allowed(await run({ op: 'NetworkList', version: '1.27' }));
    const listed = [{ Id: N1, Name: 'app-net', Containers: { [WEB1]: {}, [DB1]: {} } }, { Id: N2, Name: 'secret-net', Containers: { [DB1]: {} } }];
    assert.deepEqual(v.response!(j(listed)), j([{ Id: N1, Name: 'app-net', Containers: { [WEB1]: {} } }]));
  });

  it('an exact network label selector is pushed into the filters', async () => {
    const v = allowed(await run({ op: 'NetworkList', query: { filters: ['{"driver":{"bridge":true}}'] } }, { networks: { labels: ['team=a'] } }));
    assert.deepEqual(query(v), { filters: [JSON.stringify({ driver: { bridge: true }, label: { 'team=a': true } })] });
    assert.equal(v.response, undefined);
  });

  it('volumes: the visible ones, warnings kept', async () => {
    const v = allowed(await run({ op: 'VolumeList' }));
    assert.deepEqual(v.response!(j({ ...VOLUMES, Warnings: ['w'] })), j({ Volumes: [VOLUMES.Volumes[0], VOLUMES.Volumes[1]], Warnings: ['w'] }));
    assert.deepEqual(v.response!(j({ Volumes: null, Warnings: null })), j({ Volumes: null, Warnings: null }));
  });
});

describe('visibility: prunes', () => {
  it('are refused when the visible objects are not one exact label', async () => {
    for (const op of ['ContainerPrune', 'NetworkPrune', 'VolumePrune']) expectRule(await run({ op }), 'PC_VISIBILITY_UNSUPPORTED');
    expectRule(await run({ op: 'ContainerPrune' }, { match: 'substring', containers: { labels: ['expose'] } }), 'PC_VISIBILITY_UNSUPPORTED');
  });

  it('are narrowed to the label otherwise, with the client\'s own filters kept', async () => {
    const policy = { containers: { labels: ['expose'] }, networks: { labels: ['team=a'] }, volumes: { labels: ['keep'] } };
    const v = allowed(await run({ op: 'ContainerPrune', query: { filters: [JSON.stringify({ until: ['24h'] })] } }, policy));
    assert.deepEqual(query(v), { filters: [JSON.stringify({ until: { '24h': true }, label: { expose: true } })] });
    assert.deepEqual(query(allowed(await run({ op: 'NetworkPrune' }, policy))), { filters: [JSON.stringify({ label: { 'team=a': true } })] });
    assert.deepEqual(query(allowed(await run({ op: 'VolumePrune' }, policy))), { filters: [JSON.stringify({ label: { keep: true } })] });
  });
});

describe('visibility: system df', () => {
  it('up to API 1.51 the container and volume lists keep the visible entries; images are left alone', async () => {
    const v = allowed(await run({ op: 'SystemDataUsage' }));
    const df = { LayersSize: 1, Images: [{ Id: 'i', Containers: 4 }], Containers: CONTAINERS, Volumes: VOLUMES.Volumes, BuildCache: null };
    const out = v.response!(j(df)) as { Containers: { Id: string }[]; Volumes: { Name: string }[]; Images: unknown };
    assert.deepEqual(out.Containers.map((c) => c.Id), [WEB1, X, WEB2]);
    assert.deepEqual(out.Volumes.map((x) => x.Name), ['data-1', 'kept']);
    assert.deepEqual(out.Images, j(df.Images));
  });

  it('from API 1.52 the usage totals of a restricted kind cannot be narrowed and are left out', async () => {
    const v = allowed(await run({ op: 'SystemDataUsage' }, { containers: { names: ['web*'] } }));
    const df = { ImageUsage: { TotalCount: 2 }, ContainerUsage: { TotalCount: 4, Items: CONTAINERS }, VolumeUsage: { TotalCount: 3 } };
    assert.deepEqual(v.response!(j(df)), j({ ImageUsage: { TotalCount: 2 }, VolumeUsage: { TotalCount: 3 } }));
  });

  it('a policy restricting only networks leaves system df alone', () => {
    assert.equal(createVisibilityInspector(mergeVisibility({ networks: { names: ['x'] } })!).wants(OPERATIONS_BY_ID.get('SystemDataUsage')!), false);
  });
});
