import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { j } from '../policy/constraints/helpers.js';
import type { JsonValue } from '../../src/inspect/json-value.js';
import { createdNanos, confirmContainerQuota } from '../../src/tenancy/quota.js';
import { Names } from '../../src/tenancy/names.js';
import type { Owner } from '../../src/tenancy/visible.js';
import { allowed, daemon, LABEL, run, tenancy } from './helpers.js';

const id = (n: number): string => n.toString(16).padStart(64, '0');

/**
 * A daemon holding alice's containers: `[id, created RFC 3339]`. DELETE removes one; `before` runs
 * before each list so a test can change what the next look sees.
 */
function fakeDaemon(containers: [string, string][], before: (list: number) => void = () => {}) {
  const live = new Map(containers);
  const deleted: string[] = [];
  let lists = 0;
  const lookup = async (path: string, method: 'GET' | 'DELETE' = 'GET'): Promise<{ status: number; body: JsonValue | null }> => {
    if (method === 'DELETE') {
      const target = /^\/containers\/([0-9a-f]{64})\?force=1&v=1$/.exec(path)?.[1];
      assert.ok(target !== undefined, path);
      deleted.push(target);
      return live.delete(target) ? { status: 204, body: null } : { status: 404, body: null };
    }
    if (path.startsWith('/containers/json?all=1&filters=')) {
      before(lists++);
      return { status: 200, body: j([...live].map(([Id, c]) => ({ Id, Created: Math.floor(Date.parse(c) / 1000) }))) };
    }
    const one = /^\/containers\/([0-9a-f]{64})\/json$/.exec(path)?.[1];
    if (one !== undefined && live.has(one)) return { status: 200, body: j({ Id: one, Created: live.get(one) }) };
    return { status: 404, body: null };
  };
  const owner: Owner = { label: LABEL, client: 'alice', lookup, names: new Names('alice', 'prefix'), shared: [] };
  return { owner, live, deleted };
}

const created = (cid: string) => ({ status: 201, body: j({ Id: cid, Warnings: [] }) });

describe('tenancy: the container quota confirm', () => {
  it('reads Go\'s RFC 3339 with nanoseconds, however many digits', () => {
    assert.equal(createdNanos('2026-12-04T17:30:00Z'), 1796405400n * 1_000_000_000n);
    assert.equal(createdNanos('2026-12-04T17:30:00.5Z'), 1796405400n * 1_000_000_000n + 500_000_000n);
    assert.equal(createdNanos('2026-12-04T17:30:00.000000001Z'), 1796405400n * 1_000_000_000n + 1n);
    for (const bad of ['2026-12-04T17:30:00+01:00', '2026-12-04 17:30:00Z', '2026-12-04T17:30:00.1234567890Z', 7]) assert.equal(createdNanos(j(bad)), null);
  });

  it('keeps a container while the owner has at most the quota', async () => {
    const d = fakeDaemon([[id(1), '2026-12-04T17:30:00.1Z'], [id(2), '2026-12-04T17:30:00.2Z']]);
    assert.deepEqual(await confirmContainerQuota(d.owner, 2)(created(id(2))), { ok: true });
    assert.deepEqual(d.deleted, []);
  });

  it('removes and refuses a container with at least the quota ahead of it, by nanoseconds within one second, then by ID', async () => {
    const d = fakeDaemon([
      [id(3), '2026-12-04T17:30:00.3Z'],
      [id(1), '2026-12-04T17:29:59.9Z'],
      [id(2), '2026-12-04T17:30:00.3Z'],
    ]);
    const v = await confirmContainerQuota(d.owner, 2)(created(id(3)));
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.rule, 'PC_QUOTA_CONTAINERS');
    assert.equal(!v.ok && v.status, 403);
    assert.deepEqual(d.deleted, [id(3)]);
    assert.deepEqual([...d.live.keys()].sort(), [id(1), id(2)]);
  });

  it('a container ahead in order waits for the later ones to give way, then keeps', async () => {
    // id(1) is first; id(2) and id(3) came after and over the quota of 1; they leave on the second look.
    const d = fakeDaemon(
      [[id(1), '2026-12-04T17:30:00.1Z'], [id(2), '2026-12-04T17:30:00.2Z'], [id(3), '2026-12-04T17:30:00.3Z']],
      (list) => {
        if (list === 2) {
          d.live.delete(id(2));
          d.live.delete(id(3));
        }
      },
    );
    assert.deepEqual(await confirmContainerQuota(d.owner, 1)(created(id(1))), { ok: true });
    assert.deepEqual(d.deleted, []);
  });

  it('answers other than 201 created nothing and pass; a container its client removed meanwhile passes', async () => {
    const d = fakeDaemon([[id(1), '2026-12-04T17:30:00.1Z'], [id(2), '2026-12-04T17:30:00.2Z']]);
    assert.deepEqual(await confirmContainerQuota(d.owner, 1)({ status: 409, body: j({ message: 'Conflict' }) }), { ok: true });
    assert.deepEqual(await confirmContainerQuota(d.owner, 1)(created(id(9))), { ok: true });
    assert.deepEqual(d.deleted, []);
  });

  it('a confirm that cannot finish removes the container and refuses', async () => {
    // The same second in the list, but a creation time with an offset, which Go's UTC times never have.
    const d = fakeDaemon([[id(1), '2026-12-04T17:30:00.1+00:00'], [id(2), '2026-12-04T17:30:00.2Z']]);
    const v = await confirmContainerQuota(d.owner, 1)(created(id(2)));
    assert.equal(!v.ok && v.rule, 'PC_INSPECT_FAILED');
    assert.deepEqual(d.deleted, [id(2)]);
    const noId = await confirmContainerQuota(d.owner, 1)({ status: 201, body: j({}) });
    assert.equal(!noId.ok && noId.rule, 'PC_INSPECT_FAILED');
  });

  it('ContainerCreate under a quota carries the confirm; without a quota it does not', async () => {
    const lookup = daemon();
    const withQuota = allowed(await run({ op: 'ContainerCreate', body: { Image: 'i' }, lookup }, tenancy({ quotas: { containers: 9 } })));
    assert.equal(typeof withQuota.confirm, 'function');
    assert.equal(allowed(await run({ op: 'ContainerCreate', body: { Image: 'i' }, lookup })).confirm, undefined);
  });
});
