import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonValue } from '../../src/inspect/json-value.js';
import { allowed, daemon, DB1, enc, j, N1, run, WEB1, X } from './helpers.js';

const ev = (Type: string | undefined, ID: string, Attributes: Record<string, string>, Action = 'start'): JsonValue =>
  j({ ...(Type === undefined ? {} : { Type }), Action, Actor: { ID, Attributes }, time: 1 });

async function filter(policy?: Parameters<typeof run>[1], lookup = daemon()): Promise<(e: JsonValue) => JsonValue | null> {
  const v = allowed(await run({ op: 'SystemEvents', lookup }, policy));
  assert.ok(v.events, 'an events filter');
  assert.equal(v.response, undefined);
  return v.events;
}

describe('visibility: the events stream', () => {
  it('container events pass for visible containers, by name or label, and are dropped for hidden ones', async () => {
    const f = await filter();
    const web = ev('container', WEB1, { name: 'web1', image: 'busybox' });
    assert.equal(f(web), web);
    const x = ev('container', X, { name: 'x', image: 'busybox', expose: 'yes' });
    assert.equal(f(x), x);
    assert.equal(f(ev('container', DB1, { name: 'db1', image: 'busybox' })), null);
    assert.equal(f(ev('container', DB1, { name: 'db1', image: 'busybox', expose: 'no' }, 'die')), null);
  });

  it('attributes dockerd sets itself are not taken for labels', async () => {
    const f = await filter({ containers: { labels: ['exitCode', 'image=busybox', 'name'] } });
    assert.equal(f(ev('container', DB1, { name: 'db1', image: 'busybox', exitCode: '0' }, 'die')), null);
    const labelled = ev('container', DB1, { name: 'db1', image: 'busybox', other: 'x', exitCode: '0' }, 'die');
    const pushed = `/containers/json?all=1&filters=${enc({ label: { 'other=x': true } })}`;
    const g = await filter({ containers: { labels: ['other=x'] } }, daemon({ [pushed]: { status: 200, body: [] } }));
    assert.equal(g(labelled), labelled);
  });

  it('network events pass by the network\'s name; those naming a hidden container are dropped', async () => {
    const f = await filter();
    const connect = ev('network', N1, { name: 'app-net', type: 'bridge', container: WEB1 }, 'connect');
    assert.equal(f(connect), connect);
    assert.equal(f(ev('network', N1, { name: 'app-net', type: 'bridge', container: DB1 }, 'connect')), null);
    assert.equal(f(ev('network', 'n9', { name: 'secret-net', type: 'bridge' }, 'create')), null);
  });

  it('volume events pass by the volume\'s name only: they carry no labels', async () => {
    const f = await filter();
    const mount = ev('volume', 'data-1', { driver: 'local', container: WEB1 }, 'mount');
    assert.equal(f(mount), mount);
    assert.equal(f(ev('volume', 'data-1', { driver: 'local', container: DB1 }, 'mount')), null);
    assert.equal(f(ev('volume', 'kept', { driver: 'local' }, 'create')), null);
    assert.equal(f(ev('volume', 'secret', { driver: 'local' }, 'create')), null);
  });

  it('containers seen visible in the stream count for later events naming them; one renamed out of sight stops counting', async () => {
    const WEB9 = 'a9' + '0'.repeat(62);
    const f = await filter();
    const connect = ev('network', N1, { name: 'app-net', container: WEB9 }, 'connect');
    assert.equal(f(connect), null);
    assert.notEqual(f(ev('container', WEB9, { name: 'web9' }, 'create')), null);
    assert.equal(f(connect), connect);
    assert.equal(f(ev('container', WEB9, { name: 'db9', oldName: '/web9' }, 'rename')), null);
    assert.equal(f(connect), null);
  });

  it('other event types pass; an event without a type does not', async () => {
    const f = await filter();
    for (const type of ['image', 'plugin', 'daemon', 'builder']) {
      const e = ev(type, 'sha256:1', { name: 'busybox' });
      assert.equal(f(e), e);
    }
    assert.equal(f(ev(undefined, DB1, { name: 'db1' })), null);
  });

  it('kinds that are not restricted pass; with containers unrestricted nothing is looked up', async () => {
    const lookup = daemon();
    const v = allowed(await run({ op: 'SystemEvents', lookup }, { volumes: { names: ['data-*'] } }));
    assert.deepEqual(lookup.calls, []);
    const db = ev('container', DB1, { name: 'db1' });
    assert.equal(v.events!(db), db);
    const net = ev('network', N1, { name: 'secret-net', container: DB1 }, 'connect');
    assert.equal(v.events!(net), net);
  });
});
