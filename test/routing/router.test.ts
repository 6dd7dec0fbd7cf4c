import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OPERATIONS } from '../../src/catalogue/operations.js';
import type { ErrorCode } from '../../src/errors.js';
import { retarget, route, type RouteMatch } from '../../src/routing/router.js';
import { canonicalApiVersion, compareApiVersions, parseApiVersion } from '../../src/routing/version.js';

function ok(method: string, target: string, opts?: { minVersion?: string }): RouteMatch {
  const r = route(method, target, opts);
  if (!r.ok) assert.fail(`${method} ${target} refused: ${r.code} ${r.reason}`);
  return r.match;
}

function refused(method: string, target: string, code: ErrorCode, opts?: { minVersion?: string }): string {
  const r = route(method, target, opts);
  if (r.ok) assert.fail(`${method} ${target} routed to ${r.match.op.id}`);
  assert.equal(r.code, code, `${method} ${target}: ${r.reason}`);
  return r.reason;
}

function queryOf(m: RouteMatch): Record<string, string[]> {
  return Object.fromEntries(m.query);
}

describe('version prefix', () => {
  test('is optional', () => {
    const m = ok('GET', '/containers/json');
    assert.equal(m.op.id, 'ContainerList');
    assert.equal(m.version, null);
    assert.equal(m.path, '/containers/json');
    assert.equal(m.target, '/containers/json');
  });

  test('is canonicalised: 1.41, 1.41.0 and 01.041 are the same version', () => {
    for (const prefix of ['/v1.41', '/v1.41.0', '/v01.041', '/v1.41.0.0', '/v001.41.00']) {
      const m = ok('GET', `${prefix}/containers/json`);
      assert.equal(m.op.id, 'ContainerList');
      assert.equal(m.version, '1.41');
      assert.equal(m.path, '/containers/json');
      assert.equal(m.target, '/v1.41/containers/json');
    }
  });

  test('keeps major.minor when the minor is zero', () => {
    assert.equal(ok('GET', '/v2.0/_ping').version, '2.0');
    assert.equal(ok('GET', '/v2.0.0/_ping').target, '/v2.0/_ping');
  });

  test('below the floor is refused, the floor itself accepted', () => {
    assert.match(refused('GET', '/v1.23/containers/json', 'PC_API_VERSION'), /below the minimum 1\.24/);
    refused('GET', '/v1.9/_ping', 'PC_API_VERSION');
    refused('GET', '/v0.99/_ping', 'PC_API_VERSION');
    assert.equal(ok('GET', '/v1.24/_ping').version, '1.24');
    assert.equal(ok('GET', '/v1.24.0/_ping').version, '1.24');
  });

  test('the floor is configurable and compared numerically', () => {
    refused('GET', '/v1.40/_ping', 'PC_API_VERSION', { minVersion: '1.41' });
    assert.equal(ok('GET', '/v1.41/_ping', { minVersion: '1.41' }).version, '1.41');
    assert.equal(ok('GET', '/v1.100/_ping', { minVersion: '1.41' }).version, '1.100');
    assert.equal(ok('GET', '/_ping', { minVersion: '1.41' }).version, null);
    // results cached for one floor are not reused for another
    assert.equal(route('GET', '/v1.30/_ping').ok, true);
    refused('GET', '/v1.30/_ping', 'PC_API_VERSION', { minVersion: '1.41' });
    assert.equal(route('GET', '/v1.30/_ping').ok, true);
  });

  test('an invalid floor throws', () => {
    assert.throws(() => route('GET', '/_ping', { minVersion: '1..4' }), /invalid minimum API version/);
  });

  test('malformed versions are refused instead of read as zeros', () => {
    for (const v of ['1..41', '.41', '1.', '.', '..', '1.41.', '1234567.0', '1.1234567']) {
      refused('GET', `/v${v}/containers/json`, 'PC_API_VERSION');
    }
  });

  test('is found after percent-decoding, as dockerd finds it', () => {
    const m = ok('GET', '/%761.41/containers/json');
    assert.equal(m.version, '1.41');
    assert.equal(m.target, '/v1.41/containers/json');
  });

  test('is not a route by itself, and is not taken twice', () => {
    refused('GET', '/v1.41', 'PC_UNKNOWN_ENDPOINT');
    refused('GET', '/v1.41/v1.41/_ping', 'PC_UNKNOWN_ENDPOINT');
    refused('GET', '/v/_ping', 'PC_UNKNOWN_ENDPOINT');
    refused('GET', '/v1.41a/_ping', 'PC_UNKNOWN_ENDPOINT');
    refused('GET', '/V1.41/_ping', 'PC_UNKNOWN_ENDPOINT');
  });
});

