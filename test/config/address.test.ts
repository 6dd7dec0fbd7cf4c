import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AddressError, formatAddress, parseAddress, sameAddress, type Address } from '../../src/config/address.js';

describe('parseAddress', () => {
  it('reads IPv4, bracketed IPv6 and hostnames', () => {
    assert.deepEqual(parseAddress('tcp://127.0.0.1:2375', 'connect'), { kind: 'tcp', host: '127.0.0.1', port: 2375 });
    assert.deepEqual(parseAddress('tcp://[::1]:2375', 'connect'), { kind: 'tcp', host: '::1', port: 2375 });
    assert.deepEqual(parseAddress('tcp://[fe80::1:2]:1', 'connect'), { kind: 'tcp', host: 'fe80::1:2', port: 1 });
    assert.deepEqual(parseAddress('tcp://docker-proxy.internal:2376', 'connect'), {
      kind: 'tcp',
      host: 'docker-proxy.internal',
      port: 2376,
    });
    assert.deepEqual(parseAddress('tcp://socket_proxy:2375', 'connect'), { kind: 'tcp', host: 'socket_proxy', port: 2375 });
    assert.deepEqual(parseAddress('TCP://localhost:65535', 'connect'), { kind: 'tcp', host: 'localhost', port: 65535 });
  });

  it('reads unix socket paths', () => {
    assert.deepEqual(parseAddress('unix:///var/run/docker.sock', 'connect'), { kind: 'unix', path: '/var/run/docker.sock' });
    assert.deepEqual(parseAddress('unix:///run/my proxy.sock', 'listen'), { kind: 'unix', path: '/run/my proxy.sock' });
  });

  it('accepts port 0 for listeners only', () => {
    assert.deepEqual(parseAddress('tcp://127.0.0.1:0', 'listen'), { kind: 'tcp', host: '127.0.0.1', port: 0 });
    assert.throws(() => parseAddress('tcp://127.0.0.1:0', 'connect'), /port 0 is out of range 1\.\.65535/);
  });

  const bad: [string, RegExp][] = [
    ['127.0.0.1:2375', /expected tcp:\/\/HOST:PORT or unix:\/\/\/PATH/],
    ['', /expected tcp:\/\/HOST:PORT/],
    ['http://127.0.0.1:2375', /unsupported scheme "http"/],
    ['npipe:////./pipe/docker_engine', /unsupported scheme "npipe"/],
    ['tcp://127.0.0.1', /a port is required/],
    ['tcp://:2375', /a host is required/],
    ['tcp://127.0.0.1:65536', /port 65536 is out of range/],
    ['tcp://127.0.0.1:-1', /decimal number/],
    ['tcp://127.0.0.1:http', /decimal number/],
    ['tcp://127.0.0.1:2375/v1.45', /no path, query or fragment/],
    ['tcp://999.1.1.1:2375', /neither an IPv4 address nor a valid hostname/],
    ['tcp://bad host:2375', /neither an IPv4 address nor a valid hostname/],
    ['tcp://-lead.example:2375', /neither an IPv4 address nor a valid hostname/],
    ['tcp://::1:2375', /must be written in brackets/],
    ['tcp://[::1:2375', /unterminated "\["/],
    ['tcp://[127.0.0.1]:2375', /is not an IPv6 address/],
    ['tcp://[::1]2375', /expected ":port" after "\]"/],
    ['tcp://user@host:2375', /no user information/],
    ['unix://var/run/docker.sock', /must be absolute/],
    ['unix://', /must be absolute/],
    ['unix:///run/', /names a directory/],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseAddress(input, 'listen'),
        (error: unknown) => error instanceof AddressError && message.test(error.message),
      );
    });
  }
});

describe('formatAddress', () => {
  it('brackets IPv6 hosts', () => {
    assert.equal(formatAddress({ kind: 'tcp', host: '::1', port: 2375 }), 'tcp://[::1]:2375');
    assert.equal(formatAddress({ kind: 'tcp', host: '10.0.0.1', port: 2375 }), 'tcp://10.0.0.1:2375');
    assert.equal(formatAddress({ kind: 'unix', path: '/run/p.sock' }), 'unix:///run/p.sock');
  });

  it('round-trips through parseAddress', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    const host = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.')).filter((h) => !/^[0-9.]+$/.test(h)),
    );
    const address: fc.Arbitrary<Address> = fc.oneof(
      fc.record({ kind: fc.constant('tcp' as const), host, port: fc.integer({ min: 0, max: 65535 }) }),
      fc.record({
        kind: fc.constant('unix' as const),
        path: fc.array(fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/), { minLength: 1, maxLength: 4 }).map((ps) => `/${ps.join('/')}`),
      }),
    );
    fc.assert(
      fc.property(address, (a) => {
        const parsed = parseAddress(formatAddress(a), 'listen');
        assert.ok(sameAddress(parsed, a));
        assert.equal(formatAddress(parsed), formatAddress(a));
      }),
    );
  });
});
