import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrContains, HostnameCache, ipKey, parseIp, parseSourceEntry, SourceError, SourceMatcher, type Cidr } from '../../src/identity/source.js';

function cidr(text: string): Cidr {
  const e = parseSourceEntry(text);
  assert.equal(e.kind, 'cidr');
  return e.kind === 'cidr' ? e.cidr : assert.fail();
}

function ip(text: string) {
  const a = parseIp(text);
  assert.ok(a, text);
  return a;
}

const within = (block: string, address: string) => cidrContains(cidr(block), ip(address));

describe('parseIp', () => {
  it('reads IPv4 and IPv6, with every IPv6 spelling equal', () => {
    assert.deepEqual(ip('10.1.2.3'), { family: 4, bytes: Uint8Array.from([10, 1, 2, 3]) });
    assert.equal(ipKey(ip('::1')), ipKey(ip('0:0:0:0:0:0:0:1')));
    assert.equal(ipKey(ip('2001:db8::1')), ipKey(ip('2001:DB8:0::0:1')));
    assert.equal(ipKey(ip('fe80::1%eth0')), ipKey(ip('fe80::1')));
  });

  it('reads an IPv4-mapped IPv6 address as IPv4', () => {
    assert.deepEqual(ip('::ffff:10.1.2.3'), ip('10.1.2.3'));
    assert.deepEqual(ip('::ffff:a01:203'), ip('10.1.2.3'));
    assert.deepEqual(ip('0:0:0:0:0:FFFF:10.1.2.3'), ip('10.1.2.3'));
    assert.equal(ip('::10.1.2.3').family, 6); // the deprecated "compatible" form is not mapped
  });

  it('refuses what is not an address', () => {
    for (const t of ['', '10.1', '256.1.1.1', '010.1.1.1', '1::2::3', 'example.com', '::ffff:1.2.3', '10.0.0.0/8']) assert.equal(parseIp(t), undefined, t);
  });
});

describe('CIDR blocks', () => {
  it('matches IPv4 blocks', () => {
    assert.ok(within('10.0.0.0/8', '10.255.1.2'));
    assert.ok(!within('10.0.0.0/8', '11.0.0.0'));
    assert.ok(within('192.168.1.128/25', '192.168.1.200'));
    assert.ok(!within('192.168.1.128/25', '192.168.1.127'));
    assert.ok(within('0.0.0.0/0', '203.0.113.9'));
    assert.ok(within('127.0.0.2', '127.0.0.2'));
    assert.ok(!within('127.0.0.2', '127.0.0.1'));
    assert.ok(within('172.16.0.0/12', '172.31.255.255'));
    assert.ok(!within('172.16.0.0/12', '172.32.0.0'));
  });

  it('matches IPv6 blocks', () => {
    assert.ok(within('::1/128', '::1'));
    assert.ok(within('::1', '0::1'));
    assert.ok(!within('::1/128', '::2'));
    assert.ok(within('2001:db8::/32', '2001:db8:ffff::1'));
    assert.ok(!within('2001:db8::/32', '2001:db9::1'));
    assert.ok(within('fd00::/8', 'fdff::1'));
    assert.ok(within('fc00::/7', 'fd12::1'));
    assert.ok(!within('fc00::/7', 'fe00::1'));
    assert.ok(within('fe80::/10', 'fe80::1%eth0'));
  });

  it('reads IPv4-mapped peers and blocks as IPv4', () => {
    assert.ok(within('10.0.0.0/8', '::ffff:10.9.8.7'));
    assert.ok(within('::ffff:10.0.0.0/104', '10.9.8.7'));
    assert.ok(within('::ffff:10.0.0.0/104', '::ffff:10.9.8.7'));
    assert.ok(within('::ffff:127.0.0.1', '127.0.0.1'));
    assert.ok(within('::ffff:0:0/96', '1.2.3.4'));
  });

  it('keeps families apart', () => {
    assert.ok(!within('::/0', '10.0.0.1'));
    assert.ok(!within('::/0', '::ffff:10.0.0.1'));
    assert.ok(within('::/0', '2001:db8::1'));
    assert.ok(!within('0.0.0.0/0', '2001:db8::1'));
    assert.ok(!within('0.0.0.0/0', '::'));
  });

  it('refuses malformed entries with a message', () => {
    const bad: Array<[string, RegExp]> = [
      ['10.0.0.0/33', /at most 32/],
      ['::/129', /at most 128/],
      ['10.0.0.0/', /decimal/],
      ['10.0.0.0/8/8', /decimal/],
      ['10.0.0.0/-1', /decimal/],
      ['10.1.2.3/8', /did you mean 10\.0\.0\.0\/8\?/],
      ['2001:db8::1/32', /did you mean 2001:db8::\/32\?/],
      ['::ffff:10.0.0.0/95', /at least 96/],
      ['10.1/8', /not an IPv4 or IPv6 address/],
      ['fe80::1%eth0', /without a zone/],
      ['fe80::%eth0/10', /no zone/],
      ['1::2::3', /not a valid IPv6 address/],
      ['300.1.1.1', /neither/],
      ['bad_host!', /neither/],
      ['-leading.example', /neither/],
    ];
    for (const [text, re] of bad) assert.throws(() => parseSourceEntry(text), (e: unknown) => e instanceof SourceError && re.test(e.message), text);
  });

  it('reads other entries as hostnames, lower-cased', () => {
    assert.deepEqual(parseSourceEntry('Monitor'), { kind: 'hostname', hostname: 'monitor' });
    assert.deepEqual(parseSourceEntry('my_app-1.example.com.'), { kind: 'hostname', hostname: 'my_app-1.example.com' });
  });
});