describe('request target form', () => {
  test('absolute-form, authority-form, asterisk and empty targets are refused', () => {
    for (const t of ['http://docker/containers/json', 'docker:2375', '*', '', 'containers/json']) {
      refused('GET', t, 'PC_BAD_TARGET');
    }
  });

  test('a fragment is refused', () => {
    refused('GET', '/containers/json#x', 'PC_BAD_TARGET');
    refused('GET', '/containers/json?a=1#x', 'PC_BAD_TARGET');
  });
});

describe('path canonicalisation', () => {
  test('trailing slashes are refused', () => {
    refused('GET', '/containers/json/', 'PC_BAD_PATH');
    refused('GET', '/volumes/', 'PC_BAD_PATH');
    refused('GET', '/networks/', 'PC_BAD_PATH');
    refused('GET', '/', 'PC_BAD_PATH');
    refused('GET', '/v1.41/', 'PC_BAD_PATH');
  });

  test('empty segments are refused, encoded or not', () => {
    refused('GET', '//containers/json', 'PC_BAD_PATH');
    refused('GET', '/containers//json', 'PC_BAD_PATH');
    refused('GET', '/images/a%2F/json', 'PC_BAD_PATH');
    refused('GET', '/images/%2Fa/json', 'PC_BAD_PATH');
  });

  test('dot segments are refused, encoded or not', () => {
    for (const t of [
      '/containers/../images/json',
      '/containers/./json',
      '/containers/%2e%2e/images/json',
      '/containers/%2E/json',
      '/images/a%2F..%2Fb/json',
      '/v1.41/../_ping',
      '/images/..',
    ]) {
      refused('GET', t, 'PC_BAD_PATH');
    }
  });

  test('segments that merely contain dots are fine', () => {
    assert.deepEqual(ok('GET', '/images/a..b/json').params, { name: 'a..b' });
    assert.deepEqual(ok('GET', '/images/.a/json').params, { name: '.a' });
    assert.deepEqual(ok('GET', '/images/.../json').params, { name: '...' });
  });

  test('invalid percent-encoding is refused', () => {
    for (const t of ['/containers/%zz/json', '/containers/%/json', '/containers/a%2/json', '/containers/%C3%28/json', '/containers/%FF/json']) {
      refused('GET', t, 'PC_BAD_PATH');
    }
  });

  test('control characters are refused, raw or encoded', () => {
    for (const t of ['/containers/%00/json', '/containers/a%0Ab/json', '/containers/%7F/json', '/containers/%C2%85/json']) {
      refused('GET', t, 'PC_BAD_PATH');
    }
    refused('GET', '/containers/a\x00b/json', 'PC_BAD_PATH');
    refused('GET', '/containers/a b/json', 'PC_BAD_PATH');
  });

  test('raw non-ASCII must arrive percent-encoded', () => {
    refused('GET', '/containers/\u00e9/json', 'PC_BAD_PATH');
    const m = ok('GET', '/containers/%C3%A9/json');
    assert.deepEqual(m.params, { id: '\u00e9' });
    assert.equal(m.target, '/containers/%C3%A9/json');
  });

  test('no case folding', () => {
    refused('GET', '/Containers/json', 'PC_UNKNOWN_ENDPOINT');
    refused('GET', '/containers/JSON', 'PC_UNKNOWN_ENDPOINT');
    assert.deepEqual(ok('GET', '/containers/JSON/json').params, { id: 'JSON' });
  });
});

