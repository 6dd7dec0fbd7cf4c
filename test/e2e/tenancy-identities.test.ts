/**
 * Identities on a network an admin shares between clients (docs/tenancy.md, "Identities on shared
 * networks"): alice and bob both run a container named `web` on it; neither gets the alias `web`
 * there (read from the daemon's network and container inspect, and from the network's DNS inside a
 * container); aliases they ask for there go into their own name space, MAC and static IP addresses
 * are refused, while the same on a client's own network pass.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { dockerApi } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';

const OWNER_LABEL = 'io.portcullis.owner';
const SHARED = 'io.portcullis.shared';

e2eSuite('tenancy: identities on a shared network', (ctx) => {
  const alice = `ida${process.pid}`;
  const bob = `idb${process.pid}`;
  const sharedName = `pc-idshared-${process.pid}`;
  const tokens = { [alice]: randomBytes(32).toString('hex'), [bob]: randomBytes(32).toString('hex') };
  let proxy: Proxy;
  let sharedId = '';
  const ids: Record<string, string> = {};
  const daemon = (method: string, path: string, body?: unknown) => dockerApi(ctx.dockerd.socket, method, path, body);
  const as = (who: string, method: string, path: string, body?: unknown) =>
    dockerApi(proxy.host(), method, `/v1.41${path}`, body, { Authorization: `Bearer ${tokens[who]}` });
  const owner = (who: string) => encodeURIComponent(JSON.stringify({ label: [`${OWNER_LABEL}=${who}`] }));

  async function cleanup(): Promise<void> {
    for (const who of [alice, bob]) {
      const cs = await daemon('GET', `/containers/json?all=1&filters=${owner(who)}`);
      await Promise.all(((cs.json as { Id: string }[] | undefined) ?? []).map((c) => daemon('DELETE', `/containers/${c.Id}?force=1`)));
      const ns = await daemon('GET', `/networks?filters=${owner(who)}`);
      for (const n of (ns.json as { Id: string }[] | undefined) ?? []) await daemon('DELETE', `/networks/${n.Id}`);
    }
    await daemon('DELETE', `/networks/${sharedName}`);
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
      `    tenancy: { ownership: true, shared: { labels: [${SHARED}=true] } }`,
      '',
    ].join('\n');
    proxy = await startPortcullis({ configYaml, env: { DOCKER_HOST: ctx.dockerd.host } });
    await cleanup();
    // The admin shares a network on the daemon itself.
    const net = await daemon('POST', '/networks/create', { Name: sharedName, Labels: { [SHARED]: 'true' } });
    assert.equal(net.status, 201, net.text);
    sharedId = net.json.Id;
    for (const who of [alice, bob]) {
      const r = await as(who, 'POST', '/containers/create?name=web', { Image: BUSYBOX_IMAGE, Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: sharedName } });
      assert.equal(r.status, 201, `${who}: ${r.text}`);
      ids[who] = r.json.Id;
      assert.equal((await as(who, 'POST', `/containers/${ids[who]}/start`)).status, 204);
    }
  });

  after(async () => {
    await proxy?.stop();
    if (ctx.dockerd) await cleanup();
  });

  it('neither client\'s web answers to "web" on the shared network: not in inspect, not in its DNS', async () => {
    for (const who of [alice, bob]) {
      const c = await daemon('GET', `/containers/${ids[who]}/json`);
      const aliases: string[] = c.json.NetworkSettings.Networks[sharedName].Aliases ?? [];
      assert.ok(!aliases.includes('web'), `${who}'s web has the alias web: ${aliases.join(',')}`);
    }
    const inspect = await daemon('GET', `/networks/${sharedId}`);
    assert.deepEqual(Object.keys(inspect.json.Containers).sort(), [ids[alice], ids[bob]].sort());
    // DNS inside bob's container: "web" resolves to nobody, alice's daemon name to alice's container only.
    const lookup = async (name: string): Promise<{ code: number; out: string }> => {
      const exec = await daemon('POST', `/containers/${ids[bob]}/exec`, { Cmd: ['busybox', 'nslookup', name, '127.0.0.11'], AttachStdout: true, AttachStderr: true });
      assert.equal(exec.status, 201, exec.text);
      const start = await daemon('POST', `/exec/${exec.json.Id}/start`, { Detach: false, Tty: true });
      const done = await daemon('GET', `/exec/${exec.json.Id}/json`);
      return { code: done.json.ExitCode, out: start.text };
    };
    const aliceIp: string = (await daemon('GET', `/containers/${ids[alice]}/json`)).json.NetworkSettings.Networks[sharedName].IPAddress;
    const web = await lookup('web');
    assert.ok(!web.out.includes(aliceIp), `"web" resolves to alice's container inside bob's:\n${web.out}`);
    assert.notEqual(web.code, 0, web.out);
    const named = await lookup(`${alice}.web`);
    assert.ok(named.out.includes(aliceIp), `alice's daemon name does not resolve to her container:\n${named.out}`);
  });

  it('aliases on the shared network are scoped to the client; MAC and static addresses are refused and reach nothing; on an own network they pass', async () => {
    const own = await as(alice, 'POST', '/networks/create', { Name: 'mine', IPAM: { Config: [{ Subnet: '172.31.77.0/24' }] } });
    assert.equal(own.status, 201, own.text);
    // Aliases go into alice's name space: bob's name asked for becomes one only alice can hold.
    const aliased = await as(alice, 'POST', '/containers/create?name=aliased', {
      Image: BUSYBOX_IMAGE,
      Cmd: ['true'],
      NetworkingConfig: { EndpointsConfig: { [sharedName]: { Aliases: ['web', `${bob}.web`] } } },
    });
    assert.equal(aliased.status, 201, aliased.text);
    const aliasedOnDaemon = await daemon('GET', `/containers/${aliased.json.Id}/json`);
    const got: string[] = aliasedOnDaemon.json.NetworkSettings.Networks[sharedName].Aliases;
    assert.ok(got.includes(`${alice}.web`) && got.includes(`${alice}.${bob}.web`), got.join(','));
    assert.ok(!got.includes('web') && !got.includes(`${bob}.web`), got.join(','));
    const attempts: [string, Record<string, unknown>][] = [
      ['DNS names', { DNSNames: ['web'] }],
      ['MAC', { MacAddress: '02:42:ac:1f:4d:09' }],
      ['IP', { IPAMConfig: { IPv4Address: '172.31.77.9' } }],
    ];
    let n = 0;
    for (const [what, ep] of attempts) {
      const create = await as(alice, 'POST', `/containers/create?name=id${n++}`, { Image: BUSYBOX_IMAGE, Cmd: ['true'], NetworkingConfig: { EndpointsConfig: { [sharedName]: ep } } });
      assert.equal(create.status, 403, `${what}: ${create.text}`);
      assert.match(create.text, /PC_TENANCY_IDENTITY/);
      const connect = await as(alice, 'POST', `/networks/${sharedName}/connect`, { Container: 'web', EndpointConfig: ep });
      assert.equal(connect.status, 403, `${what}: ${connect.text}`);
      const neighbour = await as(alice, 'POST', `/containers/create?name=ok${n}`, { Image: BUSYBOX_IMAGE, Cmd: ['true'], NetworkingConfig: { EndpointsConfig: { mine: ep } } });
      assert.equal(neighbour.status, 201, `${what} on an own network: ${neighbour.text}`);
    }
    const mac = await as(alice, 'POST', '/containers/create?name=mac', { Image: BUSYBOX_IMAGE, Cmd: ['true'], MacAddress: '02:42:ac:1f:4d:0a', HostConfig: { NetworkMode: sharedName } });
    assert.equal(mac.status, 403, mac.text);
    // On the daemon: the refused ones never joined the shared network.
    const inspect = await daemon('GET', `/networks/${sharedId}`);
    assert.deepEqual(Object.keys(inspect.json.Containers).sort(), [ids[alice], ids[bob]].sort());
    const c = await daemon('GET', `/containers/${ids[alice]}/json`);
    assert.ok(!(c.json.NetworkSettings.Networks[sharedName].Aliases ?? []).includes('web'));
    const made = await daemon('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: [`^/${alice}\\.(id|mac)`] }))}`);
    assert.deepEqual(made.json, []);
  });
});
