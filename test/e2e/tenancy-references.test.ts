/**
 * Every body field dockerd reads as a reference to another object, table-driven (docs/tenancy.md,
 * "Body references"): alice names bob's network, container or volume there — by full ID, ID prefix,
 * bob's name and the daemon's name — through the real proxy, and is refused; the verdict is read on
 * the daemon socket: no container of alice was made, bob's network gained no endpoint, the daemon
 * recorded no connect to it, bob's container is unchanged. The neighbour of each case (alice's own
 * object in the same field) passes and lands where it should.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { dockerApi } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';

const OWNER_LABEL = 'io.portcullis.owner';

e2eSuite('tenancy: references inside bodies', (ctx) => {
  const alice = `refa${process.pid}`;
  const bob = `refb${process.pid}`;
  const tokens = { [alice]: randomBytes(32).toString('hex'), [bob]: randomBytes(32).toString('hex') };
  let proxy: Proxy;
  const bobNet = { id: '', name: 'bnet' };
  const bobWeb = { id: '', name: 'bweb' };
  const aliceNet = { id: '', name: 'anet' };
  const aliceWeb = { id: '', name: 'aweb' };
  const daemon = (method: string, path: string, body?: unknown) => dockerApi(ctx.dockerd.socket, method, path, body);
  const as = (who: string, method: string, path: string, body?: unknown) =>
    dockerApi(proxy.host(), method, `/v1.41${path}`, body, { Authorization: `Bearer ${tokens[who]}` });
  const must = async (who: string, method: string, path: string, body?: unknown): Promise<any> => {
    const r = await as(who, method, path, body);
    assert.ok(r.status >= 200 && r.status < 300, `${who}: ${method} ${path}: ${r.status} ${r.text}`);
    return r.json;
  };
  const owner = (who: string) => encodeURIComponent(JSON.stringify({ label: [`${OWNER_LABEL}=${who}`] }));

  async function cleanup(): Promise<void> {
    for (const who of [alice, bob]) {
      const cs = await daemon('GET', `/containers/json?all=1&filters=${owner(who)}`);
      await Promise.all(((cs.json as { Id: string }[] | undefined) ?? []).map((c) => daemon('DELETE', `/containers/${c.Id}?force=1`)));
      const ns = await daemon('GET', `/networks?filters=${owner(who)}`);
      for (const n of (ns.json as { Id: string }[] | undefined) ?? []) await daemon('DELETE', `/networks/${n.Id}`);
      const vs = await daemon('GET', `/volumes?filters=${owner(who)}`);
      for (const v of (vs.json as { Volumes: { Name: string }[] | null } | undefined)?.Volumes ?? []) await daemon('DELETE', `/volumes/${v.Name}`);
    }
  }

  before(async () => {
    const configYaml = [
      'listeners:',
      '  - name: main',
      '    address: tcp://127.0.0.1:0',
      'clients:',
      ...[alice, bob].flatMap((c) => [`  - name: ${c}`, '    policy: tenant', `    token: ${tokens[c]}`]),
      'policies:',
      '  tenant:',
      '    extends: hardened',
      '    tenancy: { ownership: true }',
      '',
    ].join('\n');
    proxy = await startPortcullis({ configYaml, env: { DOCKER_HOST: ctx.dockerd.host } });
    await cleanup();
    bobNet.id = (await must(bob, 'POST', '/networks/create', { Name: bobNet.name })).Id;
    await must(bob, 'POST', '/volumes/create', { Name: 'bvol' });
    bobWeb.id = (await must(bob, 'POST', `/containers/create?name=${bobWeb.name}`, { Image: BUSYBOX_IMAGE, Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: bobNet.name } })).Id;
    await must(bob, 'POST', `/containers/${bobWeb.id}/start`);
    aliceNet.id = (await must(alice, 'POST', '/networks/create', { Name: aliceNet.name })).Id;
    aliceWeb.id = (await must(alice, 'POST', `/containers/create?name=${aliceWeb.name}`, { Image: BUSYBOX_IMAGE, Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: aliceNet.name } })).Id;
    await must(alice, 'POST', `/containers/${aliceWeb.id}/start`);
  });

  after(async () => {
    await proxy?.stop();
    if (ctx.dockerd) await cleanup();
  });

  /** What the daemon says of bob's objects: the endpoints on his network and his container's state and networks. */
  async function bobState(): Promise<unknown> {
    const net = await daemon('GET', `/networks/${bobNet.id}`);
    const web = await daemon('GET', `/containers/${bobWeb.id}/json`);
    assert.equal(net.status, 200);
    assert.equal(web.status, 200);
    return {
      endpoints: Object.keys(net.json.Containers ?? {}).sort(),
      running: web.json.State.Running,
      pid: web.json.State.Pid,
      networks: Object.keys(web.json.NetworkSettings.Networks).sort(),
      mounts: web.json.Mounts,
      // bob's volume is used by nothing new
      bvol: (await daemon('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ volume: [`${bob}.bvol`] }))}`)).json,
    };
  }

  const refsTo = (o: { id: string; name: string }, who: string): string[] => [o.id, o.id.slice(0, 12), o.name, `${who}.${o.name}`];
  const base = { Image: BUSYBOX_IMAGE, Cmd: ['true'] };

  /** Each case: a request alice makes with `ref` in one reference field, and the refusals it may get. */
  const cases: { field: string; refs: () => string[]; request: (ref: string, i: number) => [string, string, unknown]; mapped?: true }[] = [
    {
      field: 'create NetworkingConfig.EndpointsConfig.<own network>.NetworkID',
      refs: () => refsTo(bobNet, bob),
      request: (ref, i) => ['POST', `/containers/create?name=nid${i}`, { ...base, HostConfig: { NetworkMode: aliceNet.name }, NetworkingConfig: { EndpointsConfig: { [aliceNet.name]: { NetworkID: ref } } } }],
    },
    {
      field: 'network connect EndpointConfig.NetworkID',
      refs: () => refsTo(bobNet, bob),
      request: (ref) => ['POST', `/networks/${aliceNet.name}/connect`, { Container: aliceWeb.name, EndpointConfig: { NetworkID: ref } }],
    },
    {
      field: 'create NetworkingConfig.EndpointsConfig key',
      refs: () => refsTo(bobNet, bob),
      request: (ref, i) => ['POST', `/containers/create?name=key${i}`, { ...base, NetworkingConfig: { EndpointsConfig: { [ref]: {} } } }],
    },
    {
      field: 'create HostConfig.NetworkMode (network)',
      refs: () => refsTo(bobNet, bob),
      request: (ref, i) => ['POST', `/containers/create?name=nm${i}`, { ...base, HostConfig: { NetworkMode: ref } }],
    },
    {
      field: 'network connect path',
      refs: () => refsTo(bobNet, bob),
      request: (ref) => ['POST', `/networks/${encodeURIComponent(ref)}/connect`, { Container: aliceWeb.name }],
    },
    {
      field: 'create HostConfig.NetworkMode container:',
      refs: () => refsTo(bobWeb, bob),
      request: (ref, i) => ['POST', `/containers/create?name=nmc${i}`, { ...base, HostConfig: { NetworkMode: `container:${ref}` } }],
    },
    {
      field: 'create HostConfig.PidMode container:',
      refs: () => refsTo(bobWeb, bob),
      request: (ref, i) => ['POST', `/containers/create?name=pid${i}`, { ...base, HostConfig: { NetworkMode: 'none', PidMode: `container:${ref}` } }],
    },
    {
      field: 'create HostConfig.IpcMode container:',
      refs: () => refsTo(bobWeb, bob),
      request: (ref, i) => ['POST', `/containers/create?name=ipc${i}`, { ...base, HostConfig: { NetworkMode: 'none', IpcMode: `container:${ref}` } }],
    },
    {
      field: 'create HostConfig.VolumesFrom',
      refs: () => refsTo(bobWeb, bob),
      request: (ref, i) => ['POST', `/containers/create?name=vf${i}`, { ...base, HostConfig: { NetworkMode: 'none', VolumesFrom: [`${ref}:ro`] } }],
    },
    {
      field: 'create HostConfig.Links',
      refs: () => refsTo(bobWeb, bob),
      request: (ref, i) => ['POST', `/containers/create?name=ln${i}`, { ...base, HostConfig: { NetworkMode: aliceNet.name, Links: [`${ref}:x`] } }],
    },
    {
      field: 'create EndpointsConfig.<own network>.Links',
      refs: () => refsTo(bobWeb, bob),
      request: (ref, i) => ['POST', `/containers/create?name=eln${i}`, { ...base, HostConfig: { NetworkMode: aliceNet.name }, NetworkingConfig: { EndpointsConfig: { [aliceNet.name]: { Links: [`${ref}:x`] } } } }],
    },
    {
      field: 'network connect EndpointConfig.Links',
      refs: () => refsTo(bobWeb, bob),
      request: (ref) => ['POST', `/networks/${aliceNet.name}/connect`, { Container: aliceWeb.name, EndpointConfig: { Links: [`${ref}:x`] } }],
    },
    {
      field: 'network connect Container',
      refs: () => refsTo(bobWeb, bob),
      request: (ref) => ['POST', `/networks/${aliceNet.name}/connect`, { Container: ref }],
    },
    {
      field: 'create HostConfig.Binds (volume)',
      refs: () => ['bvol', `${bob}.bvol`],
      request: (ref, i) => ['POST', `/containers/create?name=bind${i}`, { ...base, HostConfig: { NetworkMode: 'none', Binds: [`${ref}:/data`] } }],
      mapped: true,
    },
    {
      field: 'create HostConfig.Mounts (volume)',
      refs: () => ['bvol', `${bob}.bvol`],
      request: (ref, i) => ['POST', `/containers/create?name=mnt${i}`, { ...base, HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: ref, Target: '/data' }] } }],
      mapped: true,
    },
    {
      field: 'network create ConfigFrom.Network',
      refs: () => refsTo(bobNet, bob),
      request: (ref, i) => ['POST', '/networks/create', { Name: `cf${i}`, ConfigFrom: { Network: ref } }],
    },
  ];

  it('bob\'s objects named in any reference field, by ID, prefix and name, are refused and untouched on the daemon', async () => {
    // dockerd reads `since` as seconds.nanoseconds: whole seconds would take in the set-up's own
    // create and connect events on bob's network from the same second.
    const nowMs = Date.now();
    const sinceS = `${Math.floor(nowMs / 1000)}.${String((nowMs % 1000) * 1_000_000).padStart(9, '0')}`;
    const before = await bobState();
    const aliceBefore = await daemon('GET', `/containers/${aliceWeb.id}/json`);
    let n = 0;
    for (const c of cases) {
      for (const ref of c.refs()) {
        const [method, path, body] = c.request(ref, n++);
        const r = await as(alice, method, path, body);
        if (c.mapped === true) {
          // A volume name is the client's own name space: it names (and here creates) alice's volume, never bob's.
          assert.equal(r.status, 201, `${c.field} = ${ref}: ${r.text}`);
          const made = await daemon('GET', `/containers/${r.json.Id}/json`);
          assert.deepEqual(made.json.Mounts.map((m: { Name: string }) => m.Name), [`${alice}.${ref}`], `${c.field} = ${ref}`);
          assert.equal((await daemon('DELETE', `/containers/${r.json.Id}?force=1`)).status, 204);
          assert.equal((await daemon('DELETE', `/volumes/${alice}.${ref}`)).status, 204);
          continue;
        }
        assert.ok(r.status === 404 || r.status === 403, `${c.field} = ${ref}: ${r.status} ${r.text}`);
        assert.match(r.text, /No such container|not found|no such volume|rule PC_/, `${c.field} = ${ref}`);
      }
    }
    // On the daemon: alice made nothing but her own web container, bob's things are as they were.
    const made = await daemon('GET', `/containers/json?all=1&filters=${owner(alice)}`);
    assert.deepEqual((made.json as { Id: string }[]).map((x) => x.Id), [aliceWeb.id]);
    const nets = await daemon('GET', `/networks?filters=${owner(alice)}`);
    assert.deepEqual((nets.json as { Id: string }[]).map((x) => x.Id), [aliceNet.id]);
    assert.deepEqual(await bobState(), before);
    const aliceAfter = await daemon('GET', `/containers/${aliceWeb.id}/json`);
    assert.deepEqual(Object.keys(aliceAfter.json.NetworkSettings.Networks), Object.keys(aliceBefore.json.NetworkSettings.Networks));
    const until = Math.floor(Date.now() / 1000) + 1;
    const events = await daemon('GET', `/events?since=${sinceS}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ network: [bobNet.id] }))}`);
    assert.equal(events.status, 200);
    assert.equal(events.text.trim(), '', `the daemon recorded events on bob's network:\n${events.text}`);
  });

  it('the neighbours: alice\'s own network in NetworkID (ID, prefix, name) and her own container in endpoint Links pass and land on her network', async () => {
    let n = 0;
    for (const ref of [aliceNet.id, aliceNet.id.slice(0, 12), aliceNet.name]) {
      const name = `own${n++}`;
      const body = { ...base, HostConfig: { NetworkMode: aliceNet.name }, NetworkingConfig: { EndpointsConfig: { [aliceNet.name]: { NetworkID: ref, Links: [`${aliceWeb.name}:w`] } } } };
      const created = await must(alice, 'POST', `/containers/create?name=${name}`, body);
      const onDaemon = await daemon('GET', `/containers/${created.Id}/json`);
      assert.deepEqual(Object.keys(onDaemon.json.NetworkSettings.Networks), [`${alice}.${aliceNet.name}`]);
      const ep = onDaemon.json.NetworkSettings.Networks[`${alice}.${aliceNet.name}`];
      assert.equal(ep.NetworkID === '' || ep.NetworkID === aliceNet.id, true, JSON.stringify(ep));
      assert.deepEqual(ep.Links, [`${alice}.${aliceWeb.name}:w`]);
    }
    const second = (await must(alice, 'POST', '/networks/create', { Name: 'anet2' })).Id;
    await must(alice, 'POST', `/networks/anet2/connect`, { Container: aliceWeb.name, EndpointConfig: { NetworkID: second.slice(0, 12) } });
    const web = await daemon('GET', `/containers/${aliceWeb.id}/json`);
    assert.equal(web.json.NetworkSettings.Networks[`${alice}.anet2`]?.NetworkID, second);
  });
});