describe('matching in dockerd registration order', () => {
  test('literal routes registered first win over parameter routes', () => {
    assert.equal(ok('GET', '/containers/json').op.id, 'ContainerList');
    assert.equal(ok('GET', '/images/json').op.id, 'ImageList');
    assert.equal(ok('GET', '/images/get').op.id, 'ImageGetAll');
    assert.equal(ok('GET', '/images/search').op.id, 'ImageSearch');
  });

  test('names with slashes: ImageInspect of library/busybox:latest', () => {
    const m = ok('GET', '/images/library/busybox:latest/json');
    assert.equal(m.op.id, 'ImageInspect');
    assert.deepEqual(m.params, { name: 'library/busybox:latest' });
    assert.equal(m.path, '/images/library/busybox:latest/json');
    assert.equal(m.target, '/images/library/busybox:latest/json');
  });

  test('an encoded slash is a slash to dockerd', () => {
    const m = ok('GET', '/images/library%2Fbusybox/json');
    assert.deepEqual(m.params, { name: 'library/busybox' });
    assert.equal(m.target, '/images/library/busybox/json');
  });

  test('/images/foo/json/get is ImageGet of foo/json: /get is registered before /json', () => {
    const m = ok('GET', '/images/foo/json/get');
    assert.equal(m.op.id, 'ImageGet');
    assert.deepEqual(m.params, { name: 'foo/json' });
    const h = ok('GET', '/images/foo/get/history');
    assert.equal(h.op.id, 'ImageHistory');
    assert.deepEqual(h.params, { name: 'foo/get' });
  });

  test('greedy .* parameters take the longest prefix', () => {
    assert.deepEqual(ok('GET', '/images/a/json/json').params, { name: 'a/json' });
    assert.deepEqual(ok('POST', '/containers/a/start/start').params, { id: 'a/start' });
  });

  test('DELETE: checkpoint router is registered before the container router', () => {
    const c = ok('DELETE', '/containers/c1/checkpoints/k1');
    assert.equal(c.op.id, 'CheckpointDelete');
    assert.deepEqual(c.params, { id: 'c1', checkpoint: 'k1' });
    // {name} in the checkpoint route is [^/]+, so a slashed name falls through to ContainerDelete
    const d = ok('DELETE', '/containers/a/b/checkpoints/k1');
    assert.equal(d.op.id, 'ContainerDelete');
    assert.deepEqual(d.params, { id: 'a/b/checkpoints/k1' });
    assert.equal(ok('DELETE', '/containers/abc').op.id, 'ContainerDelete');
    assert.deepEqual(ok('DELETE', '/containers/abc').params, { id: 'abc' });
  });

  test('swarm routes take single-segment ids', () => {
    assert.deepEqual(ok('GET', '/services/s1').params, { id: 's1' });
    refused('GET', '/services/a/b', 'PC_UNKNOWN_ENDPOINT');
    assert.equal(ok('GET', '/services/s1/logs').op.id, 'ServiceLogs');
    assert.equal(ok('GET', '/tasks/t1/logs').op.id, 'TaskLogs');
    refused('GET', '/nodes/a/b', 'PC_UNKNOWN_ENDPOINT');
  });

  test('volume and network names may hold slashes', () => {
    assert.deepEqual(ok('GET', '/volumes/a/b').params, { name: 'a/b' });
    assert.equal(ok('GET', '/volumes/create').op.id, 'VolumeInspect');
    assert.equal(ok('POST', '/volumes/create').op.id, 'VolumeCreate');
    assert.deepEqual(ok('GET', '/networks/a/b').params, { id: 'a/b' });
    assert.equal(ok('GET', '/networks/prune').op.id, 'NetworkInspect');
    assert.equal(ok('POST', '/networks/prune').op.id, 'NetworkPrune');
  });

  test('plugin inspect is registered before privileges', () => {
    assert.equal(ok('GET', '/plugins/privileges').op.id, 'GetPluginPrivileges');
    assert.deepEqual(ok('GET', '/plugins/privileges/json').params, { name: 'privileges' });
    assert.equal(ok('GET', '/plugins/vieux/sshfs:latest/json').params.name, 'vieux/sshfs:latest');
  });

  test('HEAD only where dockerd registers HEAD', () => {
    assert.equal(ok('HEAD', '/_ping').op.id, 'SystemPingHead');
    assert.equal(ok('GET', '/_ping').op.id, 'SystemPing');
    assert.equal(ok('HEAD', '/containers/x/archive').op.id, 'ContainerArchiveInfo');
    assert.equal(ok('GET', '/containers/x/archive').op.id, 'ContainerArchive');
    assert.equal(ok('PUT', '/containers/x/archive').op.id, 'PutContainerArchive');
    refused('HEAD', '/containers/json', 'PC_UNKNOWN_ENDPOINT');
    refused('HEAD', '/version', 'PC_UNKNOWN_ENDPOINT');
  });

  test('methods are exact', () => {
    assert.match(refused('get', '/containers/json', 'PC_UNKNOWN_ENDPOINT'), /unknown endpoint get \/containers\/json/);
    refused('POST', '/containers/json', 'PC_UNKNOWN_ENDPOINT');
    refused('OPTIONS', '/containers/json', 'PC_UNKNOWN_ENDPOINT');
    refused('PATCH', '/containers/x/update', 'PC_UNKNOWN_ENDPOINT');
  });

  test('unknown endpoints name the method and path', () => {
    assert.equal(refused('GET', '/foo', 'PC_UNKNOWN_ENDPOINT'), 'unknown endpoint GET /foo');
    refused('GET', '/debug/pprof/heap', 'PC_UNKNOWN_ENDPOINT');
    refused('POST', '/containers/x/logs/clear', 'PC_UNKNOWN_ENDPOINT');
  });

  test('routes outside the spec', () => {
    assert.equal(ok('POST', '/session').op.id, 'Session');
    assert.equal(ok('POST', '/grpc').op.id, 'GRPC');
    assert.equal(ok('POST', '/build/cancel?id=x').op.id, 'BuildCancel');
    assert.equal(ok('GET', '/containers/c/checkpoints').op.id, 'CheckpointList');
    assert.equal(ok('POST', '/containers/c/checkpoints').op.id, 'CheckpointCreate');
    assert.equal(ok('GET', '/containers/c/attach/ws').op.id, 'ContainerAttachWebsocket');
  });

  test('every catalogued operation is reachable at its own path, with and without a version', () => {
    for (const op of OPERATIONS) {
      const concrete = op.path.replace(/\{(\w+)\}/g, 'p-$1');
      for (const prefix of ['', '/v1.56']) {
        const m = ok(op.method, prefix + concrete);
        assert.equal(m.op.id, op.id, `${op.method} ${prefix}${concrete}`);
        for (const name of op.path.matchAll(/\{(\w+)\}/g)) assert.equal(m.params[name[1] as string], `p-${name[1]}`);
      }
    }
  });
});

