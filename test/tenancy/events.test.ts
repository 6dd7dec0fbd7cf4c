import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonValue } from '../../src/inspect/json-value.js';
import type { Inspector } from '../../src/inspect/types.js';
import { A1, allowed, B1, filtersOf, j, LABEL, queryOf, run, SHARED_NAMES, tenancy } from './helpers.js';

const PREFIX = tenancy();
const PREFIX_SHARED = tenancy({ shared: { labels: ['pub=yes'] } });
const ONE_SHARED = tenancy({ names: 'shared', shared: { labels: ['pub=yes'] } });

/** The event filter of `inspector`'s verdict on a SystemEvents request by alice. */
async function judge(inspector: Inspector): Promise<(ev: unknown) => JsonValue | null> {
  const f = allowed(await run({ op: 'SystemEvents' }, inspector)).events;
  assert.equal(typeof f, 'function');
  return (ev) => f!(j(ev));
}

const containerEvent = (attributes: Record<string, string> | null, extra: Record<string, unknown> = {}) => ({
  Type: 'container',
  Action: 'start',
  Actor: attributes === null ? { ID: A1 } : { ID: A1, Attributes: attributes },
  scope: 'local',
  time: 1,
  timeNano: 1000,
  ...extra,
});

describe('SystemEvents: the query', () => {
  it('with name prefixes: no owner label is pushed; container, network and volume filters get the daemon names beside the client\'s', async () => {
    const given = { container: { web: true }, network: { front: true }, volume: { data: true }, type: { container: true }, label: { 'app=x': true }, event: { start: true } };
    const v = await run({ op: 'SystemEvents', query: { since: ['1'], filters: [JSON.stringify(given)] } }, PREFIX);
    assert.deepEqual(filtersOf(v), {
      ...given,
      container: { web: true, 'alice.web': true },
      network: { front: true, 'alice.front': true },
      volume: { data: true, 'alice.data': true },
    });
    assert.deepEqual(queryOf(v)['since'], ['1']);
    assert.equal(typeof allowed(v).events, 'function');
    assert.equal(allowed(v).response, undefined, 'a stream is never held whole');
  });

  it('with one name space and no shared objects: the owner label is pushed and the daemon does the filtering', async () => {
    const v = await run({ op: 'SystemEvents', query: { filters: ['{"container":["web"]}'] } }, SHARED_NAMES);
    assert.deepEqual(v, { allowed: true, query: new Map([['filters', [JSON.stringify({ container: { web: true }, label: { [`${LABEL}=alice`]: true } })]]]) });
  });

  it('with one name space and shared objects: filters go as given, each event is judged', async () => {
    const v = await run({ op: 'SystemEvents', query: { filters: ['{"container":["web"]}'] } }, ONE_SHARED);
    assert.deepEqual(filtersOf(v), { container: { web: true } });
    assert.equal(typeof allowed(v).events, 'function');
  });
});

describe('SystemEvents: container events', () => {
  it('an own container\'s event shows, its name attribute stripped of the prefix, nothing else changed', async () => {
    const judged = await judge(PREFIX);
    const given = containerEvent({ [LABEL]: 'alice', name: 'alice.web', image: 'busybox' }, { status: 'start', id: A1, from: 'busybox' });
    const before = JSON.stringify(given);
    assert.deepEqual(judged(given), j({ ...given, Actor: { ID: A1, Attributes: { [LABEL]: 'alice', name: 'web', image: 'busybox' } } }));
    assert.equal(JSON.stringify(given), before);
  });

  it('another client\'s, an unowned and an attribute-less container\'s events are dropped', async () => {
    for (const judged of [await judge(PREFIX), await judge(PREFIX_SHARED), await judge(ONE_SHARED)]) {
      assert.equal(judged(containerEvent({ [LABEL]: 'bob', name: 'bob.api' })), null);
      assert.equal(judged(containerEvent({ [LABEL]: 'alice2', name: 'alice2.web' })), null);
      assert.equal(judged(containerEvent({ name: 'alice.web' })), null);
      assert.equal(judged(containerEvent(null)), null);
      assert.equal(judged({ Type: 'container', Action: 'start' }), null);
    }
  });

  it('a shared container\'s event shows as it is; a near-miss of the selector is dropped', async () => {
    for (const judged of [await judge(PREFIX_SHARED), await judge(ONE_SHARED)]) {
      const shared = containerEvent({ [LABEL]: 'bob', pub: 'yes', name: 'bob.cache' });
      assert.deepEqual(judged(shared), j(shared));
      assert.equal(judged(containerEvent({ [LABEL]: 'bob', pub: 'no', name: 'bob.cache' })), null);
      assert.equal(judged(containerEvent({ [LABEL]: 'bob', pubx: 'yes', name: 'bob.cache' })), null);
    }
    // without the selector in the policy, the same event is dropped
    assert.equal((await judge(PREFIX))(containerEvent({ [LABEL]: 'bob', pub: 'yes', name: 'bob.cache' })), null);
  });

  it('with one name space an own container\'s name is left as it is', async () => {
    const own = containerEvent({ [LABEL]: 'alice', name: 'web' });
    assert.deepEqual((await judge(ONE_SHARED))(own), j(own));
  });
});