/** A resolver whose answers the test sets, and a clock the test moves. */
function fakes() {
  const answers = new Map<string, string[] | Error>();
  const calls: string[] = [];
  let now = 1_000_000;
  const resolve = async (host: string) => {
    calls.push(host);
    const a = answers.get(host);
    if (a === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    if (a instanceof Error) throw a;
    return a;
  };
  return { answers, calls, resolve, clock: { now: () => now, advance: (ms: number) => (now += ms) } };
}

describe('HostnameCache', () => {
  it('resolves at start and matches any of the addresses, mapped or not', async () => {
    const f = fakes();
    f.answers.set('monitor', ['172.18.0.5', 'fd00::5']);
    const cache = new HostnameCache(['monitor'], { resolve: f.resolve, now: f.clock.now });
    await cache.start();
    try {
      assert.ok(cache.has('monitor', ip('172.18.0.5')));
      assert.ok(cache.has('monitor', ip('::ffff:172.18.0.5')));
      assert.ok(cache.has('monitor', ip('fd00:0::5')));
      assert.ok(!cache.has('monitor', ip('172.18.0.6')));
      assert.ok(!cache.has('other', ip('172.18.0.5')));
    } finally {
      cache.close();
    }
  });

  it('follows a changed address on refresh', async () => {
    const f = fakes();
    f.answers.set('app', ['10.0.0.1']);
    const cache = new HostnameCache(['app'], { resolve: f.resolve, now: f.clock.now });
    await cache.refresh();
    assert.ok(cache.has('app', ip('10.0.0.1')));
    f.answers.set('app', ['10.0.0.2']);
    f.clock.advance(5000);
    await cache.refresh();
    assert.ok(!cache.has('app', ip('10.0.0.1')));
    assert.ok(cache.has('app', ip('10.0.0.2')));
  });

  it('keeps the last set for 30 s of failed refreshes, then drops it (fail closed)', async () => {
    const f = fakes();
    const errors: string[] = [];
    f.answers.set('app', ['10.0.0.1']);
    const cache = new HostnameCache(['app'], { resolve: f.resolve, now: f.clock.now, onError: (h) => errors.push(h) });
    await cache.refresh();
    f.answers.set('app', new Error('EAI_AGAIN'));
    for (let t = 5000; t <= 30000; t += 5000) {
      f.clock.advance(5000);
      await cache.refresh();
      assert.ok(cache.has('app', ip('10.0.0.1')), `still kept after ${t} ms`);
    }
    f.clock.advance(1);
    assert.ok(!cache.has('app', ip('10.0.0.1')), 'dropped after 30 s');
    assert.deepEqual(cache.addresses('app'), []);
    assert.equal(errors.length, 6);
    // A later success brings it back.
    f.answers.set('app', ['10.0.0.1']);
    await cache.refresh();
    assert.ok(cache.has('app', ip('10.0.0.1')));
  });

  it('drops the set even when a lookup hangs, and starts a new lookup then', async () => {
    const f = fakes();
    f.answers.set('app', ['10.0.0.1']);
    let hang = false;
    const resolve = (host: string) => (hang ? new Promise<string[]>(() => {}) : f.resolve(host));
    const cache = new HostnameCache(['app'], { resolve, now: f.clock.now });
    await cache.refresh();
    hang = true;
    void cache.refresh();
    f.clock.advance(30001);
    assert.ok(!cache.has('app', ip('10.0.0.1')));
    hang = false;
    await cache.refresh(); // the hung lookup no longer blocks a new one
    assert.ok(cache.has('app', ip('10.0.0.1')));
  });

  it('does not let a slow old answer replace a newer one', async () => {
    const f = fakes();
    let release: (v: string[]) => void = () => {};
    let first = true;
    const resolve = (host: string) => {
      if (first) {
        first = false;
        return new Promise<string[]>((r) => (release = r));
      }
      return f.resolve(host);
    };
    f.answers.set('app', ['10.0.0.2']);
    const cache = new HostnameCache(['app'], { resolve, now: f.clock.now, keepMs: 30000 });
    const slow = cache.refresh();
    f.clock.advance(30001); // the first lookup counts as failed: a new one may start
    await cache.refresh();
    release(['10.0.0.1']);
    await slow;
    assert.ok(cache.has('app', ip('10.0.0.2')));
    assert.ok(!cache.has('app', ip('10.0.0.1')));
  });

  it('survives a failed start (the hostname matches nobody) and refreshes in the background until closed', async (t) => {
    // The refresh period runs on mocked time: each period is one tick, and "no refresh after close" is
    // checked over any number of periods instead of a wall-clock wait.
    t.mock.timers.enable({ apis: ['setInterval'] });
    const f = fakes();
    const cache = new HostnameCache(['late'], { resolve: f.resolve, refreshMs: 20 });
    await cache.start();
    assert.ok(!cache.has('late', ip('10.0.0.9')));
    f.answers.set('late', ['10.0.0.9']);
    const started = f.calls.length;
    t.mock.timers.tick(19);
    assert.equal(f.calls.length, started, 'no refresh before the period has passed');
    t.mock.timers.tick(1);
    assert.equal(f.calls.length, started + 1, 'one refresh per period');
    while (!cache.has('late', ip('10.0.0.9'))) await new Promise((r) => setImmediate(r));
    cache.close();
    t.mock.timers.tick(20 * 50);
    assert.equal(f.calls.length, started + 1, 'no refresh after close');
  });

  it('starts no timer without hostnames; with one it starts exactly one, unref\'d', async (t) => {
    const intervals = t.mock.method(globalThis, 'setInterval');
    const none = new HostnameCache([], {});
    await none.start();
    none.close();
    assert.equal(intervals.mock.callCount(), 0);

    const f = fakes();
    f.answers.set('app', ['10.0.0.1']);
    const one = new HostnameCache(['app'], { resolve: f.resolve, refreshMs: 60_000 });
    await one.start();
    one.close();
    assert.equal(intervals.mock.callCount(), 1);
    assert.equal(intervals.mock.calls[0]!.arguments[1], 60_000);
    assert.equal((intervals.mock.calls[0]!.result as NodeJS.Timeout).hasRef(), false, 'the refresh timer keeps the process alive');
  });

  it('resolves localhost with the system resolver', async () => {
    const cache = new HostnameCache(['localhost']);
    await cache.start();
    cache.close();
    assert.ok(cache.has('localhost', ip('127.0.0.1')) || cache.has('localhost', ip('::1')), cache.addresses('localhost').join());
  });
});

describe('SourceMatcher', () => {
  it('matches CIDRs and hostnames of one source list', async () => {
    const f = fakes();
    f.answers.set('monitor', ['172.18.0.5']);
    const cache = new HostnameCache(['monitor'], { resolve: f.resolve, now: f.clock.now });
    await cache.refresh();
    const m = new SourceMatcher(['127.0.0.2', '10.0.0.0/8', '::1/128', 'monitor'].map(parseSourceEntry));
    assert.deepEqual(m.hostnameList, ['monitor']);
    for (const yes of ['127.0.0.2', '::ffff:127.0.0.2', '10.3.3.3', '::1', '172.18.0.5']) assert.ok(m.matches(ip(yes), cache), yes);
    for (const no of ['127.0.0.1', '11.0.0.1', '::2', '172.18.0.6']) assert.ok(!m.matches(ip(no), cache), no);
  });
});