describe('query', () => {
  test('is read like Go url.ParseQuery', () => {
    const m = ok('GET', '/containers/json?all=1&filters=%7B%22status%22%3A%5B%22running%22%5D%7D&size');
    assert.deepEqual(queryOf(m), { all: ['1'], filters: ['{"status":["running"]}'], size: [''] });
  });

  test("'+' is a space, %2B a plus", () => {
    const m = ok('GET', '/images/search?term=a+b%2Bc');
    assert.deepEqual(queryOf(m), { term: ['a b+c'] });
    assert.equal(m.target, '/images/search?term=a+b%2Bc');
  });

  test('repeated keys keep all values in order; empty pairs are skipped', () => {
    const m = ok('POST', '/containers/x/kill?signal=HUP&&signal=KILL&');
    assert.deepEqual(queryOf(m), { signal: ['HUP', 'KILL'] });
    assert.equal(m.target, '/containers/x/kill?signal=HUP&signal=KILL');
  });

  test('only the first = splits key and value', () => {
    assert.deepEqual(queryOf(ok('GET', '/containers/json?a=b=c')), { a: ['b=c'] });
  });

  test('a semicolon anywhere is refused, an encoded one is data', () => {
    refused('POST', '/containers/x/kill?signal=HUP;signal=KILL', 'PC_BAD_QUERY');
    refused('GET', '/containers/json?a;b', 'PC_BAD_QUERY');
    assert.deepEqual(queryOf(ok('GET', '/containers/json?a=%3B')), { a: [';'] });
  });

  test('invalid escapes are refused', () => {
    refused('GET', '/containers/json?a=%zz', 'PC_BAD_QUERY');
    refused('GET', '/containers/json?a%=1', 'PC_BAD_QUERY');
    refused('GET', '/containers/json?a=%FF', 'PC_BAD_QUERY');
  });

  test('raw non-ASCII or spaces are refused', () => {
    refused('GET', '/containers/json?a=\u00e9', 'PC_BAD_QUERY');
    refused('GET', '/containers/json?a=b c', 'PC_BAD_QUERY');
  });

  test('an empty query is dropped from the target', () => {
    assert.equal(ok('GET', '/containers/json?').target, '/containers/json');
    assert.equal(ok('GET', '/containers/json?&&').target, '/containers/json');
    assert.equal(ok('GET', '/containers/json?').query.size, 0);
  });

  test('a query cannot smuggle path or version changes', () => {
    const m = ok('GET', '/v1.41/containers/json?x=/../images/json');
    assert.equal(m.op.id, 'ContainerList');
    assert.deepEqual(queryOf(m), { x: ['/../images/json'] });
  });
});