describe('SystemEvents: network and volume events', () => {
  const networkEvent = (name: string | undefined) => ({
    Type: 'network',
    Action: 'connect',
    Actor: { ID: 'n'.repeat(64), Attributes: name === undefined ? { type: 'bridge', container: A1 } : { name, type: 'bridge', container: A1 } },
    time: 1,
  });
  const volumeEvent = (id: string, extra: Record<string, unknown> = {}) => ({ Type: 'volume', Action: 'create', Actor: { ID: id, Attributes: { driver: 'local' } }, time: 1, ...extra });

  it('a network event in the client\'s name space shows under the client\'s name', async () => {
    const judged = await judge(PREFIX);
    assert.deepEqual(judged(networkEvent('alice.front')), j({ ...networkEvent('front') }));
  });

  it('network events outside the client\'s name space are dropped: other clients\', predefined, unprefixed, nameless', async () => {
    for (const judged of [await judge(PREFIX), await judge(PREFIX_SHARED)]) {
      for (const name of ['bob.front', 'bridge', 'front', 'alice.', 'alice2.front', undefined]) assert.equal(judged(networkEvent(name)), null, String(name));
    }
  });

  it('a volume event in the client\'s name space shows under the client\'s name, the legacy id too', async () => {
    const judged = await judge(PREFIX);
    assert.deepEqual(judged(volumeEvent('alice.data')), j(volumeEvent('data')));
    assert.deepEqual(judged(volumeEvent('alice.data', { id: 'alice.data', status: 'create' })), j(volumeEvent('data', { id: 'data', status: 'create' })));
    // an `id` that is not the actor's is not renamed
    assert.deepEqual(judged(volumeEvent('alice.data', { id: 'other' })), j(volumeEvent('data', { id: 'other' })));
  });

  it('volume events outside the client\'s name space are dropped', async () => {
    const judged = await judge(PREFIX);
    for (const id of ['bob.data', 'data', 'alice.', 'a'.repeat(64)]) assert.equal(judged(volumeEvent(id)), null, id);
    assert.equal(judged({ Type: 'volume', Action: 'create' }), null);
  });

  it('with one name space no network or volume event can be attributed, and none shows', async () => {
    const judged = await judge(ONE_SHARED);
    assert.equal(judged(networkEvent('front')), null);
    assert.equal(judged(networkEvent('alice.front')), null);
    assert.equal(judged(volumeEvent('data')), null);
    assert.equal(judged(volumeEvent('alice.data')), null);
  });
});

describe('SystemEvents: other events', () => {
  it('images, the daemon, plugins, builds, swarm objects and anything unreadable are dropped, even labelled as the client\'s', async () => {
    const judged = await judge(PREFIX_SHARED);
    for (const type of ['image', 'daemon', 'plugin', 'builder', 'node', 'service', 'secret', 'config', 'Container', undefined]) {
      assert.equal(judged({ Type: type, Action: 'x', Actor: { ID: 'alice.x', Attributes: { [LABEL]: 'alice', name: 'alice.x', pub: 'yes' } } }), null, String(type));
    }
    for (const ev of [null, 'x', [containerEvent({ [LABEL]: 'alice' })], 1]) assert.equal(judged(ev), null, JSON.stringify(ev));
  });

  it('the client is who asks: bob sees his container, not alice\'s', async () => {
    const v = allowed(await run({ op: 'SystemEvents', client: 'bob' }, PREFIX)).events!;
    assert.deepEqual(v(j(containerEvent({ [LABEL]: 'bob', name: 'bob.api' }, { id: B1 }))), j(containerEvent({ [LABEL]: 'bob', name: 'api' }, { id: B1 })));
    assert.equal(v(j(containerEvent({ [LABEL]: 'alice', name: 'alice.web' }))), null);
  });
});
