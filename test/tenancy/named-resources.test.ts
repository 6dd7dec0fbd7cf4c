import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { daemon, enc, expectHidden, LABEL, run } from './helpers.js';

const ownedVolumes = (client: string) => `/volumes?filters=${enc({ label: { [`${LABEL}=${client}`]: true } })}`;
const ownedNetworks = (client: string) => `/networks?filters=${enc({ label: { [`${LABEL}=${client}`]: true } })}`;

/** alice owns volume av and network an; bob owns bv and bn; "orphan" exists and belongs to no one. */
const lookup = () =>
  daemon({
    [ownedVolumes('alice')]: { status: 200, body: { Volumes: [{ Name: 'av' }] } },
    [ownedNetworks('alice')]: { status: 200, body: [{ Id: 'a'.repeat(64), Name: 'an' }] },
    '/volumes/bv': { status: 200, body: { Name: 'bv' } },
    '/volumes/orphan': { status: 200, body: { Name: 'orphan' } },
  });

const create = (hostConfig: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  op: 'ContainerCreate',
  body: { Image: 'busybox', HostConfig: hostConfig, ...extra },
  lookup: lookup(),
});

describe('volumes and networks a create body names', () => {
  test("another client's volume, by Binds or by Mounts, is no such volume", async () => {
    expectHidden(await run(create({ Binds: ['bv:/data'] })), 'get bv: no such volume');
    expectHidden(await run(create({ Mounts: [{ Type: 'volume', Source: 'bv', Target: '/data' }] })), 'get bv: no such volume');
    expectHidden(await run(create({ Binds: ['orphan:/data'] })), 'get orphan: no such volume');
  });

  test('an own volume, a volume dockerd will create, and an anonymous one pass', async () => {
    for (const hc of [{ Binds: ['av:/data'] }, { Binds: ['fresh:/data'] }, { Binds: ['/data'] }, { Mounts: [{ Type: 'volume', Target: '/v' }] }]) {
      const v = await run(create(hc));
      assert.equal(v.allowed, true, JSON.stringify(hc));
    }
  });

  test("another client's network, as NetworkMode or an endpoint, is not found", async () => {
    expectHidden(await run(create({ NetworkMode: 'bn' })), 'network bn not found');
    expectHidden(await run(create({}, { NetworkingConfig: { EndpointsConfig: { bn: {} } } })), 'network bn not found');
  });

  test('an own network, by name or ID prefix, and the predefined ones pass', async () => {
    for (const [hc, extra] of [
      [{ NetworkMode: 'an' }, {}],
      [{ NetworkMode: 'aaaaaaaa' }, {}],
      [{ NetworkMode: 'none' }, {}],
      [{ NetworkMode: 'bridge' }, {}],
      [{}, { NetworkingConfig: { EndpointsConfig: { an: { Aliases: ['web'] } } } }],
    ] as const) {
      const v = await run(create(hc, extra));
      assert.equal(v.allowed, true, JSON.stringify([hc, extra]));
    }
  });
});