describe('forwarded target', () => {
  test('re-encodes segment-wise and round-trips', () => {
    for (const [method, target] of [
      ['GET', '/v1.41.0/images/library%2fbusybox%3alatest/json?a=%20x&b=%E2%9C%93'],
      ['GET', '/images/sha256%3Aabc/json'],
      ['GET', '/containers/%C3%A9%20x%3F%23/json?q=a%26b%3Dc'],
      ['DELETE', '/images/reg.io:5000/a/b@sha256:00ff'],
      ['POST', '/images/a%25b/tag?repo=x%2By&tag=1'],
    ] as const) {
      const first = ok(method, target);
      const second = ok(method, first.target);
      assert.equal(second.target, first.target, target);
      assert.equal(second.op.id, first.op.id);
      assert.deepEqual(second.params, first.params);
      assert.equal(second.path, first.path);
      assert.deepEqual(queryOf(second), queryOf(first));
    }
  });

  test('keeps the characters of image references readable', () => {
    assert.equal(ok('DELETE', '/images/reg.io:5000/a/b@sha256:00ff').target, '/images/reg.io:5000/a/b@sha256:00ff');
    assert.equal(ok('GET', '/images/library%2fbusybox%3alatest/json').target, '/images/library/busybox:latest/json');
    assert.equal(ok('GET', '/containers/%C3%A9%20x%3F%23/json').target, '/containers/%C3%A9%20x%3F%23/json');
    assert.equal(ok('GET', '/containers/a%25b/json').target, '/containers/a%25b/json');
    assert.equal(ok('GET', '/images/a%3Bb/json').target, '/images/a%3Bb/json');
  });

  test('a repeated target is served from the cache, with the same answer', () => {
    const target = '/v1.41/containers/cache-test/json?size=1';
    const first = route('GET', target);
    const second = route('GET', target);
    const third = route('GET', target);
    assert.deepEqual(second, first);
    assert.equal(third, second);
    assert.notEqual(route('POST', target), third);
  });

  test('results are frozen', () => {
    const m = ok('GET', '/images/x/json?a=1');
    assert.ok(Object.isFrozen(m));
    assert.ok(Object.isFrozen(m.params));
  });
});

describe('version helpers', () => {
  test('parse, compare and canonicalise like dockerd, minus the silent zeros', () => {
    assert.deepEqual(parseApiVersion('1.41'), [1, 41]);
    assert.deepEqual(parseApiVersion('01.041.0'), [1, 41, 0]);
    assert.equal(parseApiVersion(''), null);
    assert.equal(parseApiVersion('1.x'), null);
    assert.equal(parseApiVersion('1.-1'), null);
    assert.equal(compareApiVersions([1, 41], [1, 41, 0]), 0);
    assert.ok(compareApiVersions([1, 9], [1, 10]) < 0);
    assert.ok(compareApiVersions([2], [1, 99]) > 0);
    assert.equal(canonicalApiVersion([1, 41, 0, 0]), '1.41');
    assert.equal(canonicalApiVersion([1, 0]), '1.0');
    assert.equal(canonicalApiVersion([1, 41, 2]), '1.41.2');
  });
});

describe('retarget', () => {
  const routed = (method: string, target: string) => {
    const r = route(method, target);
    assert.ok(r.ok);
    return r.match;
  };

  test('replaces a path parameter and keeps the version prefix and the query', () => {
    const m = routed('POST', '/v1.41.0/containers/we/start?detachKeys=ctrl-x');
    assert.equal(retarget(m, { id: 'f'.repeat(64) }), `/v1.41/containers/${'f'.repeat(64)}/start?detachKeys=ctrl-x`);
    assert.equal(retarget(routed('GET', '/containers/we/json'), { id: 'abc' }), '/containers/abc/json');
  });

  test('refuses a replacement that would route elsewhere or read back differently', () => {
    // swarm routes take one segment: a slash would make another path
    assert.equal(retarget(routed('GET', '/v1.41/services/s1'), { id: 'a/b' }), null);
    const m = routed('POST', '/v1.41/exec/e1/start');
    assert.equal(retarget(m, { id: '' }), null);
    assert.equal(retarget(m, { id: '..' }), null);
  });
});

describe('retarget with a new query', () => {
  test('replaces the query in its canonical spelling', () => {
    const r = route('GET', '/v1.41/containers/json?all=1&filters=%7B%7D');
    assert.ok(r.ok);
    const q = new Map([['all', ['1']], ['filters', ['{"label":["o=alice"]}']]]);
    assert.equal(retarget(r.match, {}, q), '/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22o%3Dalice%22%5D%7D');
    const again = route('GET', retarget(r.match, {}, q)!);
    assert.ok(again.ok);
    assert.deepEqual(again.match.query, q);
  });
});
